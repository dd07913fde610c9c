"""`make load`: run Locust headless at a constant rate, judge the SLOs, exit 1 on a miss."""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time
import tomllib
from pathlib import Path

from rich.console import Console
from rich.table import Table

from dp_core.api_keys import api_headers
from dp_core.resources import Resources
from dp_core.settings import Settings

HERE = Path(__file__).parent
USERS = {
    ("api", "open"): "ApiArrivals",
    ("serving", "open"): "ModelServerArrivals",
    ("api", "paced"): "ApiClient",
    ("serving", "paced"): "ModelServerClient",
}
REPORTS = ("_stats.csv", "_stats_history.csv", "_failures.csv", "_exceptions.csv", ".html")


class StaleReport(RuntimeError):
    """Locust did not write the report this run would judge."""


def endpoint(target: str, path: str) -> str:
    """The path's URL on the target: DP_E2E_<PATH> (as for the e2e suite) or its settings."""
    return os.environ.get(f"DP_E2E_{path.upper()}") or Settings(target=target).endpoints.url(path)


def run_locust(
    target: str, path: str, arrival: str, rate: int, duration: int, reports: Path
) -> Path:
    """Locust in its own process; the prefix of the CSV reports it wrote in this run.

    Earlier reports are removed first, and a report older than this run is refused: a Locust
    that exits early must not leave an old run's figures to be judged.
    """
    reports.mkdir(parents=True, exist_ok=True)
    prefix = reports.resolve() / f"load-{target}-{path}"
    for suffix in REPORTS:
        Path(f"{prefix}{suffix}").unlink(missing_ok=True)
    headers = api_headers(Resources(Settings(target=target))) if path == "api" else {}
    env = {
        **os.environ,
        "LOAD_API_KEY": headers.get("Authorization", "").removeprefix("Bearer "),
        "LOAD_RATE": str(rate),
        "LOAD_DURATION": str(duration),
        "LOAD_ARRIVAL": arrival,
    }
    command = [
        sys.executable,
        "-m",
        "locust",
        "--config",
        str(HERE / "locust.conf"),
        "-f",
        str(HERE / "locustfile.py"),
        "--host",
        endpoint(target, path),
        "--csv",
        str(prefix),
        "--html",
        f"{prefix}.html",
        USERS[(path, arrival)],
    ]
    started = time.time()
    done = subprocess.run(command, env=env, check=False, cwd=HERE)
    stats = Path(f"{prefix}_stats.csv")
    if done.returncode not in (0, 1):  # 1: the run had failures, judged below
        raise StaleReport(f"locust exited {done.returncode}")
    if not stats.exists() or stats.stat().st_mtime < started:
        raise StaleReport(f"locust wrote no {stats.name} in this run")
    return prefix


def aggregated(prefix: Path) -> dict[str, float]:
    with open(f"{prefix}_stats.csv") as handle:
        row = next(r for r in csv.DictReader(handle) if r["Name"] == "Aggregated")
    return {
        "requests": float(row["Request Count"]),
        "failures": float(row["Failure Count"]),
        "p95_ms": float(row["95%"]),
        "p99_ms": float(row["99%"]),
        "rps": float(row["Requests/s"]),
    }


def verdict(stats: dict[str, float], slo: dict[str, float]) -> list[tuple[str, str, str, bool]]:
    errors = stats["failures"] / max(stats["requests"], 1)
    expected = slo["rate"] * slo["duration_s"]
    return [
        (
            "requests sent",
            f"{stats['requests']:.0f}",
            f"≥ {slo['min_rps_ratio'] * expected:.0f}",
            stats["requests"] >= slo["min_rps_ratio"] * expected,
        ),
        (
            "p95",
            f"{stats['p95_ms']:.0f} ms",
            f"≤ {slo['p95_ms']} ms",
            stats["p95_ms"] <= slo["p95_ms"],
        ),
        (
            "p99",
            f"{stats['p99_ms']:.0f} ms",
            f"≤ {slo['p99_ms']} ms",
            stats["p99_ms"] <= slo["p99_ms"],
        ),
        (
            "error ratio",
            f"{errors:.4%}",
            f"≤ {slo['max_error_ratio']:.2%}",
            errors <= slo["max_error_ratio"],
        ),
        (
            "achieved rps",
            f"{stats['rps']:.1f}",
            f"≥ {slo['min_rps_ratio'] * slo['rate']:.0f}",
            stats["rps"] >= slo["min_rps_ratio"] * slo["rate"],
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--target", default="stack")
    parser.add_argument("--path", choices=("api", "serving"), default="api")
    parser.add_argument(
        "--arrival",
        choices=("open", "paced"),
        default="open",
        help="open: fixed schedule whatever the answers; paced: users wait for their answers",
    )
    parser.add_argument("--duration", type=int, help="override the SLO file's duration")
    parser.add_argument("--reports", type=Path, default=Path("reports"))
    parser.add_argument("--json", type=Path, help="also write the figures and verdicts here")
    args = parser.parse_args()
    slo = tomllib.loads((HERE / "slos.toml").read_text())[args.target]
    duration = args.duration or int(slo["duration_s"])
    prefix = run_locust(
        args.target, args.path, args.arrival, int(slo["rate"]), duration, args.reports
    )
    stats = aggregated(prefix)
    rows = verdict(stats, {**slo, "duration_s": duration})
    title = (
        f"load {args.path} on {args.target}: {slo['rate']} req/s ({args.arrival}) for {duration} s"
    )
    table = Table(title=title)
    for column in ("objective", "measured", "target", "verdict"):
        table.add_column(column)
    for name, measured, target, ok in rows:
        table.add_row(name, measured, target, "[green]pass[/]" if ok else "[red]MISS[/]")
    Console().print(table)
    print(f"reports: {prefix}_stats.csv, {prefix}.html")
    if args.json:
        objectives = {
            name: {"measured": measured, "target": target, "passed": ok}
            for name, measured, target, ok in rows
        }
        args.json.write_text(json.dumps({"offered": title, **stats, "objectives": objectives}))
    return 0 if all(ok for *_, ok in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())

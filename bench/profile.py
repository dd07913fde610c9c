"""`make profile`: where the API's CPU goes per prediction (issue 12).

Needs the stack up with a champion and online features (`make profile` arranges both, as `make
bench` does). Drives `/v1/predict` with wrk (closed loop) while py-spy samples the API process
from outside, and reads from /proc the CPU time the API and the model server used over the same
run: CPU milliseconds per request for each. The API's samples are grouped by the package of
their innermost frame (self) and by every package on the stack (inclusive). Writes
reports/profile-api.json, and the raw stacks beside it for a flame graph.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import psutil
from rich.console import Console
from rich.table import Table

from bench.run import endpoints, wrk
from dp_core.api_keys import api_headers
from dp_core.resources import Resources
from dp_core.settings import get_settings

console = Console()
# A frame's package, from the first path segment that names one; the rest is grouped as "other".
PACKAGES = (
    "dp_api", "dp_core", "fastapi", "starlette", "pydantic", "uvicorn", "aiohttp", "redis",
    "confluent_kafka", "prometheus_client", "numpy", "asyncio", "feast", "json", "structlog",
    "logging", "contextvars", "typing",
)  # fmt: skip


def package_of(frame: str) -> str:
    """`function (path/to/module.py:line)` → the package the file belongs to."""
    path = frame.rsplit("(", 1)[-1]
    parts = path.replace("\\", "/").split("/")
    for part in parts:
        name = part.split(".py")[0]
        if name in PACKAGES:
            return name
    return "other"


def breakdown(raw: str) -> dict[str, Any]:
    """py-spy's collapsed stacks (`frame;frame;… count`, outermost first) as shares per package."""
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames, samples = stack.split(";"), int(count)
        total += samples
        self_time[package_of(frames[-1])] += samples
        functions[frames[-1].strip()] += samples
        for package in {package_of(f) for f in frames}:
            inclusive[package] += samples

    def shares(counts: Counter[str]) -> dict[str, float]:
        return {k: round(v / total, 3) for k, v in counts.most_common()} if total else {}

    return {
        "samples": total,
        "self": shares(self_time),
        "inclusive": shares(inclusive),
        "top_functions": {k: round(v / total, 3) for k, v in functions.most_common(15)},
    }


def cpu_seconds(pid: int) -> float:
    """User and system CPU of a process and its children (threads included)."""
    process = psutil.Process(pid)
    total = 0.0
    for member in [process, *process.children(recursive=True)]:
        times = member.cpu_times()
        total += times.user + times.system
    return total


def profile(seconds: int, connections: int, rate: int, out: Path) -> dict[str, Any]:
    settings = get_settings()
    pids = settings.state_dir / "stack" / "pids"
    api, serving = (int((pids / f"{n}.pid").read_text()) for n in ("api", "serving"))
    url, body = endpoints(settings)["predict"]
    with Resources(settings) as resources:
        headers = api_headers(resources)
    wrk(url, body, 2, connections, headers)  # warm up
    raw = out.with_suffix(".stacks.txt")
    sampler = subprocess.Popen(
        ["py-spy", "record", "--pid", str(api), "--rate", str(rate), "--duration",
         str(seconds), "--format", "raw", "--nonblocking", "--output", str(raw)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    before = {"api": cpu_seconds(api), "serving": cpu_seconds(serving)}
    figures = wrk(url, body, seconds, connections, headers)
    after = {"api": cpu_seconds(api), "serving": cpu_seconds(serving)}
    _, err = sampler.communicate(timeout=60)
    if sampler.returncode != 0:
        raise SystemExit(f"py-spy failed ({sampler.returncode}): {err[-2000:]}")
    if figures["errors"]:
        raise SystemExit(f"{figures['errors']} failed requests: the run is not a measurement")
    requests = figures["requests"]
    return {
        "load": {"seconds": seconds, "connections": connections, **figures},
        "cpu_ms_per_request": {
            name: round((after[name] - before[name]) * 1000 / requests, 3) for name in before
        },
        "api_samples": breakdown(raw.read_text()),
        "stacks": str(raw),
    }


def table(result: dict[str, Any]) -> Table:
    view = Table(title="where the API's CPU goes (py-spy samples of the API process)")
    view.add_column("package")
    view.add_column("self", justify="right")
    view.add_column("inclusive", justify="right")
    samples = result["api_samples"]
    for package in sorted(samples["inclusive"], key=lambda p: -samples["inclusive"][p]):
        view.add_row(
            package,
            f"{samples['self'].get(package, 0):.1%}",
            f"{samples['inclusive'][package]:.1%}",
        )
    return view


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--out", type=Path, default=Path("reports/profile-api.json"))
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result = profile(args.seconds, args.connections, args.rate, args.out)
    args.out.write_text(json.dumps(result, indent=2))
    console.print(table(result))
    load, cpu = result["load"], result["cpu_ms_per_request"]
    console.print(
        f"{load['rps']} req/s (p99 {load['p99_ms']} ms); CPU per request: API {cpu['api']} ms, "
        f"model server {cpu['serving']} ms. Written: {args.out}, {result['stacks']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

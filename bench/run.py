"""`make bench`: the serving path against this machine's limit, in one run so the ratios hold.

Needs the stack up with a champion and online features (`make bench` arranges both). Each figure
is the median of `--rounds` runs. Closed loop: wrk; fixed rate: `bench.openloop`; feature lookup:
Feast's online read as the API does it, against a raw Redis HMGET of the same values.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.freshness import measure_freshness
from bench.lookup import feature_lookup, redis_floor
from bench.openloop import open_loop
from dp_core.model_inputs import INPUTS
from dp_core.settings import Settings, Target, get_settings

CEILING_PORT = 18099
PREDICT_BODY = {
    "customer_id": "c-0000042",
    "merchant_id": "m-000001",
    "amount": 42.5,
    "currency": "EUR",
    "channel": "online",
    "country": "DE",
}
console = Console()


def endpoints(settings: Settings) -> dict[str, tuple[str, dict[str, Any]]]:
    model = settings.mlflow.model_name
    infer = {
        "inputs": [
            {"name": "inputs", "shape": [1, len(INPUTS)], "datatype": "FP64", "data": [1.0] * 11}
        ]
    }
    return {
        "ceiling": (f"http://127.0.0.1:{CEILING_PORT}/echo", {"customer_id": "c", "amount": 1.0}),
        "predict": (f"{settings.endpoints.url('api')}/v1/predict", PREDICT_BODY),
        "model_server": (f"{settings.model_server.url}/v2/models/{model}/infer", infer),
    }


def wrk(url: str, body: dict[str, Any], seconds: int, connections: int) -> dict[str, float]:
    """Closed loop: `connections` keep-alive connections sending back to back."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
            f"wrk.body = {json.dumps(json.dumps(body))}\n"
        )
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script.name]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)
    if "Non-2xx" in out:
        raise RuntimeError(f"{url} answered errors under load:\n{out}")
    return {
        "rps": round(float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), 1),  # type: ignore[union-attr]
        "p50_ms": _ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1)),  # type: ignore[union-attr]
        "p99_ms": _ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1)),  # type: ignore[union-attr]
    }


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(\w+)", value).groups()  # type: ignore[union-attr]
    return round(float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit], 3)


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: round(statistics.median(r[key] for r in runs), 3) for key in runs[0]}


def rounds(n: int, measure: Callable[[], dict[str, float]]) -> dict[str, float]:
    return median_of([measure() for _ in range(n)])


def fixed_rate(url: str, payload: bytes, rate: int, seconds: int) -> dict[str, float]:
    return asyncio.run(open_loop(url, payload, rate, seconds)).summary()


def make_run_seconds() -> float:
    """Wall time of the embedded flow (`dp run`, default size), setup excluded."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DP_")}
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "dp_cli", "run"], env=env, check=True, capture_output=True
    )
    return round(time.monotonic() - started, 1)


def machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo")
    names = re.findall(r"model name\s*:\s*(.+)", cpuinfo.read_text()) if cpuinfo.exists() else []
    return {
        "cores": os.cpu_count(),
        "model": names[0] if names else platform.processor(),
        "python": platform.python_version(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--out", type=Path, default=Path("reports/bench.json"))
    args = parser.parse_args()
    settings = get_settings()
    if settings.target is not Target.STACK:
        raise SystemExit("run with DP_TARGET=stack (make bench does)")
    targets = endpoints(settings)
    ceiling = subprocess.Popen([sys.executable, "-m", "bench.ceiling", "--port", str(CEILING_PORT)])
    try:
        time.sleep(3)
        for url, body in targets.values():  # warm up connections, imports and caches
            wrk(url, body, 2, args.connections)
        result: dict[str, Any] = {}
        for name, (url, body) in targets.items():
            console.print(f"closed loop: {name}")
            closed = partial(wrk, url, body, args.seconds, args.connections)
            result[name] = rounds(args.rounds, closed)
        console.print("feature lookup and the raw Redis floor")
        result["feature_lookup"] = rounds(
            args.rounds, lambda: asyncio.run(feature_lookup(settings))
        )
        result["redis_floor"] = rounds(args.rounds, lambda: asyncio.run(redis_floor(settings)))
        fixed = {}
        for name, (url, body) in targets.items():
            console.print(f"open loop at {args.rate} req/s: {name}")
            payload = json.dumps(body).encode()
            fixed[name] = rounds(
                args.rounds, partial(fixed_rate, url, payload, args.rate, args.seconds)
            )
    finally:
        ceiling.terminate()
    result["fixed_rate"] = {
        "rate": args.rate,
        **{f"{name}_p99_ms": fixed[name]["p99_ms"] for name in targets},
        **{f"{name}_p50_ms": fixed[name]["p50_ms"] for name in targets},
    }
    console.print("streaming freshness")
    api_url = settings.endpoints.url("api")
    result["freshness"] = rounds(args.rounds, lambda: measure_freshness(settings.kafka, api_url))
    console.print("embedded make run")
    result["make_run_s"] = statistics.median(make_run_seconds() for _ in range(args.rounds))
    result["ratios"] = {
        "predict_over_model_server": round(
            result["predict"]["rps"] / result["model_server"]["rps"], 3
        ),
        "model_server_over_ceiling": round(
            result["model_server"]["rps"] / result["ceiling"]["rps"], 3
        ),
        "feature_lookup_over_redis_p99": round(
            result["feature_lookup"]["p99_ms"] / result["redis_floor"]["p99_ms"], 3
        ),
    }
    result["machine"] = machine()
    result["settings"] = vars(args) | {"out": str(args.out)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    console.print(table(result))
    console.print(f"written: {args.out}")
    return 0


def table(result: dict[str, Any]) -> Table:
    view = Table(title=f"bench on {result['machine']['cores']} cores: {result['machine']['model']}")
    for column in ("what", "rps", "p50 ms", "p99 ms"):
        view.add_column(column)
    for name in ("ceiling", "predict", "model_server", "feature_lookup", "redis_floor"):
        row = result[name]
        view.add_row(name, str(row.get("rps", "")), str(row["p50_ms"]), str(row["p99_ms"]))
    fixed = result["fixed_rate"]
    for name in ("ceiling", "predict", "model_server"):
        view.add_row(
            f"{name} @ {fixed['rate']} req/s",
            "",
            str(fixed[f"{name}_p50_ms"]),
            str(fixed[f"{name}_p99_ms"]),
        )
    fresh = result["freshness"]
    view.add_row("freshness (s: p50 / p95)", "", str(fresh["p50_s"]), f"p95 {fresh['p95_s']}")
    view.add_row("embedded make run (s)", "", str(result["make_run_s"]), "")
    for name, value in result["ratios"].items():
        view.add_row(f"ratio {name}", str(value), "", "")
    return view


if __name__ == "__main__":
    raise SystemExit(main())

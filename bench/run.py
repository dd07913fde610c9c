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

import httpx
from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console
from rich.table import Table

from bench.freshness import measure_freshness
from bench.lookup import feature_lookup, redis_floor
from bench.openloop import open_loop
from bench.transport import grpc_hop, rest_hop
from dp_cli.api_process import free_port
from dp_cli.serving_process import grpc_model_server
from dp_core.api_keys import api_headers
from dp_core.model_inputs import INPUTS
from dp_core.resources import Resources
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


def wrk(
    url: str, body: dict[str, Any], seconds: int, connections: int, headers: dict[str, str]
) -> dict[str, float]:
    """Closed loop: `connections` keep-alive connections sending back to back."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
            + "".join(
                f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}\n" for k, v in headers.items()
            )
            + f"wrk.body = {json.dumps(json.dumps(body))}\n"
        )
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script.name]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)
    return {
        "errors": wrk_errors(out),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
        "rps": round(float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), 1),  # type: ignore[union-attr]
        "p50_ms": _ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1)),  # type: ignore[union-attr]
        "p99_ms": _ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1)),  # type: ignore[union-attr]
    }


def wrk_errors(out: str) -> int:
    """Non-2xx answers plus socket errors (connect, read, write, timeout) in wrk's report."""
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    return (int(non_2xx.group(1)) if non_2xx else 0) + (
        sum(int(n) for n in sockets.groups()) if sockets else 0
    )


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(\w+)", value).groups()  # type: ignore[union-attr]
    return round(float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit], 3)


def median_of(runs: list[dict[str, float]]) -> dict[str, Any]:
    """Medians over runs; errors are summed, and any error makes the figure invalid."""
    figure: dict[str, Any] = {
        key: round(statistics.median(r[key] for r in runs), 3) for key in runs[0] if key != "errors"
    }
    figure["errors"] = sum(int(r.get("errors", 0)) for r in runs)
    figure["valid"] = figure["errors"] == 0
    return figure


def rounds(n: int, measure: Callable[[], dict[str, float]]) -> dict[str, Any]:
    return median_of([measure() for _ in range(n)])


def fixed_rate(
    url: str, payload: bytes, rate: int, seconds: int, headers: dict[str, str]
) -> dict[str, float]:
    return asyncio.run(open_loop(url, payload, rate, seconds, headers)).summary()


def make_run_seconds() -> dict[str, float]:
    """Wall time of a real embedded flow (`dp run`, default size): its own state folder and API
    port, so nothing of the stack answers for it (the stack's services stay up, idle)."""
    with tempfile.TemporaryDirectory(prefix="bench-embedded-") as root:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DP_")} | {
            "DP_TARGET": "embedded",
            "DP_STATE_DIR": f"{root}/state",
            "DP_RUNS_DIR": f"{root}/runs",
            "DP_ENDPOINTS__PORTS__API": str(free_port()),
        }
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "dp_cli", "run"], env=env, capture_output=True, text=True
        )
        seconds = round(time.monotonic() - started, 1)
        report = (
            json.loads(Path(root, "runs", "latest", "report.json").read_text())
            if done.returncode == 0
            else {}
        )
    if done.returncode != 0:
        console.print(f"[red]embedded dp run failed[/] ({done.returncode}): {done.stderr[-2000:]}")
    ok = done.returncode == 0 and report.get("target") == "embedded"
    return {"seconds": seconds, "errors": 0 if ok else 1}


def events_dropped(api_url: str) -> float:
    """The API's count of prediction events Kafka did not take (all reasons)."""
    text = httpx.get(f"{api_url}/metrics", timeout=5).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "dp_api_prediction_events_dropped_total"
    )


def machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo")
    names = re.findall(r"model name\s*:\s*(.+)", cpuinfo.read_text()) if cpuinfo.exists() else []
    return {
        "cores": os.cpu_count(),
        "model": names[0] if names else platform.processor(),
        "python": platform.python_version(),
    }


# The objectives of docs/performance.md: (figure, comparison, bound).
TARGETS = {
    "predict_over_model_server": ("ratios", ">=", 0.8),
    "predict_p99_ms_at_rate": ("fixed_rate", "<=", 15.0),
    "freshness_p95_s": ("freshness", "<=", 1.0),
    "feature_lookup_over_redis_p99": ("ratios", "<=", 1.5),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rate", type=int, default=400)
    parser.add_argument("--out", type=Path, default=Path("reports/bench.json"))
    args = parser.parse_args()
    settings = get_settings()
    if settings.target is not Target.STACK:
        raise SystemExit("run with DP_TARGET=stack (make bench does)")
    targets = endpoints(settings)
    api_url = settings.endpoints.url("api")
    resources = Resources(settings)
    headers = api_headers(resources)  # the dev key: every server here ignores it but the API
    ceiling = subprocess.Popen([sys.executable, "-m", "bench.ceiling", "--port", str(CEILING_PORT)])
    try:
        time.sleep(3)
        for url, body in targets.values():  # warm up connections, imports and caches
            wrk(url, body, 2, args.connections, headers)
        result: dict[str, Any] = {}
        dropped_before = events_dropped(api_url)
        for name, (url, body) in targets.items():
            console.print(f"closed loop: {name}")
            closed = partial(wrk, url, body, args.seconds, args.connections, headers)
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
                args.rounds, partial(fixed_rate, url, payload, args.rate, args.seconds, headers)
            )
        dropped = events_dropped(api_url) - dropped_before
        result["transports"] = transports(
            settings, args, headers, infer_body=targets["model_server"][1]
        )
    finally:
        ceiling.terminate()
    # A prediction whose event Kafka did not take is a failed request of the predict figures.
    result["events_dropped"] = dropped
    for figure in (result["predict"], fixed["predict"]):
        figure["valid"] = figure["valid"] and dropped == 0
    result["fixed_rate"] = {
        "rate": args.rate,
        **{f"{name}_p99_ms": fixed[name]["p99_ms"] for name in targets},
        **{f"{name}_p50_ms": fixed[name]["p50_ms"] for name in targets},
        **{f"{name}_errors": fixed[name]["errors"] for name in targets},
        "valid": all(fixed[name]["valid"] for name in targets),
    }
    result["fixed_rate"]["predict_p99_ms_at_rate"] = fixed["predict"]["p99_ms"]
    console.print("streaming freshness")
    result["freshness"] = rounds(
        args.rounds, lambda: measure_freshness(resources, api_url, headers)
    )
    result["freshness"]["freshness_p95_s"] = result["freshness"]["p95_s"]
    console.print("embedded make run")
    embedded = rounds(args.rounds, make_run_seconds)
    result["make_run_s"] = embedded["seconds"]
    result["make_run_valid"] = embedded["valid"]
    result["ratios"] = {
        "predict_over_model_server": round(
            result["predict"]["rps"] / result["model_server"]["rps"], 3
        ),
        "model_server_over_ceiling": round(
            result["model_server"]["rps"] / result["ceiling"]["rps"], 3
        ),
        "model_server_grpc_on_over_off": round(
            result["transports"]["rest_rps_grpc_on"] / result["model_server"]["rps"], 3
        ),
        "feature_lookup_over_redis_p99": round(
            result["feature_lookup"]["p99_ms"] / result["redis_floor"]["p99_ms"], 3
        ),
        "valid": all(
            result[n]["valid"] for n in ("predict", "model_server", "ceiling", "transports")
        ),
    }
    result["targets"] = {name: judge(result, name) for name in TARGETS}
    invalid = [
        name
        for name, figure in result.items()
        if isinstance(figure, dict) and figure.get("valid") is False
    ] + ([] if embedded["valid"] else ["make_run_s"])
    result["invalid"] = invalid
    result["machine"] = machine()
    result["settings"] = vars(args) | {"out": str(args.out)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    console.print(table(result))
    console.print(f"written: {args.out}")
    if invalid:
        console.print(
            f"[red]not figures[/] (failed requests, socket errors or dropped events): {invalid}"
        )
        return 1
    return 0


def transports(
    settings: Settings,
    args: argparse.Namespace,
    headers: dict[str, str],
    infer_body: dict[str, Any],
) -> dict[str, Any]:
    """A second model server with gRPC on (same code, same registry): its REST throughput (what
    serving gRPC costs REST) and the API's hop over REST JSON and over gRPC, one row each."""
    model = settings.mlflow.model_name
    log = settings.state_dir / "bench-serving-grpc.log"
    with grpc_model_server(os.environ, model, log) as server:
        url = f"{server.rest}/v2/models/{model}/infer"
        wrk(url, infer_body, 2, args.connections, headers)
        console.print("closed loop: model_server with gRPC on")
        rest_on = rounds(
            args.rounds, partial(wrk, url, infer_body, args.seconds, args.connections, headers)
        )
        console.print("the model-server hop: REST JSON, then gRPC")
        rest = rounds(args.rounds, lambda: asyncio.run(rest_hop(server.rest, model)))
        grpc = rounds(args.rounds, lambda: asyncio.run(grpc_hop(server.grpc, model)))
    return {
        "rest_rps_grpc_on": rest_on["rps"],
        **{f"rest_{k}": v for k, v in rest.items() if k.endswith("_ms")},
        **{f"grpc_{k}": v for k, v in grpc.items() if k.endswith("_ms")},
        "errors": rest_on["errors"] + rest["errors"] + grpc["errors"],
        "valid": rest_on["valid"] and rest["valid"] and grpc["valid"],
    }


def judge(result: dict[str, Any], name: str) -> dict[str, Any]:
    """One objective: the measured value, the bound, whether it was met (None: not a figure)."""
    section, comparison, bound = TARGETS[name]
    measured = result[section][name]
    valid = result[section].get("valid", True)
    met = measured >= bound if comparison == ">=" else measured <= bound
    return {"measured": measured, "target": f"{comparison} {bound}", "met": met if valid else None}


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
    hop = result["transports"]
    view.add_row("model_server with gRPC on (REST)", str(hop["rest_rps_grpc_on"]), "", "")
    for transport in ("rest", "grpc"):
        view.add_row(
            f"API's model hop, {transport}",
            "",
            str(hop[f"{transport}_p50_ms"]),
            str(hop[f"{transport}_p99_ms"]),
        )
    fresh = result["freshness"]
    view.add_row("freshness (s: p50 / p95)", "", str(fresh["p50_s"]), f"p95 {fresh['p95_s']}")
    view.add_row("embedded make run (s)", "", str(result["make_run_s"]), "")
    for name, value in result["ratios"].items():
        if name != "valid":
            view.add_row(f"ratio {name}", str(value), "", "")
    for name, verdict in result["targets"].items():
        mark = {True: "[green]met[/]", False: "[red]MISSED[/]", None: "[red]not a figure[/]"}
        view.add_row(
            f"target {name} {verdict['target']}", str(verdict["measured"]), mark[verdict["met"]], ""
        )
    return view


if __name__ == "__main__":
    raise SystemExit(main())

"""Start the API as a child process, wait until it is ready, and send sample predictions."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from dp_core.champion import served_name
from dp_core.domain import CUSTOMER_FEATURES
from dp_core.resources import Resources
from dp_core.storage import Zone

READY_TIMEOUT_S = 90.0


@contextmanager
def running_api(resources: Resources, keep: bool) -> Iterator[str]:
    """The API's base URL once ready: a child process we start and stop (unless `keep`), or,
    where settings say the API is a service of the target, the one already running."""
    settings = resources.settings
    base_url = settings.endpoints.url("api")
    if not settings.api.start_in_run:
        wait_ready(f"{base_url}/readyz", None)
        yield base_url
        return
    log = open(settings.state_dir / "api.log", "ab")  # noqa: SIM115 - owned by the child
    process = subprocess.Popen([sys.executable, "-m", "dp_cli", "api"], stdout=log, stderr=log)
    try:
        wait_ready(f"{base_url}/readyz", process)
        yield base_url
        if keep:
            process.wait()
    finally:
        process.terminate()
        process.wait(timeout=20)


@contextmanager
def challenger_api(resources: Resources, log_path: Path) -> Iterator[str]:
    """An API process of its own, on a free loopback port, that scores with the challenger
    (`model_server.model`) and publishes no prediction events; its base URL once ready."""
    settings = resources.settings
    port = free_port()
    env = {
        **os.environ,
        "DP_TARGET": settings.target.value,
        "DP_ENDPOINTS__PORTS__API": str(port),
        "DP_API__HOST": "127.0.0.1",
        "DP_MODEL_SERVER__MODEL": served_name(settings.mlflow, settings.mlflow.challenger_alias),
        "DP_KAFKA__PUBLISH_PREDICTIONS": "false",
    }
    base_url = f"http://127.0.0.1:{port}"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "dp_cli", "api"], stdout=log, stderr=log, env=env
        )
        try:
            wait_ready(f"{base_url}/readyz", process)
            yield base_url
        finally:
            process.terminate()
            process.wait(timeout=20)


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_ready(
    url: str, process: subprocess.Popen[bytes] | None, timeout_s: float = READY_TIMEOUT_S
) -> None:
    """Until `url` (a readiness endpoint) answers 200; fails fast when `process` exits."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server behind {url} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} was not ready within {timeout_s:.0f}s")


def sample_requests(resources: Resources, known: int = 3) -> list[dict[str, Any]]:
    """Known customers from the curated zone, one unknown customer, and one invalid payload."""
    curated = resources.store.read_parquet(
        resources.store.uri(Zone.CURATED, CUSTOMER_FEATURES), columns=["customer_id"]
    )
    customers = sorted(curated["customer_id"].unique())[:known]
    base = {"merchant_id": "m-000001", "currency": "EUR", "channel": "online", "country": "DE"}
    requests = [
        {**base, "transaction_id": f"sample-{i}", "customer_id": c, "amount": 25.0 * (i + 1)}
        for i, c in enumerate(customers)
    ]
    requests.append(
        {**base, "transaction_id": "sample-cold", "customer_id": "c-new-customer", "amount": 900.0}
    )
    requests.append(
        {**base, "transaction_id": "sample-invalid", "customer_id": customers[0], "amount": -5}
    )
    return requests


def send_samples(
    base_url: str, requests: list[dict[str, Any]], headers: dict[str, str]
) -> list[dict[str, Any]]:
    """Each request to `/v1/predict` with `headers` (the API key where one is needed)."""
    results = []
    with httpx.Client(base_url=base_url, timeout=10, headers=headers) as client:
        for body in requests:
            response = client.post("/v1/predict", json=body)
            results.append(
                {"request": body, "status": response.status_code, "response": response.json()}
            )
    return results

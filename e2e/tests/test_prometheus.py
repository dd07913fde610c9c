"""Prometheus scrapes the API and the model server, and a request-rate query has data."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from e2e.target import Target

pytestmark = pytest.mark.requires("prometheus")


def _poll(check, timeout_s: float = 60):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(1)


def test_targets_up_and_request_rate(flow: dict[str, Any], target: Target) -> None:
    base = target.endpoint("prometheus")

    def targets_up() -> set[str]:
        active = httpx.get(f"{base}/api/v1/targets").json()["data"]["activeTargets"]
        return {t["labels"]["job"] for t in active if t["health"] == "up"}

    assert {"api", "serving", "prometheus"} <= _poll(targets_up)
    for _ in range(5):
        httpx.get(f"{target.endpoint('api')}/healthz")

    def rate() -> list[Any]:
        query = "sum(rate(dp_api_request_seconds_count[1m]))"
        return httpx.get(f"{base}/api/v1/query", params={"query": query}).json()["data"]["result"]

    result = _poll(rate)
    assert result
    assert float(result[0]["value"][1]) > 0

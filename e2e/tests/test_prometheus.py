"""Prometheus scrapes the API and the model server, loads the alerts, and every series the
alerts and dashboards use exists in what it scraped."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

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


REPO = Path(__file__).parents[2]
SELECTOR = re.compile(r"\b(dp_[a-z0-9_]+|up)(\{[^}]*\})?")


def _selectors() -> dict[str, set[str]]:
    """Every series selector the alerts and the dashboards use, by where it is used."""
    rules = yaml.safe_load((REPO / "k8s/base/prometheus/alerts.yml").read_text())
    expressions = {f"alert {r['alert']}": r["expr"] for g in rules["groups"] for r in g["rules"]}
    for path in (REPO / "k8s/base/grafana/dashboards").glob("*.json"):
        for panel in json.loads(path.read_text()).get("panels", []):
            for i, query in enumerate(panel.get("targets", [])):
                expressions[f"{path.name} {panel.get('title')} #{i}"] = query["expr"]
    return {
        where: {m.group(1) + (m.group(2) or "") for m in SELECTOR.finditer(expr)}
        for where, expr in expressions.items()
    }


def test_alert_rules_are_loaded_and_healthy(flow: dict[str, Any], target: Target) -> None:
    base = target.endpoint("prometheus")
    groups = httpx.get(f"{base}/api/v1/rules").json()["data"]["groups"]
    loaded = {r["name"]: r for g in groups for r in g["rules"]}
    declared = yaml.safe_load((REPO / "k8s/base/prometheus/alerts.yml").read_text())
    names = {r["alert"] for g in declared["groups"] for r in g["rules"]}
    assert names <= set(loaded)
    _poll(lambda: all(loaded[n].get("lastEvaluation", "").startswith("2") for n in names), 30)
    assert {n: loaded[n]["health"] for n in names} == dict.fromkeys(names, "ok")


def test_every_series_the_alerts_and_dashboards_use_exists(
    flow: dict[str, Any], target: Target
) -> None:
    """Checked against the real services' metrics, as scraped: a renamed metric or label makes
    an alert that can never fire, and this fails. (Earlier tests made the API answer 503s and
    drop events, so those series exist.)"""
    base = target.endpoint("prometheus")
    start = time.time() - 3600
    missing = {}
    for where, selectors in _selectors().items():
        for selector in selectors:
            found = httpx.get(
                f"{base}/api/v1/series", params={"match[]": selector, "start": start}
            ).json()["data"]
            if not found:
                missing.setdefault(where, []).append(selector)
    assert missing == {}

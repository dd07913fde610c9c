"""Prometheus scrapes the API and the model server, loads the alerts, and every series the
alerts and dashboards use exists in what it scraped."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
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
# A metric name in PromQL: an identifier that is not a function, keyword or label name and is
# followed by a selector, a range, or nothing that makes it a call or a label.
PROMQL_WORDS = {
    "sum", "rate", "increase", "histogram_quantile", "by", "without", "on", "ignoring", "and",
    "or", "unless", "time", "avg", "max", "min", "count", "bool", "group_left", "group_right",
    "irate", "delta", "abs", "absent", "offset",
}  # fmt: skip
IDENTIFIER = re.compile(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(\{[^}]*\})?(?!\s*\()")


def metrics_in(expr: str) -> set[str]:
    """The metric selectors an expression reads (label matchers kept, label lists dropped)."""
    without_strings = re.sub(r'"[^"]*"', '""', expr)
    without_groupings = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", " ", without_strings)
    without_ranges = re.sub(r"\[[^\]]*\]", "", without_groupings)
    found = set()
    for match in IDENTIFIER.finditer(without_ranges):
        name = match.group(1)
        if name in PROMQL_WORDS or re.fullmatch(r"[0-9.e]+", name):
            continue
        # keep the original matchers of this selector, from the unmodified expression
        original = re.search(rf"\b{re.escape(name)}(\{{[^}}]*\}})?", expr)
        found.add(name + (original.group(1) or "" if original else ""))
    return found


def _expressions(target: Target) -> dict[str, str]:
    """Every PromQL expression the alerts and the dashboards use, by where it is used; on a
    target without Airflow (pods), those that read Airflow's metrics are not expected."""
    rules = yaml.safe_load((REPO / "k8s/base/prometheus/alerts.yml").read_text())
    expressions = {
        f"alert {r['alert']}" if "alert" in r else f"record {r['record']}": r["expr"]
        for g in rules["groups"]
        for r in g["rules"]
    }
    for path in (REPO / "k8s/base/grafana/dashboards").glob("*.json"):
        for panel in json.loads(path.read_text()).get("panels", []):
            for i, query in enumerate(panel.get("targets") or []):
                expressions[f"{path.name} {panel.get('title')} #{i}"] = query["expr"]
    if "airflow" not in target.capabilities:
        expressions = {w: e for w, e in expressions.items() if "airflow_" not in e}
    return expressions


# Where a recording rule reads one source per platform: kubelets on clusters, node-exporter on
# the stack's machine (the stack and pods targets).
PLATFORM_ONLY = {"kubelet_": "cluster", "node_": "machine"}


def _selectors(target: Target) -> dict[str, set[str]]:
    platform = "machine" if "process_control" in target.capabilities else "cluster"
    return {
        where: {
            s
            for s in metrics_in(expr)
            if all(not s.startswith(p) or on == platform for p, on in PLATFORM_ONLY.items())
        }
        for where, expr in _expressions(target).items()
    }


def test_metric_extraction_finds_what_a_query_reads() -> None:
    """The extraction the checks below rely on, on queries whose metrics are known."""
    expr = (
        "histogram_quantile(0.99, sum by (le, route) "
        '(rate(dp_api_request_seconds_bucket{route="/v1/predict"}[5m])))'
    )
    assert metrics_in(expr) == {'dp_api_request_seconds_bucket{route="/v1/predict"}'}
    assert metrics_in("time() - dp_stream_progress_timestamp_seconds > 300 and up == 0") == {
        "dp_stream_progress_timestamp_seconds",
        "up",
    }
    assert metrics_in("sum by (model_name) (rate(request_predict_seconds_count[5m]))") == {
        "request_predict_seconds_count"
    }


def test_alert_rules_are_loaded_and_healthy(flow: dict[str, Any], target: Target) -> None:
    base = target.endpoint("prometheus")
    groups = httpx.get(f"{base}/api/v1/rules").json()["data"]["groups"]
    loaded = {r["name"]: r for g in groups for r in g["rules"]}
    declared = yaml.safe_load((REPO / "k8s/base/prometheus/alerts.yml").read_text())
    names = {r.get("alert", r.get("record")) for g in declared["groups"] for r in g["rules"]}
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
    for where, selectors in _selectors(target).items():
        for selector in selectors:
            found = httpx.get(
                f"{base}/api/v1/series", params={"match[]": selector, "start": start}
            ).json()["data"]
            if not found:
                missing.setdefault(where, []).append(selector)
    assert missing == {}


def test_every_dashboard_query_shows_data(flow: dict[str, Any], target: Target) -> None:
    """A panel that would be empty fails the build: each dashboard query, evaluated over the
    last hour as Grafana would, returns at least one series."""
    base = target.endpoint("prometheus")
    end = time.time()
    empty = []
    for where, expr in _expressions(target).items():
        if where.startswith(("alert ", "record ")):
            continue
        answer = httpx.get(
            f"{base}/api/v1/query_range",
            params={"query": expr, "start": end - 3600, "end": end, "step": 30},
            timeout=30,
        ).json()
        assert answer["status"] == "success", f"{where}: {answer}"
        if not answer["data"]["result"]:
            empty.append(f"{where}: {expr}")
    assert empty == []


@pytest.mark.requires("process_control")
def test_the_disk_alerts_read_the_free_space_the_os_reports(
    flow: dict[str, Any], target: Target
) -> None:
    """On the stack every store's data is under the state dir: the free ratio the disk alerts
    read for its filesystem is what statvfs says (`df` names the mount), within what a few
    seconds of writes can move."""
    mount = subprocess.run(
        ["df", "--output=target", str(target.state_dir)], capture_output=True, text=True
    ).stdout.split()[-1]
    base = target.endpoint("prometheus")

    def recorded() -> list[Any]:
        answer = httpx.get(f"{base}/api/v1/query", params={"query": "dp:volume_free:ratio"})
        return answer.json()["data"]["result"]  # type: ignore[no-any-return]

    result = _poll(recorded)
    usage = shutil.disk_usage(target.state_dir)
    assert [r["metric"]["volume"] for r in result] == [mount]
    assert float(result[0]["value"][1]) == pytest.approx(usage.free / usage.total, abs=0.005)


def _alerts(base: str, name: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{base}/api/v1/alerts", timeout=10).json()["data"]["alerts"]
    return [a for a in answer if a["labels"]["alertname"] == name]


@pytest.mark.requires("process_control")
def test_a_stopped_model_server_pages_through_alertmanager(
    flow: dict[str, Any], target: Target
) -> None:
    """The alert fires from the real scrape (`up` of the stopped server), Alertmanager routes
    it to the pager receiver, and it resolves when the server is back."""
    prometheus, alertmanager = target.endpoint("prometheus"), target.endpoint("alertmanager")
    assert not [a for a in _alerts(prometheus, "ModelServerDown") if a["state"] == "firing"]
    target.stop("serving")
    try:
        firing = _poll(
            lambda: [a for a in _alerts(prometheus, "ModelServerDown") if a["state"] == "firing"],
            timeout_s=180,
        )
        assert firing, "ModelServerDown did not fire within 3 minutes of the server stopping"

        def routed() -> list[dict[str, Any]]:
            alerts = httpx.get(f"{alertmanager}/api/v2/alerts", timeout=10).json()
            return [a for a in alerts if a["labels"]["alertname"] == "ModelServerDown"]

        received = _poll(routed, timeout_s=60)
        assert received, "Alertmanager never received ModelServerDown"
        assert [r["name"] for r in received[0]["receivers"]] == ["pager"]
        assert received[0]["labels"]["severity"] == "page"
    finally:
        target.start("serving")
    assert _poll(lambda: not _alerts(prometheus, "ModelServerDown"), timeout_s=120)

"""The stream's /healthz and /metrics over HTTP, from one Health."""

from __future__ import annotations

import socket

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from dp_pipeline.stream.health import Health, serve_health

pytestmark = pytest.mark.pipeline


def test_metrics_and_health_tell_the_same_facts() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    health = Health(active=True, lag=42)
    health.record_batch(batch_id=7, valid=90, dead_letters=8, duplicates=2)
    server = serve_health(health, "127.0.0.1", port)
    try:
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/healthz").json()["last_batch_id"] == 7
        samples = {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(httpx.get(f"{base}/metrics").text)
            for s in family.samples
        }
    finally:
        server.shutdown()
    assert samples[("dp_stream_rows_total", (("outcome", "valid"),))] == 90
    assert samples[("dp_stream_rows_total", (("outcome", "dead_letter"),))] == 8
    assert samples[("dp_stream_rows_total", (("outcome", "duplicate"),))] == 2
    assert samples[("dp_stream_batches_total", ())] == 1
    assert samples[("dp_stream_lag_messages", ())] == 42
    assert samples[("dp_stream_active", ())] == 1
    assert samples[("dp_stream_progress_timestamp_seconds", ())] > 1.7e9


def test_an_unknown_lag_is_nan_not_zero() -> None:
    import math

    from dp_pipeline.stream.health import HealthMetrics

    families = {f.name: f for f in HealthMetrics(Health()).collect()}
    assert math.isnan(families["dp_stream_lag_messages"].samples[0].value)

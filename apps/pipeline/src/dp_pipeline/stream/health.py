"""The stream job's `/healthz` (200 while the query runs, with the last batch, the phase of the
one in progress and the lag) and `/metrics` (the same facts for Prometheus)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric


@dataclass
class Health:
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    last_batch_id: int | None = None
    last_batch_at: str | None = None
    batches: int = 0
    valid: int = 0
    dead_letters: int = 0
    duplicates: int = 0
    lag: int | None = None
    active: bool = False
    phase: str | None = None  # of the micro-batch in progress: parse, validate, features, raw, dlq

    def record_batch(self, batch_id: int, valid: int, dead_letters: int, duplicates: int) -> None:
        self.last_batch_id = batch_id
        self.last_batch_at = datetime.now(UTC).isoformat()
        self.batches += 1
        self.valid += valid
        self.dead_letters += dead_letters
        self.duplicates += duplicates


class HealthMetrics:
    """A Prometheus collector reading `Health` when scraped (one source of the figures)."""

    def __init__(self, health: Health) -> None:
        self.health = health

    def collect(self) -> list[Metric]:
        h = self.health
        rows = CounterMetricFamily(
            "dp_stream_rows", "Messages taken, by outcome.", labels=["outcome"]
        )
        for outcome, count in (
            ("valid", h.valid),
            ("dead_letter", h.dead_letters),
            ("duplicate", h.duplicates),
        ):
            rows.add_metric([outcome], count)
        progress = datetime.fromisoformat(h.last_batch_at or h.started_at).timestamp()
        lag = float("nan") if h.lag is None else h.lag  # NaN: not known yet (no progress)
        return [
            CounterMetricFamily("dp_stream_batches", "Micro-batches processed.", value=h.batches),
            rows,
            GaugeMetricFamily("dp_stream_active", "1 while the query runs.", value=int(h.active)),
            GaugeMetricFamily(
                "dp_stream_progress_timestamp_seconds",
                "When the last micro-batch ended (the start, before the first).",
                value=progress,
            ),
            GaugeMetricFamily(
                "dp_stream_lag_messages", "Messages in the topic not yet processed.", value=lag
            ),
        ]


def serve_health(health: Health, host: str, port: int) -> ThreadingHTTPServer:
    """Serve `health` as JSON on `GET /healthz` and as metrics on `GET /metrics`, from a daemon
    thread."""
    registry = CollectorRegistry()
    registry.register(HealthMetrics(health))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/metrics":
                self._answer(200, CONTENT_TYPE_LATEST, generate_latest(registry))
                return
            body = json.dumps(health.__dict__).encode()
            self._answer(200 if health.active else 503, "application/json", body)

        def _answer(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, name="stream-health", daemon=True).start()
    return server


def lag(progress: Any) -> int | None:
    """Messages behind: latest offsets minus processed offsets, over all partitions.

    `progress` is a query's `lastProgress`, which pyspark gives as a dict or as an object.
    """
    if not progress:
        return None
    sources = progress["sources"] if isinstance(progress, dict) else progress.sources
    if not sources:
        return None
    latest = _offsets(sources[0], "latestOffset")
    done = _offsets(sources[0], "endOffset")
    return sum(
        int(offset) - int(done.get(topic, {}).get(p, 0))
        for topic, partitions in latest.items()
        for p, offset in partitions.items()
    )


def _offsets(source: Any, name: str) -> dict[str, dict[str, int]]:
    value = source.get(name) if isinstance(source, dict) else getattr(source, name, None)
    if isinstance(value, str):
        value = json.loads(value)
    return value or {}

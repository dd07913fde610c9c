"""The stream job's `/healthz`: 200 while the query runs, with the last batch and the lag."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


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


def serve_health(health: Health, host: str, port: int) -> ThreadingHTTPServer:
    """Serve `health` as JSON on `GET /healthz` from a daemon thread."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(health.__dict__).encode()
            self.send_response(200 if health.active else 503)
            self.send_header("content-type", "application/json")
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

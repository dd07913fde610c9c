"""Prediction events to Kafka without ever blocking or failing a request.

Requests put events on a bounded queue; one daemon thread owns the producer and sends them.
When Kafka is down or the queue is full, events are dropped and counted
(`dp_api_prediction_events_dropped_total{reason}`), and the API keeps answering.
"""

from __future__ import annotations

import queue
import threading
from typing import Any, Protocol

from prometheus_client import Counter

from dp_core.kafka import build_producer
from dp_core.logs import get_logger
from dp_core.settings import KafkaSettings

log = get_logger(__name__)
QUEUE_SIZE = 10_000


class EventSink(Protocol):
    def publish(self, key: str, event: dict[str, Any]) -> None: ...

    def close(self) -> None: ...


class NoEvents:
    """For targets without Kafka (embedded)."""

    def publish(self, key: str, event: dict[str, Any]) -> None:
        return None

    def close(self) -> None:
        return None


class KafkaEvents:
    """Publishes to the predictions topic from a background thread."""

    def __init__(self, settings: KafkaSettings, sent: Counter, dropped: Counter) -> None:
        self._settings = settings
        self._sent = sent
        self._dropped = dropped
        self._queue: queue.Queue[tuple[str, dict[str, Any]] | None] = queue.Queue(QUEUE_SIZE)
        self._thread = threading.Thread(target=self._run, name="prediction-events", daemon=True)
        self._thread.start()

    def publish(self, key: str, event: dict[str, Any]) -> None:
        try:
            self._queue.put_nowait((key, event))
        except queue.Full:
            self._dropped.labels("queue_full").inc()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=5)

    def _run(self) -> None:
        producer = None
        while (item := self._queue.get()) is not None:
            key, event = item
            try:
                producer = producer or build_producer(
                    self._settings,
                    max_block_ms=1_000,
                    request_timeout_ms=2_000,
                    delivery_timeout_ms=5_000,
                )
                future = producer.send(self._settings.predictions_topic, key=key, value=event)
                future.add_callback(lambda _: self._sent.inc())
                future.add_errback(lambda exc: self._drop("kafka_error", exc))
            except Exception as exc:  # broker unreachable: drop, count, try again next event
                self._drop("kafka_unavailable", exc)
                if producer is not None:
                    producer.close(timeout=0)
                producer = None
        if producer is not None:
            producer.flush(timeout=5)
            producer.close(timeout=5)

    def _drop(self, reason: str, exc: BaseException) -> None:
        self._dropped.labels(reason).inc()
        log.warning("prediction_event_dropped", reason=reason, error=str(exc))

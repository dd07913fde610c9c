"""Prediction events to Kafka without ever blocking or failing a request.

A request queues its event in librdkafka's local buffer (microseconds, no I/O); librdkafka sends
batches from its own threads and one daemon thread here serves the delivery reports. When Kafka is
down, events time out in the buffer; when the buffer is full, they are refused at once. Either way
they are counted (`dp_api_prediction_events_dropped_total{reason}`) and the API keeps answering.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

from confluent_kafka import KafkaError

from dp_api.metrics import ApiMetrics
from dp_core.logs import get_logger
from dp_core.resources import Resources

log = get_logger(__name__)
BUFFERED_EVENTS = 10_000


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
    """Publishes to the predictions topic through librdkafka's buffer."""

    def __init__(self, resources: Resources, metrics: ApiMetrics) -> None:
        self._topic = resources.settings.kafka.predictions_topic
        self._dropped = metrics.events_dropped
        self._producer = resources.kafka_producer(
            on_delivered=metrics.events_sent.inc,
            on_failed=self._failed,
            **{
                "linger.ms": 20,  # batches of events: under load, one request per ~10 events
                "message.timeout.ms": 5_000,  # Kafka down: give an event up (and count it) fast
                "queue.buffering.max.messages": BUFFERED_EVENTS,
            },
        )
        self._closing = threading.Event()
        self._reports = threading.Thread(target=self._serve_reports, name="event-reports")
        self._reports.daemon = True
        self._reports.start()

    def publish(self, key: str, event: dict[str, Any]) -> None:
        try:
            self._producer.send(self._topic, key, event)
        except BufferError:
            self._dropped.labels("buffer_full").inc()
        except Exception as exc:  # whatever the producer raises, the answer still goes out
            self._dropped.labels("producer_error").inc()
            log.warning("prediction_event_dropped", error=repr(exc))

    def close(self) -> None:
        self._closing.set()
        self._reports.join(timeout=2)
        try:
            self._producer.flush(timeout_s=5)
        except Exception as exc:  # shutting down: what is lost is counted, not raised
            log.warning("prediction_events_lost_at_shutdown", error=str(exc))

    def _serve_reports(self) -> None:
        while not self._closing.is_set():
            self._producer.poll(0.5)

    def _failed(self, error: KafkaError) -> None:
        self._dropped.labels("kafka_unavailable").inc()
        log.warning("prediction_event_dropped", error=error.str())

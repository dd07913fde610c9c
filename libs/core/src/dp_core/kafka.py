"""Kafka producers from settings: one configuration (acks=all, idempotent) for every writer.

librdkafka (confluent-kafka) batches, sends and retries in native threads: `send` costs the caller
microseconds and the GIL is never held while waiting on a broker. A Python-thread producer
(kafka-python) cost the API a fifth of its throughput in GIL contention (docs/performance.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from confluent_kafka import KafkaError, Message, Producer

from dp_core.settings import KafkaSettings

# kafka-python (the e2e suite's plain consumer and the stack's topic admin) probes the broker
# version for 30 s unless told; our brokers are Kafka 4.x.
API_VERSION = (3, 9)


class DeliveryFailed(RuntimeError):
    """Messages were not acknowledged by the brokers."""


class JsonProducer:
    """Sends JSON (or ready bytes) keyed by a string; counts what the brokers refused."""

    def __init__(
        self,
        settings: KafkaSettings,
        on_delivered: Callable[[], None] | None = None,
        on_failed: Callable[[KafkaError], None] | None = None,
        **overrides: Any,
    ) -> None:
        config: dict[str, Any] = {
            "bootstrap.servers": settings.bootstrap_servers,
            "acks": "all",
            "enable.idempotence": True,
            "linger.ms": 5,
            "client.id": "data-platform",
            **overrides,
        }
        self._producer = Producer(config)
        self._on_delivered = on_delivered
        self._on_failed = on_failed
        self.failed = 0

    def send(
        self,
        topic: str,
        key: str | None,
        value: bytes | dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        """Queue one message; raises BufferError when the local queue is full."""
        payload = value if isinstance(value, bytes) else json.dumps(value, default=str).encode()
        self._producer.produce(
            topic,
            key=None if key is None else key.encode(),
            value=payload,
            headers=None if headers is None else [(k, v.encode()) for k, v in headers.items()],
            on_delivery=self._delivered,
        )

    def send_waiting(
        self,
        topic: str,
        key: str | None,
        value: bytes | dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        """Queue one message, waiting for room in the local queue when it is full."""
        while True:
            try:
                self.send(topic, key, value, headers)
                return
            except BufferError:
                self._producer.poll(0.1)

    def poll(self, timeout_s: float) -> None:
        """Serve delivery reports (waits up to `timeout_s` without holding the GIL)."""
        self._producer.poll(timeout_s)

    def flush(self, timeout_s: float = 30.0) -> None:
        """Wait until every queued message is acknowledged; raise if any was not."""
        remaining = self._producer.flush(timeout_s)
        failed, self.failed = self.failed, 0
        if remaining or failed:
            raise DeliveryFailed(f"{failed} messages refused, {remaining} unacknowledged")

    def _delivered(self, error: KafkaError | None, _message: Message) -> None:
        if error is None:
            if self._on_delivered:
                self._on_delivered()
            return
        self.failed += 1
        if self._on_failed:
            self._on_failed(error)

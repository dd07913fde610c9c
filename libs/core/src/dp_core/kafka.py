"""Kafka from settings: who this process is to the brokers (SASL/SCRAM), and one producer
configuration (acks=all, idempotent) for every writer.

librdkafka (confluent-kafka) batches, sends and retries in native threads: `send` costs the caller
microseconds and the GIL is never held while waiting on a broker. A Python-thread producer
(kafka-python) cost the API a fifth of its throughput in GIL contention (docs/performance.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from confluent_kafka import KafkaError, Message, Producer

from dp_core.settings import KafkaSettings

if TYPE_CHECKING:
    from dp_core.secrets import SecretStore

# kafka-python (the e2e suite's plain consumer and the stack's topic admin) probes the broker
# version for 30 s unless told; our brokers are Kafka 4.x.
API_VERSION = (3, 9)


SCRAM = "SCRAM-SHA-512"


@dataclass(frozen=True)
class KafkaIdentity:
    """Where the brokers are and who this process is to them, in each client library's terms:
    librdkafka (producers, admin), kafka-python (plain consumers) and Spark's Kafka source."""

    bootstrap_servers: str
    username: str = ""
    password: str = ""
    tls: bool = False

    @property
    def protocol(self) -> str:
        if not self.username:
            return "SSL" if self.tls else "PLAINTEXT"
        return "SASL_SSL" if self.tls else "SASL_PLAINTEXT"

    def librdkafka(self) -> dict[str, str | int | float | bool]:
        config: dict[str, str | int | float | bool] = {
            "bootstrap.servers": self.bootstrap_servers,
            "security.protocol": self.protocol,
        }
        if self.username:
            config |= {
                "sasl.mechanisms": SCRAM,
                "sasl.username": self.username,
                "sasl.password": self.password,
            }
        return config

    def kafka_python(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers,
            "security_protocol": self.protocol,
            "api_version": API_VERSION,
        }
        if self.username:
            config |= {
                "sasl_mechanism": SCRAM,
                "sasl_plain_username": self.username,
                "sasl_plain_password": self.password,
            }
        return config

    def spark(self) -> dict[str, str]:
        """Options of Spark's Kafka source and sink (`kafka.`-prefixed client settings)."""
        options = {
            "kafka.bootstrap.servers": self.bootstrap_servers,
            "kafka.security.protocol": self.protocol,
        }
        if self.username:
            options |= {
                "kafka.sasl.mechanism": SCRAM,
                "kafka.sasl.jaas.config": "org.apache.kafka.common.security.scram.ScramLoginModule"
                f' required username="{self.username}" password="{self.password}";',
            }
        return options


def kafka_identity(settings: KafkaSettings, secrets: SecretStore) -> KafkaIdentity:
    """This process's identity: `kafka.user` and its password from the secret `kafka/<user>`."""
    if not settings.user:
        return KafkaIdentity(settings.bootstrap_servers, tls=settings.tls)
    password = secrets.get(f"kafka/{settings.user}").get("password")
    if not password:
        raise ValueError(f"the secret kafka/{settings.user} has no 'password' for Kafka's SCRAM")
    return KafkaIdentity(settings.bootstrap_servers, settings.user, password, settings.tls)


class DeliveryFailed(RuntimeError):
    """Messages were not acknowledged by the brokers."""


class JsonProducer:
    """Sends JSON (or ready bytes) keyed by a string; counts what the brokers refused."""

    def __init__(
        self,
        identity: KafkaIdentity,
        on_delivered: Callable[[], None] | None = None,
        on_failed: Callable[[KafkaError], None] | None = None,
        **overrides: Any,
    ) -> None:
        config: dict[str, Any] = {
            **identity.librdkafka(),
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

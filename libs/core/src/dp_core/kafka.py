"""Kafka clients from settings: one producer configuration (acks=all, idempotent) for all."""

from __future__ import annotations

import json
from typing import Any

from kafka import KafkaProducer

from dp_core.settings import KafkaSettings

# kafka-python probes the broker version for 30 s unless told; our brokers are Kafka 4.x.
API_VERSION = (3, 9)


def build_producer(settings: KafkaSettings, **overrides: Any) -> KafkaProducer:
    """A JSON producer with acks=all and idempotence; `overrides` tune timeouts per use."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap_servers,
        "api_version": API_VERSION,
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 5,
        "key_serializer": lambda key: key.encode() if key is not None else None,
        "value_serializer": lambda value: json.dumps(value, default=str).encode(),
    }
    return KafkaProducer(**{**options, **overrides})

"""A process's Kafka identity, in each client library's own terms."""

from __future__ import annotations

import pytest

from dp_core.kafka import kafka_identity
from dp_core.settings import KafkaSettings


class Secrets:
    def __init__(self, values: dict[str, dict[str, str]]) -> None:
        self.values = values

    def get(self, path: str) -> dict[str, str]:
        return self.values.get(path, {})


def test_without_a_user_no_client_authenticates() -> None:
    identity = kafka_identity(KafkaSettings(bootstrap_servers="k:1"), Secrets({}))
    assert identity.librdkafka() == {"bootstrap.servers": "k:1", "security.protocol": "PLAINTEXT"}
    assert identity.kafka_python()["security_protocol"] == "PLAINTEXT"
    assert "sasl_mechanism" not in identity.kafka_python()
    assert identity.spark() == {
        "kafka.bootstrap.servers": "k:1",
        "kafka.security.protocol": "PLAINTEXT",
    }


def test_a_user_logs_in_with_scram_and_its_password_from_the_secret_store() -> None:
    settings = KafkaSettings(bootstrap_servers="k:1", user="api")
    identity = kafka_identity(settings, Secrets({"kafka/api": {"password": "pw"}}))
    assert identity.librdkafka() == {
        "bootstrap.servers": "k:1",
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanisms": "SCRAM-SHA-512",
        "sasl.username": "api",
        "sasl.password": "pw",  # pragma: allowlist secret
    }
    python = identity.kafka_python()
    assert (python["sasl_mechanism"], python["sasl_plain_username"]) == ("SCRAM-SHA-512", "api")
    assert python["sasl_plain_password"] == "pw"  # pragma: allowlist secret
    spark = identity.spark()
    assert spark["kafka.sasl.mechanism"] == "SCRAM-SHA-512"
    assert spark["kafka.sasl.jaas.config"] == (
        "org.apache.kafka.common.security.scram.ScramLoginModule required "
        'username="api" password="pw";'  # pragma: allowlist secret
    )


def test_tls_wraps_the_login() -> None:
    settings = KafkaSettings(bootstrap_servers="k:1", user="api", tls=True)
    identity = kafka_identity(settings, Secrets({"kafka/api": {"password": "pw"}}))
    assert identity.librdkafka()["security.protocol"] == "SASL_SSL"


def test_a_missing_password_names_the_secret() -> None:
    with pytest.raises(ValueError, match="kafka/stream"):
        kafka_identity(KafkaSettings(bootstrap_servers="k:1", user="stream"), Secrets({}))

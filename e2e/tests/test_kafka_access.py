"""Kafka lets in only its users (SASL/SCRAM), and each user only what its workload needs (ACLs)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, Producer
from confluent_kafka.admin import AclOperation, AdminClient

from dp_core.resources import Resources
from e2e.target import Target

pytestmark = pytest.mark.requires("kafka")
TOPICS = ("transactions", "transactions.dlq", "predictions")
# What each workload may do to the topics (docs/security.md), written here, not read from acls.txt.
RIGHTS = {
    "api": {("WRITE", "predictions")},
    "stream": {("READ", "transactions"), ("WRITE", "transactions.dlq")},
}
SERVICE_USERS = {"api": "api", "stream": "stream"}


def _config(resources: Resources, user: str | None, password: str | None = None) -> dict[str, Any]:
    config: dict[str, Any] = {
        "bootstrap.servers": resources.settings.kafka.bootstrap_servers,
        "socket.timeout.ms": 5_000,
    }
    if user is not None:
        secret = resources.secrets.get(f"kafka/{user}")["password"]
        config |= {
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanisms": "SCRAM-SHA-512",
            "sasl.username": user,
            "sasl.password": secret if password is None else password,
        }
    return config


def _rights(resources: Resources, user: str) -> set[tuple[str, str]]:
    """What the brokers say `user` may read or write (DescribeTopics' authorized operations)."""
    from confluent_kafka import TopicCollection

    admin = AdminClient(_config(resources, user))
    futures = admin.describe_topics(
        TopicCollection(list(TOPICS)), include_authorized_operations=True
    )
    rights = set()
    for topic, future in futures.items():
        try:
            operations = future.result(timeout=15).authorized_operations or []
        except KafkaException as exc:  # not even DESCRIBE: the topic is invisible to the user
            if exc.args[0].code() != KafkaError.TOPIC_AUTHORIZATION_FAILED:
                raise
            continue
        rights |= {
            (op.name, topic) for op in operations if op in (AclOperation.READ, AclOperation.WRITE)
        }
    return rights


def _produce(config: dict[str, Any], topic: str) -> KafkaError | None:
    """Send one message; the delivery error (None when the brokers took it)."""
    outcome: list[KafkaError | None] = []
    producer = Producer({**config, "acks": "all", "message.timeout.ms": 10_000})
    producer.produce(topic, b"{}", on_delivery=lambda error, _message: outcome.append(error))
    producer.flush(15)
    assert outcome, f"no delivery report for {topic}"
    return outcome[0]


def _connect_errors(config: dict[str, Any]) -> list[KafkaError]:
    """Asks for the cluster's metadata, which must fail; the client's errors meanwhile."""
    errors: list[KafkaError] = []
    admin = AdminClient({**config, "error_cb": errors.append})
    with pytest.raises(KafkaException):
        admin.list_topics(timeout=6)
    admin.poll(1)  # error callbacks are served here
    return errors


def test_an_anonymous_client_is_refused(resources: Resources) -> None:
    errors = _connect_errors(_config(resources, None))
    assert KafkaError._AUTHENTICATION not in {e.code() for e in errors}  # dropped, not asked


def test_a_wrong_password_is_refused_as_an_authentication_failure(resources: Resources) -> None:
    errors = _connect_errors(_config(resources, "api", password="not-" + uuid.uuid4().hex))
    assert KafkaError._AUTHENTICATION in {e.code() for e in errors}, errors


@pytest.mark.parametrize("user", sorted(RIGHTS))
def test_a_workload_may_read_and_write_exactly_its_topics(resources: Resources, user: str) -> None:
    assert _rights(resources, user) == RIGHTS[user]


def test_refused_operations_are_refused_by_the_brokers(resources: Resources) -> None:
    """Not only reported: a write outside a user's rights fails for real (reads are judged by
    the brokers' authorized operations above)."""
    refused = KafkaError.TOPIC_AUTHORIZATION_FAILED
    api, stream = _config(resources, "api"), _config(resources, "stream")
    for config, topic in ((api, "transactions"), (stream, "predictions"), (stream, "transactions")):
        error = _produce(config, topic)
        assert error is not None, (config["sasl.username"], topic)
        assert error.code() == refused, (config["sasl.username"], topic, error)


@pytest.mark.parametrize("service", sorted(SERVICE_USERS))
def test_the_running_service_connects_as_its_own_user(target: Target, service: str) -> None:
    assert target.service_environ(service).get("DP_KAFKA__USER") == SERVICE_USERS[service]

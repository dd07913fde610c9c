"""Prediction events on Kafka, read with a plain consumer; the API keeps answering without Kafka."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import pytest
from kafka import KafkaConsumer, TopicPartition

from dp_core.resources import Resources
from dp_core.settings import kafka_brokers
from e2e.target import Target

pytestmark = pytest.mark.requires("kafka", "api")


def _body(flow: dict[str, Any]) -> dict[str, Any]:
    customer = next(p["request"]["customer_id"] for p in flow["predictions"] if p["status"] == 200)
    return {
        "customer_id": customer,
        "merchant_id": "m-1",
        "amount": 12.5,
        "currency": "EUR",
        "channel": "pos",
        "country": "DE",
    }


def _consumer(resources: Resources) -> KafkaConsumer:
    kafka = resources.settings.kafka
    consumer = KafkaConsumer(
        **resources.kafka.kafka_python(),
        value_deserializer=lambda raw: json.loads(raw),
        consumer_timeout_ms=1_000,
    )
    partitions = [
        TopicPartition(kafka.predictions_topic, p)
        for p in consumer.partitions_for_topic(kafka.predictions_topic)
    ]
    consumer.assign(partitions)
    consumer.seek_to_end()
    for partition in partitions:
        consumer.position(partition)
    return consumer


def test_prediction_events_match_api_responses(
    flow: dict[str, Any], target: Target, resources: Resources
) -> None:
    consumer = _consumer(resources)
    answers = {}
    for i in range(5):
        body = {**_body(flow), "transaction_id": f"e2e-event-{uuid.uuid4().hex[:8]}-{i}"}
        answer = httpx.post(
            f"{target.endpoint('api')}/v1/predict", json=body, headers=target.api_headers()
        ).json()
        answers[answer["request_id"]] = answer
    events: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + 30
    while set(answers) - set(events) and time.monotonic() < deadline:
        for message in consumer:
            events[message.value["request_id"]] = message.value
    consumer.close()
    assert set(answers) <= set(events)
    for request_id, answer in answers.items():
        event = events[request_id]
        assert event["score"] == answer["score"]
        assert event["model_version"] == answer["model_version"]
        assert event["transaction_id"] == answer["transaction_id"]
        assert event["latency_ms"] > 0


def _dropped(api: str) -> float:
    lines = httpx.get(f"{api}/metrics").text.splitlines()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in lines
        if line.startswith("dp_api_prediction_events_dropped_total")
    )


@pytest.mark.requires("process_control")
def test_api_answers_and_counts_drops_while_kafka_is_down(
    flow: dict[str, Any], target: Target
) -> None:
    api, headers = target.endpoint("api"), target.api_headers()
    before = _dropped(api)
    brokers = kafka_brokers(target.settings().kafka.brokers)  # down means every broker
    for broker in reversed(brokers):
        target.stop(broker)
    try:
        for _ in range(3):
            answer = httpx.post(f"{api}/v1/predict", json=_body(flow), headers=headers, timeout=10)
            assert answer.status_code == 200
        deadline = time.monotonic() + 30
        while _dropped(api) < before + 3 and time.monotonic() < deadline:
            time.sleep(1)
        assert _dropped(api) >= before + 3
    finally:
        for broker in brokers:
            target.start(broker)

"""Replay dead letters: re-publish those with one reason to the transactions topic.

A dead letter is the original message (key and bytes) with `dp.reason`, `dp.source` (topic,
partition and offset it came from), `dp.batch_id` and `dp.at` in its headers. Replaying sends the
original back to the transactions topic with `dp.replayed_from` (the letter's own place), for
when the cause is fixed: a currency was added, the allowed lateness raised. Replaying twice is
harmless: the stream takes a transaction once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from dp_core.progress import progress
from dp_core.resources import Resources


@dataclass(frozen=True)
class ReplaySpec:
    reason: str
    since: datetime | None = None  # letters written at or after this time only


def replay(resources: Resources, spec: ReplaySpec) -> dict[str, int | str]:
    """Re-publish the letters with `spec.reason` that are on the topic now; counts."""
    kafka = resources.settings.kafka
    consumer = resources.kafka_consumer(enable_auto_commit=False, consumer_timeout_ms=2_000)
    partitions = [
        TopicPartition(kafka.dlq_topic, p)
        for p in sorted(consumer.partitions_for_topic(kafka.dlq_topic) or ())
    ]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    end = {tp: offset for tp, offset in consumer.end_offsets(partitions).items() if offset}
    since_ms = None if spec.since is None else int(spec.since.timestamp() * 1000)
    producer = resources.kafka_producer()
    counts = {"letters": 0, "replayed": 0}
    with progress() as bar:
        task = bar.add_task(f"replay {spec.reason} ← {kafka.dlq_topic}", total=sum(end.values()))
        for message in _until(consumer, end):
            counts["letters"] += 1
            bar.advance(task)
            headers = {k: v.decode() for k, v in message.headers or []}
            if headers.get("dp.reason") != spec.reason:
                continue
            if since_ms is not None and message.timestamp < since_ms:
                continue
            origin = f"{message.topic}:{message.partition}:{message.offset}"
            key = None if message.key is None else message.key.decode()
            value = message.value or b""
            producer.send_waiting(
                kafka.transactions_topic, key, value, {"dp.replayed_from": origin}
            )
            counts["replayed"] += 1
    producer.flush()
    return {"reason": spec.reason, **counts}


def _until(consumer: KafkaConsumer, end: dict[TopicPartition, int]) -> Iterator[Any]:
    """The assigned partitions' messages up to `end` (offsets when the replay started); stops
    early if the consumer hears nothing for its timeout."""
    left = dict(end)
    while left:
        heard = False
        for message in consumer:
            heard = True
            tp = TopicPartition(message.topic, message.partition)
            if tp in left and message.offset < left[tp]:
                yield message
            if tp in left and message.offset + 1 >= left[tp]:
                del left[tp]
            if not left:
                return
        if not heard:
            return

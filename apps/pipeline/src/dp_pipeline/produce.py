"""Produce: generated transactions to Kafka at a steady rate, with bad messages mixed in."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dp_core.progress import progress
from dp_core.resources import Resources
from dp_pipeline.generate import GenerateSpec, clean_transactions
from dp_pipeline.messages import BAD_KINDS, break_message, message


@dataclass(frozen=True)
class ProduceSpec:
    count: int = 1_000
    rate: float = 200.0
    bad_every: int = 0
    customers: int = 1_000
    seed: int = 1


def produce(resources: Resources, spec: ProduceSpec) -> dict[str, int]:
    """Send `count` messages (every `bad_every`-th one broken, cycling the bad kinds), timed now."""
    frame = clean_transactions(GenerateSpec(rows=spec.count, days=1, seed=spec.seed))
    frame["customer_id"] = [f"c-{i % spec.customers:07d}" for i in range(spec.count)]
    frame["transaction_id"] = [f"st-{spec.seed}-{i:09d}" for i in range(spec.count)]
    start = datetime.now(UTC)
    kafka = resources.settings.kafka
    producer = resources.kafka_producer()
    sent = {"valid": 0, **dict.fromkeys(BAD_KINDS, 0)}
    with progress() as bar:
        task = bar.add_task(f"produce → {kafka.transactions_topic}", total=spec.count)
        for i, record in enumerate(frame.to_dict("records")):
            row = {str(k): v for k, v in record.items()}
            when = start + timedelta(seconds=i / spec.rate)
            row["timestamp"] = when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            row["amount"] = float(row["amount"])
            row["is_fraud"] = int(row["is_fraud"])
            valid = message(row)
            if spec.bad_every and (i + 1) % spec.bad_every == 0:
                kind = BAD_KINDS[((i + 1) // spec.bad_every - 1) % len(BAD_KINDS)]
                payload, sent[kind] = break_message(valid, kind), sent[kind] + 1
            else:
                payload, sent["valid"] = json.dumps(valid).encode(), sent["valid"] + 1
            producer.send_waiting(kafka.transactions_topic, row["customer_id"], payload)
            bar.advance(task)
            delay = (when - datetime.now(UTC)).total_seconds()
            if delay > 0:
                time.sleep(delay)
    producer.flush()
    return sent

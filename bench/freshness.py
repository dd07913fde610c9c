"""Streaming freshness: how long until an event produced to Kafka shows in the API's answer."""

from __future__ import annotations

import statistics
import time
import uuid
from datetime import UTC, datetime

import httpx

from dp_core.kafka import JsonProducer
from dp_core.resources import Resources

QUESTION = {
    "merchant_id": "m-1",
    "amount": 5.0,
    "currency": "EUR",
    "channel": "pos",
    "country": "DE",
}


def measure_freshness(
    resources: Resources,
    api_url: str,
    headers: dict[str, str],
    events: int = 20,
    give_up_s: float = 60,
) -> dict[str, float]:
    """Send transactions of a new customer one at a time; after each, poll `/v1/predict` until
    its `txn_count_1h` counts it, timed from the producer's send call. p50 and p95 are over
    `events` events after a first one, whose delay (a stream job just restarted compiles its
    plans then: ~12 s) is reported apart."""
    producer = JsonProducer(resources.kafka)
    topic = resources.settings.kafka.transactions_topic
    customer = f"c-fresh-{uuid.uuid4().hex[:8]}"
    delays = []
    with httpx.Client(base_url=api_url, timeout=5, headers=headers) as api:
        for i in range(events + 1):
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            event = {
                "schema_version": 1,
                "transaction_id": f"fresh-{customer}-{i}",
                "customer_id": customer,
                "merchant_id": "m-000001",
                "amount": 20.0 + i,
                "currency": "EUR",
                "channel": "pos",
                "country": "DE",
                "timestamp": stamp,
                "is_fraud": 0,
            }
            sent = time.monotonic()  # from the send call: the producer's batching counts too
            producer.send(topic, customer, event)
            producer.flush(timeout_s=10)
            question = {**QUESTION, "customer_id": customer}
            while _count_seen(api, question) != i + 1:
                if time.monotonic() - sent > give_up_s:
                    raise TimeoutError(f"event {i} not reflected within {give_up_s} s")
                time.sleep(0.05)
            delays.append(time.monotonic() - sent)
    first, delays = delays[0], delays[1:]
    return {
        "events": len(delays),
        "first_event_s": round(first, 3),
        "p50_s": round(statistics.median(delays), 3),
        "p95_s": round(statistics.quantiles(delays, n=20)[-1], 3),
    }


def _count_seen(api: httpx.Client, question: dict[str, object]) -> int:
    count: int = api.post("/v1/predict", json=question).json()["features"]["txn_count_1h"]
    return count

"""Kafka → stream job → raw zone, dead-letter topic and online features."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from kafka import KafkaConsumer, TopicPartition

from bench.freshness import measure_freshness
from dp_core.kafka import API_VERSION
from dp_core.resources import Resources
from dp_core.storage import Zone
from dp_features.repo import FEATURES, feature_refs
from dp_pipeline.messages import BAD_KINDS
from e2e.expected import CENT, MONEY, latest_state
from e2e.target import Target

pytestmark = pytest.mark.requires("streaming", "kafka")
STREAM_DATASET = "transactions_stream"


def _seed() -> int:
    return int(uuid.uuid4().int % 1_000_000_000)


class DeadLetters:
    """Reads the dead-letter topic from where it ends now."""

    def __init__(self, resources: Resources) -> None:
        kafka = resources.settings.kafka
        self.consumer = KafkaConsumer(
            bootstrap_servers=kafka.bootstrap_servers,
            api_version=API_VERSION,
            value_deserializer=json.loads,
            consumer_timeout_ms=1_000,
        )
        partitions = [
            TopicPartition(kafka.dlq_topic, p)
            for p in self.consumer.partitions_for_topic(kafka.dlq_topic)
        ]
        self.consumer.assign(partitions)
        self.consumer.seek_to_end()
        for partition in partitions:
            self.consumer.position(partition)
        self.letters: dict[str, dict[str, Any]] = {}

    def collect(
        self, marker: str, expected: int, timeout_s: float = 120
    ) -> dict[str, dict[str, Any]]:
        """Letters whose payload holds `marker`, deduplicated by (partition:offset) key."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for message in self.consumer:
                if marker in message.value["payload"]:
                    self.letters[message.key.decode()] = message.value
            if len(self.letters) >= expected:
                break
        return self.letters


def _streamed(resources: Resources, prefix: str) -> pd.DataFrame:
    store = resources.store
    uri = store.uri(Zone.RAW, STREAM_DATASET)
    if not store.list_files(uri, ".parquet"):
        return pd.DataFrame(columns=["transaction_id"])
    frame = store.read_parquet(uri)
    return frame[frame["transaction_id"].str.startswith(prefix)]


def _wait_for_rows(
    resources: Resources, prefix: str, expected: int, timeout_s: float = 180
) -> pd.DataFrame:
    deadline = time.monotonic() + timeout_s
    while True:
        rows = _streamed(resources, prefix)
        if len(rows) >= expected or time.monotonic() > deadline:
            return rows
        time.sleep(2)


def test_every_bad_message_kind_lands_in_the_dlq_with_its_reason(
    flow: dict[str, Any], target: Target, resources: Resources
) -> None:
    seed = _seed()
    letters = DeadLetters(resources)
    count = 2 * len(BAD_KINDS)
    sent = target.dp_json(
        "produce",
        "--count",
        str(count),
        "--rate",
        "50",
        "--bad-every",
        "2",
        "--seed",
        str(seed),
        "--customers",
        "10",
    )
    assert sent["valid"] == len(BAD_KINDS)
    found = letters.collect(f"st-{seed}-", len(BAD_KINDS))
    assert sorted(letter["reason"] for letter in found.values()) == sorted(BAD_KINDS)
    assert all(letter["payload"] for letter in found.values())
    assert len(_wait_for_rows(resources, f"st-{seed}-", len(BAD_KINDS))) == len(BAD_KINDS)


@pytest.mark.requires("process_control")
def test_no_loss_no_duplicates_across_a_sigkill(
    flow: dict[str, Any], target: Target, resources: Resources
) -> None:
    seed, count, bad_every = _seed(), 600, 20
    prefix = f"st-{seed}-"
    letters = DeadLetters(resources)
    producer = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dp_cli",
            "produce",
            "--count",
            str(count),
            "--rate",
            "100",
            "--bad-every",
            str(bad_every),
            "--seed",
            str(seed),
            "--customers",
            "25",
        ],
        env=target.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    time.sleep(3)
    target.kill("stream")
    producer.wait(timeout=60)
    target.start("stream")

    bad = count // bad_every
    rows = _wait_for_rows(resources, prefix, count - bad)
    found = letters.collect(prefix, bad)
    assert len(rows) == count - bad
    assert rows["transaction_id"].is_unique
    assert len(found) == bad
    ids = set(rows["transaction_id"]) | {
        json.loads(letter["payload"])["transaction_id"]
        for letter in found.values()
        if letter["reason"] != "unparsable_json"
    }
    assert (
        len(ids) + sum(letter["reason"] == "unparsable_json" for letter in found.values()) == count
    )

    # The online features equal the features' definitions applied to the streamed events,
    # computed here (e2e/expected.py), not by the pipeline's own transform.
    customers = sorted(rows["customer_id"].unique())[:5]
    streamed = resources.store.read_parquet(resources.store.uri(Zone.RAW, STREAM_DATASET))
    history = streamed[streamed["customer_id"].isin(customers)]
    expected = latest_state(history)
    latest = pd.DataFrame.from_dict(expected, orient="index")
    deadline = time.monotonic() + 30
    while True:
        online = (
            resources.feature_store.get_online_features(
                features=feature_refs(), entity_rows=[{"customer_id": c} for c in customers]
            )
            .to_df()
            .set_index("customer_id")
        )
        matches = all(
            online.loc[customers, name].astype(float).tolist()
            == pytest.approx(
                latest.loc[customers, name].astype(float).tolist(),
                nan_ok=True,
                abs=CENT if name in MONEY else None,
            )
            for name in FEATURES
        )
        if matches or time.monotonic() > deadline:
            break
        time.sleep(2)
    for name in FEATURES:
        assert online.loc[customers, name].astype(float).tolist() == pytest.approx(
            latest.loc[customers, name].astype(float).tolist(),
            nan_ok=True,
            abs=CENT if name in MONEY else None,
        ), name


@pytest.mark.requires("api")
def test_freshness_of_online_features(
    flow: dict[str, Any], target: Target, resources: Resources
) -> None:
    """Produce one event at a time and poll the API until its features reflect it."""
    report = measure_freshness(resources.settings.kafka, target.endpoint("api"), events=20)
    out = Path("reports")
    out.mkdir(exist_ok=True)
    (out / "freshness.json").write_text(json.dumps(report, indent=2))
    assert report["events"] == 20
    assert 0 < report["p50_s"] <= report["p95_s"]

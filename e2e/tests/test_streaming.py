"""Kafka → stream job → raw zone, dead-letter topic and online features, under real conditions.

Expected online features are computed here (`e2e/expected.py`) over each customer's whole
history — the batch flow's staged transactions plus the streamed ones — never with the
pipeline's own transform. Messages the tests write themselves are plain JSON built here.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, ClusterMetadata, ConfigResource
from kafka import KafkaConsumer, TopicPartition

from bench.freshness import measure_freshness
from dp_core.resources import Resources
from dp_core.storage import Zone
from dp_features.repo import FEATURES, feature_refs
from dp_pipeline.messages import BAD_KINDS
from e2e.expected import CENT, MONEY, latest_state
from e2e.target import Target

pytestmark = pytest.mark.requires("streaming", "kafka")
STREAM_DATASET = "transactions_stream"
EVENT_COLUMNS = ["transaction_id", "customer_id", "merchant_id", "amount", "event_timestamp"]


def _seed() -> int:
    return int(uuid.uuid4().int % 1_000_000_000)


class Topic:
    """Reads a topic from where it ends now: (key, value, headers) per message."""

    def __init__(self, resources: Resources, topic: str) -> None:
        self.consumer = KafkaConsumer(**resources.kafka.kafka_python(), consumer_timeout_ms=1_000)
        partitions = [TopicPartition(topic, p) for p in self.consumer.partitions_for_topic(topic)]
        self.consumer.assign(partitions)
        self.consumer.seek_to_end()
        for partition in partitions:
            self.consumer.position(partition)

    def messages(self) -> list[dict[str, Any]]:
        return [
            {
                "key": None if m.key is None else m.key.decode(),
                "value": m.value.decode(errors="replace"),
                "headers": {k: v.decode() for k, v in m.headers or []},
            }
            for m in self.consumer
        ]


class DeadLetters(Topic):
    def __init__(self, resources: Resources) -> None:
        super().__init__(resources, resources.settings.kafka.dlq_topic)
        self.letters: dict[str, dict[str, Any]] = {}

    def collect(
        self, *markers: str, expected: int, timeout_s: float = 120
    ) -> dict[str, dict[str, Any]]:
        """Letters whose original bytes hold one of `markers`, deduplicated by source offset."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for letter in self.messages():
                if any(marker in letter["value"] for marker in markers):
                    self.letters[letter["headers"]["dp.source"]] = letter
            if len(self.letters) >= expected:
                break
        return self.letters


def _streamed(resources: Resources, prefix: str | tuple[str, ...] = "") -> pd.DataFrame:
    store = resources.store
    uri = store.uri(Zone.RAW, STREAM_DATASET)
    if not store.list_files(uri, ".parquet"):
        return pd.DataFrame(columns=EVENT_COLUMNS)
    frame = store.read_parquet(uri)
    return frame[frame["transaction_id"].str.startswith(prefix)]


def _wait_for_rows(
    resources: Resources, prefix: str | tuple[str, ...], expected: int, timeout_s: float = 180
) -> pd.DataFrame:
    deadline = time.monotonic() + timeout_s
    while True:
        rows = _streamed(resources, prefix)
        if len(rows) >= expected or time.monotonic() > deadline:
            return rows
        time.sleep(2)


def _history(resources: Resources, customers: list[str]) -> pd.DataFrame:
    """Every transaction of `customers` the platform holds: staged by the batch flow or streamed."""
    store = resources.store
    batch = store.read_parquet(store.uri(Zone.STAGING, "transactions"), columns=EVENT_COLUMNS)
    events = pd.concat([batch, _streamed(resources)[EVENT_COLUMNS]], ignore_index=True)
    return events[events["customer_id"].isin(customers)].drop_duplicates("transaction_id")


def _online(resources: Resources, customers: list[str]) -> pd.DataFrame:
    return (
        resources.feature_store.get_online_features(
            features=feature_refs(), entity_rows=[{"customer_id": c} for c in customers]
        )
        .to_df()
        .set_index("customer_id")
    )


def _mismatches(resources: Resources, customers: list[str]) -> list[str]:
    expected = pd.DataFrame.from_dict(latest_state(_history(resources, customers)), orient="index")
    online = _online(resources, customers)
    return [
        name
        for name in FEATURES
        if online.loc[customers, name].astype(float).tolist()
        != pytest.approx(
            expected.loc[customers, name].astype(float).tolist(),
            nan_ok=True,
            abs=CENT if name in MONEY else None,
        )
    ]


def _assert_online_state(resources: Resources, customers: list[str], timeout_s: float = 60) -> None:
    """Online features equal the definition over batch plus streamed history (eventually)."""
    deadline = time.monotonic() + timeout_s
    while (wrong := _mismatches(resources, customers)) and time.monotonic() < deadline:
        time.sleep(2)
    assert not wrong, f"online features differ from the definition: {wrong}"


def _message(transaction_id: str, customer: str, at: datetime, amount: float) -> dict[str, Any]:
    """A valid message, schema version 1, as docs/streaming.md specifies it."""
    return {
        "schema_version": 1,
        "transaction_id": transaction_id,
        "customer_id": customer,
        "merchant_id": "m-000042",
        "amount": amount,
        "currency": "EUR",
        "channel": "online",
        "country": "DE",
        "timestamp": at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "is_fraud": 0,
    }


def _send(resources: Resources, messages: list[dict[str, Any]]) -> None:
    kafka = resources.settings.kafka
    producer = Producer({**resources.kafka.librdkafka(), "acks": "all"})
    for m in messages:
        producer.produce(kafka.transactions_topic, key=m["customer_id"], value=json.dumps(m))
    assert producer.flush(30) == 0


def _files(resources: Resources) -> dict[str, str]:
    """Every raw-zone file of the stream with the digest of its bytes."""
    store = resources.store
    paths = store.list_files(store.uri(Zone.RAW, STREAM_DATASET), ".parquet")
    return {p: hashlib.sha256(store.fs.cat_file(p)).hexdigest() for p in paths}


def test_every_bad_message_kind_lands_in_the_dlq_with_its_reason(
    flow: dict[str, Any], target: Target, resources: Resources
) -> None:
    seed = _seed()
    letters = DeadLetters(resources)
    count = 2 * len(BAD_KINDS)
    sent = target.dp_json(
        "produce", "--count", str(count), "--rate", "50", "--bad-every", "2",
        "--seed", str(seed), "--customers", "10",
    )  # fmt: skip
    assert sent["valid"] == len(BAD_KINDS)
    found = letters.collect(f"st-{seed}-", expected=len(BAD_KINDS))
    assert sorted(letter["headers"]["dp.reason"] for letter in found.values()) == sorted(BAD_KINDS)
    for source, letter in found.items():
        topic, partition, offset = source.rsplit(":", 2)
        assert topic == resources.settings.kafka.transactions_topic
        assert int(partition) >= 0
        assert int(offset) >= 0
        assert letter["key"].startswith("c-")  # the original key, kept
    assert len(_wait_for_rows(resources, f"st-{seed}-", len(BAD_KINDS))) == len(BAD_KINDS)


def _health(client: httpx.Client, url: str) -> dict[str, Any]:
    try:
        return client.get(url, timeout=1).json()  # type: ignore[no-any-return]
    except (httpx.HTTPError, ValueError):
        return {}


def _produce(target: Target, seed: int, count: int, bad_every: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable, "-m", "dp_cli", "produce", "--count", str(count), "--rate", "150",
            "--bad-every", str(bad_every), "--seed", str(seed), "--customers", "25",
        ],
        env=target.env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip


def _kill_in_phase(
    target: Target, client: httpx.Client, producer: subprocess.Popen[str], phase: str
) -> dict[str, Any] | None:
    """Poll the stream's /healthz while `producer` runs (and 3 s after); SIGKILL the stream the
    moment a batch is in `phase`. The health it showed then, or None if no batch was seen in it."""
    url = f"{target.endpoint('stream')}/healthz"
    grace = None
    while grace is None or time.monotonic() < grace:
        if grace is None and producer.poll() is not None:
            grace = time.monotonic() + 3
        try:
            seen = client.get(url, timeout=1).json()
        except (httpx.HTTPError, ValueError):
            continue
        if seen.get("phase") == phase:
            target.kill("stream")
            return seen  # type: ignore[no-any-return]
    return None


@pytest.mark.requires("process_control")
def test_kills_in_the_middle_of_batches_lose_and_double_nothing(
    flow: dict[str, Any], target: Target, resources: Resources
) -> None:
    """SIGKILL the stream five times, each while a batch is in a given phase (seen on /healthz,
    not slept for), and restart it; rows, dead letters and online features are exactly right."""
    base, phases = _seed(), ("features", "raw", "dlq", "raw", "features")
    letters = DeadLetters(resources)
    seeds: list[int] = []
    sent = {"valid": 0, "bad": 0}
    kills: list[dict[str, Any]] = []
    with httpx.Client() as client:
        for burst, phase in enumerate(phases):
            for attempt in range(5):  # a short batch can fall between two polls: send another
                seeds.append(base * 100 + burst * 10 + attempt)
                producer = _produce(target, seeds[-1], count=300, bad_every=10)
                killed = _kill_in_phase(target, client, producer, phase)
                counts = json.loads(producer.communicate(timeout=120)[0])
                sent["valid"] += counts.pop("valid")
                sent["bad"] += sum(counts.values())
                if killed:
                    kills.append(killed)
                    target.start("stream")
                    break
    assert [k["phase"] for k in kills] == list(phases), kills

    prefixes = tuple(f"st-{s}-" for s in seeds)
    mine = _wait_for_rows(resources, prefixes, sent["valid"])
    assert len(mine) == sent["valid"], "rows lost or doubled across the kills"
    assert mine["transaction_id"].is_unique
    assert len(letters.collect(*prefixes, expected=sent["bad"])) == sent["bad"]
    _assert_online_state(resources, sorted(mine["customer_id"].unique())[:8])


@pytest.fixture(scope="module")
def late(flow: dict[str, Any], resources: Resources) -> dict[str, Any]:
    """A batch customer gets an event now, then one 30 min late (within the allowed hour) and one
    3 h late (beyond it); the three as sent, and the dead letters from then on."""
    customer = str(_history(resources, ["c-0000007"])["customer_id"].iloc[0])
    tag, now = f"late-{_seed()}", datetime.now(UTC)
    letters = DeadLetters(resources)
    sent = {
        "on_time": _message(f"{tag}-0", customer, now, 12.5),
        "late": _message(f"{tag}-1", customer, now - timedelta(minutes=30), 40.0),
        "too_late": _message(f"{tag}-2", customer, now - timedelta(hours=3), 77.0),
    }
    _send(resources, [sent["on_time"]])
    _wait_for_rows(resources, f"{tag}-0", 1)
    _send(resources, [sent["late"], sent["too_late"]])
    return {"customer": customer, "tag": tag, "sent": sent, "letters": letters, "at": now}


def test_a_late_event_within_the_allowed_lateness_updates_the_online_features(
    late: dict[str, Any], resources: Resources
) -> None:
    rows = _wait_for_rows(resources, late["tag"], 2)
    assert sorted(rows["transaction_id"]) == [f"{late['tag']}-0", f"{late['tag']}-1"]
    _assert_online_state(resources, [late["customer"]])
    online = _online(resources, [late["customer"]]).loc[late["customer"]]
    history = _history(resources, [late["customer"]])
    hour = history[
        pd.to_datetime(history["event_timestamp"], utc=True)
        > pd.Timestamp(late["at"]) - pd.Timedelta(hours=1)
    ]
    assert online["txn_count_1h"] == len(hour)
    assert f"{late['tag']}-1" in set(hour["transaction_id"])


def test_an_event_beyond_the_allowed_lateness_is_a_dead_letter(
    late: dict[str, Any], resources: Resources
) -> None:
    found = late["letters"].collect(f"{late['tag']}-2", expected=1)
    assert [letter["headers"]["dp.reason"] for letter in found.values()] == ["too_late"]
    letter = next(iter(found.values()))
    assert json.loads(letter["value"]) == late["sent"]["too_late"]  # the original bytes
    assert letter["key"] == late["customer"]
    assert f"{late['tag']}-2" not in set(_streamed(resources, late["tag"])["transaction_id"])


def test_sending_the_same_events_again_changes_nothing(
    late: dict[str, Any], resources: Resources
) -> None:
    _wait_for_rows(resources, late["tag"], 2)
    files, online = _files(resources), _online(resources, [late["customer"]])
    _send(resources, [late["sent"]["on_time"], late["sent"]["late"]])
    marker = f"{late['tag']}-marker"  # a new event after the re-sent ones: when it is in, they are
    _send(resources, [_message(marker, "c-e2e-marker", datetime.now(UTC), 1.0)])
    _wait_for_rows(resources, marker, 1)
    after = _files(resources)
    assert {p: d for p, d in after.items() if p in files} == files, "a file was rewritten"
    assert len(_streamed(resources, late["tag"])) == 3  # the two, and the marker
    pd.testing.assert_frame_equal(_online(resources, [late["customer"]]), online)


def test_dlq_replay_republishes_the_original_message(
    late: dict[str, Any], target: Target, resources: Resources
) -> None:
    late["letters"].collect(f"{late['tag']}-2", expected=1)
    transactions = Topic(resources, resources.settings.kafka.transactions_topic)
    since = (late["at"] - timedelta(seconds=1)).isoformat()
    replayed = target.dp_json("dlq", "replay", "--reason", "too_late", "--since", since)
    assert replayed["replayed"] >= 1
    again = [m for m in transactions.messages() if f"{late['tag']}-2" in m["value"]]
    assert again, "the letter was not re-published"
    assert json.loads(again[0]["value"]) == late["sent"]["too_late"]
    assert again[0]["key"] == late["customer"]
    assert again[0]["headers"]["dp.replayed_from"].startswith(
        f"{resources.settings.kafka.dlq_topic}:"
    )


@pytest.mark.requires("process_control")
def test_a_lost_checkpoint_overwrites_no_file_and_loses_no_row(
    flow: dict[str, Any], target: Target, resources: Resources
) -> None:
    """The stream restarts from the earliest offset with batch ids from 0: every old message is
    read again, and still no file is rewritten and no row is lost or doubled."""
    _wait_for_rows(resources, "st-", 1)
    before = _files(resources)
    rows_before = len(_streamed(resources))
    target.stop("stream")
    store = resources.store
    checkpoint = store.path(store.uri(Zone.RAW, "_checkpoints", STREAM_DATASET))
    store.fs.rm(checkpoint, recursive=True)
    target.start("stream")
    seed = _seed()
    sent = target.dp_json(
        "produce", "--count", "100", "--rate", "200", "--seed", str(seed), "--customers", "25"
    )
    rows = _wait_for_rows(resources, f"st-{seed}-", sent["valid"])
    assert len(rows) == sent["valid"]
    after = _files(resources)
    assert {p: d for p, d in after.items() if p in before} == before, "a file was rewritten"
    everything = _streamed(resources)
    assert everything["transaction_id"].is_unique
    assert len(everything) == rows_before + sent["valid"]


@pytest.mark.requires("api")
def test_freshness_of_online_features(
    flow: dict[str, Any], target: Target, resources: Resources
) -> None:
    """Produce one event at a time and poll the API until its features reflect it."""
    report = measure_freshness(resources, target.endpoint("api"), target.api_headers(), events=20)
    out = Path("reports")
    out.mkdir(exist_ok=True)
    (out / "freshness.json").write_text(json.dumps(report, indent=2))
    assert report["events"] == 20
    assert 0 < report["p50_s"] <= report["p95_s"]


# --- Kafka with three brokers (`kafka.brokers = 3`: make stack-test) ---------------------------

BROKER_SERVICES = {1: "kafka", 2: "kafka-2", 3: "kafka-3"}  # node.id → the stack's service


def _cluster(resources: Resources) -> tuple[AdminClient, ClusterMetadata]:
    admin = AdminClient(resources.kafka.librdkafka())
    return admin, admin.list_topics(timeout=10)


def _in_sync(resources: Resources, topics: list[str]) -> dict[str, list[int]]:
    """Each partition's in-sync replicas, by `topic/partition`."""
    metadata = _cluster(resources)[1]
    return {
        f"{t}/{p}": sorted(partition.isrs)
        for t in topics
        for p, partition in metadata.topics[t].partitions.items()
    }


@pytest.mark.requires("kafka_replicas")
def test_the_topics_are_on_three_brokers_and_acks_need_two(resources: Resources) -> None:
    admin, metadata = _cluster(resources)
    kafka = resources.settings.kafka
    topics = [kafka.transactions_topic, kafka.dlq_topic, kafka.predictions_topic]
    assert sorted(metadata.brokers) == [1, 2, 3]
    for topic in topics:
        partitions = metadata.topics[topic].partitions.values()
        assert [sorted(p.replicas) for p in partitions] == [[1, 2, 3]] * 3, topic
    futures = admin.describe_configs([ConfigResource("topic", t) for t in topics])
    for resource, future in futures.items():
        assert future.result(timeout=10)["min.insync.replicas"].value == "2", resource


@pytest.mark.requires("kafka_replicas", "process_control")
def test_a_broker_killed_while_events_stream_loses_and_doubles_nothing(
    flow: dict[str, Any], target: Target, resources: Resources
) -> None:
    """SIGKILL the broker leading the transactions topic's first partition while `dp produce`
    sends (acks=all, idempotent) and the stream job reads: every acknowledged event reaches the
    raw zone exactly once, the stream keeps going without the broker, and the broker rejoins."""
    topic = resources.settings.kafka.transactions_topic
    leader = _cluster(resources)[1].topics[topic].partitions[0].leader
    seed = _seed()
    producer = _produce(target, seed, count=900, bad_every=0)  # 6 s at 150/s
    time.sleep(2)
    target.kill(BROKER_SERVICES[leader])
    counts = json.loads(producer.communicate(timeout=120)[0])
    assert producer.returncode == 0, "the producer lost acknowledgements"

    rows = _wait_for_rows(resources, f"st-{seed}-", counts["valid"])
    assert len(rows) == counts["valid"] == 900, "events lost or doubled"
    assert rows["transaction_id"].is_unique
    # Without the killed broker: a second burst streams too.
    after = seed + 1
    again = _produce(target, after, count=150, bad_every=0)
    assert json.loads(again.communicate(timeout=120)[0])["valid"] == 150
    assert len(_wait_for_rows(resources, f"st-{after}-", 150)) == 150

    target.start(BROKER_SERVICES[leader])
    deadline = time.monotonic() + 90
    while set(map(tuple, (isr := _in_sync(resources, [topic])).values())) != {(1, 2, 3)}:
        assert time.monotonic() < deadline, f"the broker did not rejoin: {isr}"
        time.sleep(2)

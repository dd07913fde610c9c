"""Stream (Spark Structured Streaming): transactions → raw zone, dead letters, online features.

Each micro-batch (`foreachBatch`):
1. parses the JSON messages (schema version 1); what does not parse goes to the dead-letter topic;
2. types and deduplicates them with the batch `stage` transform and checks them with the batch
   `staging` suite; failing rows go to the dead-letter topic with their reasons;
3. writes valid rows to `raw/transactions_stream/date=…/batch-<id>.parquet` (a replayed batch
   rewrites the same files, so the zone holds each event exactly once);
4. recomputes the affected customers' features with the batch `curate` transform over their
   streamed events and pushes them to the online store through Feast's push source.
The checkpoint lives on the object store, so a restarted job resumes where the last one committed.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pandas as pd
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from dp_core.kafka import JsonProducer
from dp_core.logs import get_logger
from dp_core.resources import Resources
from dp_core.storage import Zone
from dp_pipeline import curate, stage
from dp_pipeline.messages import FIELDS, SCHEMA_VERSION
from dp_pipeline.suites import staging_suite
from dp_pipeline.validate import STAGING_COLUMNS
from dp_pipeline.validation import run_suite, split

log = get_logger(__name__)
STREAM_DATASET = "transactions_stream"
CHECKPOINT = "_checkpoints/transactions_stream"
MESSAGE_SCHEMA = T.StructType(
    [T.StructField("schema_version", T.StringType())]
    + [T.StructField(f, T.StringType()) for f in FIELDS]
)
HISTORY_COLUMNS = ["transaction_id", "customer_id", "merchant_id", "amount", "event_timestamp"]


def parse(messages: DataFrame) -> DataFrame:
    """Kafka rows → raw text fields, with `dlq_reason` set where the message itself is unusable."""
    parsed = messages.withColumn("m", F.from_json("payload", MESSAGE_SCHEMA))
    reason = F.when(
        F.col("m").isNull() | F.col("m.transaction_id").isNull(), F.lit("unparsable_json")
    ).when(
        F.col("m.schema_version") != F.lit(str(SCHEMA_VERSION)), F.lit("unsupported_schema_version")
    )
    return parsed.select(
        "payload",
        "partition",
        "offset",
        reason.alias("dlq_reason"),
        *[F.col(f"m.{f}").alias(f) for f in FIELDS],
        F.substring("m.timestamp", 1, 10).alias("date"),
    )


ORIGIN = ("payload", "partition", "offset")


@dataclass
class Health:
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    last_batch_id: int | None = None
    last_batch_at: str | None = None
    batches: int = 0
    valid: int = 0
    dead_letters: int = 0
    lag: int | None = None
    active: bool = False


class PhaseTimer:
    """Seconds spent in each phase of a micro-batch, for its log line."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.laps[f"{phase}_s"] = round(now - self._last, 3)
        self._last = now


class StreamJob:
    """The micro-batch processor plus what it keeps between batches."""

    def __init__(self, resources: Resources) -> None:
        self.resources = resources
        self.store = resources.store
        self.kafka = resources.settings.kafka
        self.health = Health()
        self._producer = JsonProducer(self.kafka)
        self._history = self._load_history()
        self._features: Any = None

    def _load_history(self) -> pd.DataFrame:
        """Streamed events already in the raw zone (after a restart, the cache starts from them)."""
        uri = self.store.uri(Zone.RAW, STREAM_DATASET)
        if not self.store.list_files(uri, ".parquet"):
            return pd.DataFrame(columns=HISTORY_COLUMNS)
        return self.store.read_parquet(uri, columns=HISTORY_COLUMNS)

    @property
    def feature_store(self) -> Any:
        if self._features is None:
            from dp_features.store import feature_store

            self._features = feature_store(self.resources)
        return self._features

    def process(self, batch: DataFrame, batch_id: int) -> None:
        """Validate, then features first (what freshness waits for), then raw zone and DLQ.

        Every step is idempotent per batch id, so a crash anywhere replays the batch safely.
        """
        timer = PhaseTimer()
        spark = batch.sparkSession
        parsed = parse(batch).cache()
        # One pass for where every message came from; the unusable ones stop here.
        origins = parsed.select(
            "transaction_id", *ORIGIN, F.col("dlq_reason").alias("reason")
        ).toPandas()
        unusable = origins[origins["reason"].notna()].drop(columns="transaction_id")
        origins = origins[origins["reason"].isna()].drop(columns="reason")
        candidates = parsed.where(F.col("dlq_reason").isNull())
        typed = stage.transform(candidates.drop(*ORIGIN, "dlq_reason"))
        typed_frame = typed.toPandas().reset_index(drop=True)
        parsed.unpersist()
        timer.lap("parse")
        valid, failed = self._validate(typed_frame)
        timer.lap("validate")
        self._push_features(spark, valid)
        timer.lap("features")
        self._write_raw(valid, batch_id)
        timer.lap("raw")
        failed = failed.merge(origins, on="transaction_id", how="left")
        self._dead_letters(
            pd.concat([unusable, failed[["payload", "partition", "offset", "reason"]]]), batch_id
        )
        timer.lap("dlq")
        self.health.last_batch_id = batch_id
        self.health.last_batch_at = datetime.now(UTC).isoformat()
        self.health.batches += 1
        self.health.valid += len(valid)
        self.health.dead_letters += len(unusable) + len(failed)
        if len(origins) or len(unusable):
            log.info(
                "batch",
                id=batch_id,
                valid=len(valid),
                dead=len(unusable) + len(failed),
                **timer.laps,
            )

    def _validate(self, typed: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        if typed.empty:
            return typed, typed.assign(reason=pd.Series(dtype=str))
        typed["event_timestamp"] = pd.to_datetime(typed["event_timestamp"], utc=True)
        return split(typed, run_suite(staging_suite(), typed))

    def _dead_letters(self, rows: pd.DataFrame, batch_id: int) -> None:
        """At least once: sent and flushed before the batch (and so its offsets) is committed."""
        for row in rows.to_dict("records"):
            letter = {
                "reason": row["reason"],
                "payload": row["payload"],
                "partition": int(row["partition"]),
                "offset": int(row["offset"]),
                "batch_id": batch_id,
                "at": datetime.now(UTC).isoformat(),
            }
            key = f"{letter['partition']}:{letter['offset']}"
            self._producer.send_waiting(self.kafka.dlq_topic, key, letter)
        self._producer.flush()

    def _write_raw(self, valid: pd.DataFrame, batch_id: int) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if valid.empty:
            return
        frame = valid[list(STAGING_COLUMNS)]
        for date, rows in frame.groupby("date"):
            uri = self.store.uri(
                Zone.RAW, STREAM_DATASET, f"date={date}", f"batch-{batch_id:010d}.parquet"
            )
            path = self.store.path(uri)
            self.store.fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
            table = pa.Table.from_pandas(rows.drop(columns="date"), preserve_index=False)
            with self.store.fs.open(path, "wb") as handle:
                pq.write_table(
                    table, handle, coerce_timestamps="us", allow_truncated_timestamps=True
                )

    def _push_features(self, spark: SparkSession, valid: pd.DataFrame) -> None:
        from feast.data_source import PushMode

        from dp_features.repo import FEATURES, PUSH_SOURCE

        if valid.empty:
            return
        history = pd.concat([self._history, valid[HISTORY_COLUMNS]]).drop_duplicates(
            "transaction_id"
        )
        self._history = history
        affected = history[history["customer_id"].isin(set(valid["customer_id"]))]
        features = curate.transform(spark.createDataFrame(affected)).toPandas()
        latest = features.sort_values("event_timestamp").groupby("customer_id").tail(1)
        latest = latest[["customer_id", "event_timestamp", *FEATURES]]
        try:
            self.feature_store.push(PUSH_SOURCE, latest, to=PushMode.ONLINE)
        except Exception as exc:  # e.g. no `dp features` yet: raw and DLQ still progress
            log.warning("feature_push_failed", error=str(exc), customers=len(latest))

    def close(self) -> None:
        self._producer.flush(timeout_s=5)


def _lag(progress: Any) -> int | None:
    """Messages behind: latest offsets minus processed offsets, over all partitions."""
    if progress is None or not progress.sources:
        return None
    source = progress.sources[0]
    latest = json.loads(source.latestOffset or "null") or {}
    done = json.loads(source.endOffset or "null") or {}
    return sum(
        int(offset) - int(done.get(topic, {}).get(p, 0))
        for topic, partitions in latest.items()
        for p, offset in partitions.items()
    )


def serve_health(job: StreamJob, host: str, port: int) -> ThreadingHTTPServer:
    """`GET /healthz`: 200 while the query runs, with the last batch time and the lag."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(job.health.__dict__).encode()
            self.send_response(200 if job.health.active else 503)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, name="stream-health", daemon=True).start()
    return server


def run_stream(resources: Resources) -> None:
    """Run the streaming query until it fails or the process is stopped."""
    spark = resources.spark
    kafka = resources.settings.kafka
    job = StreamJob(resources)
    health = serve_health(
        job, kafka.stream_health_host, resources.settings.endpoints.port("stream")
    )
    source = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", kafka.bootstrap_servers)
        .option("subscribe", kafka.transactions_topic)
        .option("startingOffsets", "earliest")
        .option("failOnDataLoss", "false")
        # A batch reads a known offset range; waiting up to the default 500 ms for more bytes
        # than the range holds cost each Spark action half a second of freshness.
        .option("kafka.fetch.max.wait.ms", "10")
        .option("maxOffsetsPerTrigger", kafka.stream_max_offsets)
        .load()
        .select(F.col("value").cast("string").alias("payload"), "partition", "offset")
    )
    query = (
        source.writeStream.foreachBatch(job.process)
        .option("checkpointLocation", resources.store.spark_uri(Zone.RAW, CHECKPOINT))
        .trigger(processingTime=f"{int(kafka.stream_trigger_s * 1000)} milliseconds")
        .start()
    )
    job.health.active = True
    try:
        while query.isActive:
            try:
                job.health.lag = _lag(query.lastProgress and _Progress(query.lastProgress))
            except (ValueError, TypeError, AttributeError) as exc:  # health must not stop the job
                log.warning("stream_lag_unknown", error=str(exc))
            time.sleep(1)
        query.awaitTermination()
    finally:
        job.health.active = False
        health.shutdown()
        job.close()


@dataclass(frozen=True)
class _Progress:
    """The part of a progress report the lag needs (pyspark gives a dict or an object)."""

    raw: Any

    @property
    def sources(self) -> list[Any]:
        sources = self.raw["sources"] if isinstance(self.raw, dict) else self.raw.sources
        return [_Source(s) for s in sources]


@dataclass(frozen=True)
class _Source:
    raw: Any

    def _get(self, name: str) -> str | None:
        value = self.raw.get(name) if isinstance(self.raw, dict) else getattr(self.raw, name, None)
        return value if value is None or isinstance(value, str) else json.dumps(value)

    @property
    def latestOffset(self) -> str | None:  # noqa: N802 - Spark's field name
        return self._get("latestOffset")

    @property
    def endOffset(self) -> str | None:  # noqa: N802 - Spark's field name
        return self._get("endOffset")

"""One micro-batch of the stream: validate, push features, write the raw zone, dead letters."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pandas as pd
from feast.data_source import PushMode
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from dp_core.logs import get_logger
from dp_core.resources import Resources
from dp_core.storage import Zone
from dp_features.repo import FEATURES, PUSH_SOURCE
from dp_pipeline import curate, stage
from dp_pipeline.stream.health import Health
from dp_pipeline.stream.parse import ORIGIN, parse
from dp_pipeline.suites import staging_suite
from dp_pipeline.validate import STAGING_COLUMNS
from dp_pipeline.validation import run_suite, split

log = get_logger(__name__)
STREAM_DATASET = "transactions_stream"
CHECKPOINT = "_checkpoints/transactions_stream"
HISTORY_COLUMNS = ["transaction_id", "customer_id", "merchant_id", "amount", "event_timestamp"]


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
        self._producer = resources.kafka_producer()
        self._history = self._load_history()

    def _load_history(self) -> pd.DataFrame:
        """Streamed events already in the raw zone (after a restart, the cache starts from them)."""
        uri = self.store.uri(Zone.RAW, STREAM_DATASET)
        if not self.store.list_files(uri, ".parquet"):
            return pd.DataFrame(columns=HISTORY_COLUMNS)
        return self.store.read_parquet(uri, columns=HISTORY_COLUMNS)

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
            self.resources.feature_store.push(PUSH_SOURCE, latest, to=PushMode.ONLINE)
        except Exception as exc:  # e.g. no `dp features` yet: raw and DLQ still progress
            log.warning("feature_push_failed", error=str(exc), customers=len(latest))

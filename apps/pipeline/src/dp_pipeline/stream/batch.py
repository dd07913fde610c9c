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
from dp_pipeline.stream.history import STREAM_DATASET, BatchWatch, History
from dp_pipeline.stream.parse import ORIGIN, parse
from dp_pipeline.suites import staging_suite
from dp_pipeline.validate import STAGING_COLUMNS
from dp_pipeline.validation import run_suite, split

log = get_logger(__name__)
CHECKPOINT = "_checkpoints/transactions_stream"
LETTER_COLUMNS = ["payload", "key", "partition", "offset", "reason"]


class Phases:
    """Which phase a micro-batch is in (shown on /healthz) and the seconds each one took."""

    def __init__(self, health: Health) -> None:
        self.health = health
        self.laps: dict[str, float] = {}
        self._phase: str | None = None
        self._since = time.perf_counter()

    def enter(self, phase: str | None) -> None:
        now = time.perf_counter()
        if self._phase is not None:
            self.laps[f"{self._phase}_s"] = round(now - self._since, 3)
        self._phase, self._since = phase, now
        self.health.phase = phase


class StreamJob:
    """The micro-batch processor plus what it keeps between batches."""

    def __init__(self, resources: Resources) -> None:
        self.resources = resources
        self.store = resources.store
        self.kafka = resources.settings.kafka
        self.lateness = pd.Timedelta(seconds=self.kafka.stream_allowed_lateness_s)
        self.health = Health()
        self._producer = resources.kafka_producer()
        self.history = History.load(self.store)
        self.batch_watch = BatchWatch(self.store)
        log.info("stream_history_loaded", transactions=len(self.history))

    def process(self, batch: DataFrame, batch_id: int) -> None:
        """Validate, then features first (what freshness waits for), then raw zone and DLQ.

        Every step is idempotent: a transaction already in the history is not taken again, so a
        crash anywhere, a replayed batch or a re-sent event leaves the same zone and features.
        """
        phases = Phases(self.health)
        if self.batch_watch.changed():
            self.history.replace_batch(self.batch_watch.read())
            log.info("stream_batch_history_reloaded", transactions=len(self.history))
        phases.enter("parse")
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
        phases.enter("validate")
        valid, failed = self._validate(typed_frame)
        seen = self.history.known(valid["transaction_id"])
        late = self.history.too_late(valid["event_timestamp"], self.lateness) & ~seen
        failed = pd.concat([failed, valid[late].assign(reason="too_late")])
        duplicates = int(seen.sum())
        valid = valid[~seen & ~late]
        phases.enter("features")
        self._push_features(spark, valid)
        phases.enter("raw")
        self._write_raw(valid.merge(_first_origin(origins), on="transaction_id"))
        phases.enter("dlq")
        failed = failed.merge(_first_origin(origins), on="transaction_id", how="left")
        self._dead_letters(pd.concat([unusable, failed[LETTER_COLUMNS]]), batch_id)
        phases.enter(None)
        self.health.record_batch(batch_id, len(valid), len(unusable) + len(failed), duplicates)
        if len(origins) or len(unusable):
            log.info(
                "batch",
                id=batch_id,
                valid=len(valid),
                dead=len(unusable) + len(failed),
                duplicates=duplicates,
                **phases.laps,
            )

    def _validate(self, typed: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        if typed.empty:
            return typed, typed.assign(reason=pd.Series(dtype=str))
        typed["event_timestamp"] = pd.to_datetime(typed["event_timestamp"], utc=True)
        return split(typed, run_suite(staging_suite(), typed))

    def _push_features(self, spark: SparkSession, valid: pd.DataFrame) -> None:
        """The affected customers' states over their whole history, with the curated definition.

        The history is updated first, so a failed push is not retried by this batch: the next
        event of the customer, or a restart (which rebuilds the history), writes the state.
        """
        if valid.empty:
            return
        self.history.add(valid)
        deciding = self.history.deciding(set(valid["customer_id"]))
        features = curate.transform(spark.createDataFrame(deciding)).toPandas()
        latest = features.sort_values("event_timestamp").groupby("customer_id").tail(1)
        latest = latest[["customer_id", "event_timestamp", *FEATURES]]
        try:
            self.resources.feature_state_writer.push(PUSH_SOURCE, latest, to=PushMode.ONLINE)
        except Exception as exc:  # e.g. no `dp features` yet: raw and DLQ still progress
            log.warning("feature_push_failed", error=str(exc), customers=len(latest))

    def _write_raw(self, valid: pd.DataFrame) -> None:
        """One file per date and Kafka partition, named after the first offset it holds.

        A transaction is written once (the history refuses it after), so a file name, which no
        other file's rows can share, is never reused: not by a replayed batch, not after the
        checkpoint was lost and the query restarted its batch ids at 0.
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        for (date, partition), rows in valid.groupby(["date", "partition"]):
            first = int(rows["offset"].min())
            uri = self.store.uri(
                Zone.RAW,
                STREAM_DATASET,
                f"date={date}",
                f"part-{self.kafka.transactions_topic}-{partition}-{first:015d}.parquet",
            )
            path = self.store.path(uri)
            self.store.fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
            frame = rows.sort_values("offset")[list(STAGING_COLUMNS)].drop(columns="date")
            table = pa.Table.from_pandas(frame, preserve_index=False)
            with self.store.fs.open(path, "wb") as handle:
                pq.write_table(
                    table, handle, coerce_timestamps="us", allow_truncated_timestamps=True
                )

    def _dead_letters(self, rows: pd.DataFrame, batch_id: int) -> None:
        """The original message (key and bytes) with why and where from in its headers.

        At least once: sent and flushed before the batch (and so its offsets) is committed.
        """
        at = datetime.now(UTC).isoformat()
        for row in rows.to_dict("records"):
            headers = {
                "dp.reason": row["reason"],
                "dp.source": f"{self.kafka.transactions_topic}:{row['partition']}:{row['offset']}",
                "dp.batch_id": str(batch_id),
                "dp.at": at,
            }
            payload = row["payload"]
            value = payload.encode() if isinstance(payload, str) else b""
            key = row["key"] if isinstance(row["key"], str) else None
            self._producer.send_waiting(self.kafka.dlq_topic, key, value, headers)
        self._producer.flush()


def _first_origin(origins: pd.DataFrame) -> pd.DataFrame:
    """Per transaction id, the first message that carried it (a batch may hold it twice)."""
    return origins.sort_values(["partition", "offset"]).drop_duplicates("transaction_id")

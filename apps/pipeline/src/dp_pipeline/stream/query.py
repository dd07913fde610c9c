"""The streaming query: Kafka `transactions` → `StreamJob` per micro-batch, until stopped."""

from __future__ import annotations

import time

from pyspark.sql import functions as F

from dp_core.logs import get_logger
from dp_core.resources import Resources
from dp_core.storage import Zone
from dp_pipeline.stream.batch import CHECKPOINT, StreamJob
from dp_pipeline.stream.health import lag, serve_health

log = get_logger(__name__)


def run_stream(resources: Resources) -> None:
    """Run the streaming query until it fails or the process is stopped."""
    spark = resources.spark
    kafka = resources.settings.kafka
    job = StreamJob(resources)
    if not kafka.stream_fail_on_data_loss:
        log.warning(
            "stream_skips_lost_offsets",
            hint="kafka.stream_fail_on_data_loss is false: offsets gone before they were read "
            "are skipped, and those messages are lost to the raw zone",
        )
    health = serve_health(
        job.health, kafka.stream_health_host, resources.settings.endpoints.port("stream")
    )
    source = (
        spark.readStream.format("kafka")
        .options(**resources.kafka.spark())
        .option("subscribe", kafka.transactions_topic)
        .option("startingOffsets", "earliest")
        .option("failOnDataLoss", str(kafka.stream_fail_on_data_loss).lower())
        # A batch reads a known offset range; waiting up to the default 500 ms for more bytes
        # than the range holds cost each Spark action half a second of freshness.
        .option("kafka.fetch.max.wait.ms", "10")
        .option("maxOffsetsPerTrigger", kafka.stream_max_offsets)
        .load()
        .select(
            F.col("value").cast("string").alias("payload"),
            F.col("key").cast("string").alias("key"),
            "partition",
            "offset",
        )
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
                job.health.lag = lag(query.lastProgress)
            except (ValueError, TypeError, AttributeError) as exc:  # health must not stop the job
                log.warning("stream_lag_unknown", error=str(exc))
            time.sleep(1)
        query.awaitTermination()
    finally:
        job.health.active = False
        health.shutdown()

"""Kafka messages → raw text fields, with the dead-letter reason of those that cannot be used."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from dp_pipeline.messages import FIELDS, SCHEMA_VERSION

MESSAGE_SCHEMA = T.StructType(
    [T.StructField("schema_version", T.StringType())]
    + [T.StructField(f, T.StringType()) for f in FIELDS]
)
# Where a message came from: what a dead letter carries so it can be found and replayed.
ORIGIN = ("payload", "key", "partition", "offset")


def parse(messages: DataFrame) -> DataFrame:
    """Kafka rows → raw text fields, with `dlq_reason` set where the message itself is unusable."""
    parsed = messages.withColumn("m", F.from_json("payload", MESSAGE_SCHEMA))
    reason = F.when(
        F.col("m").isNull() | F.col("m.transaction_id").isNull(), F.lit("unparsable_json")
    ).when(
        F.col("m.schema_version") != F.lit(str(SCHEMA_VERSION)), F.lit("unsupported_schema_version")
    )
    return parsed.select(
        *ORIGIN,
        reason.alias("dlq_reason"),
        *[F.col(f"m.{f}").alias(f) for f in FIELDS],
        F.substring("m.timestamp", 1, 10).alias("date"),
    )

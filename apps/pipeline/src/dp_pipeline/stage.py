"""Stage (Spark): parse and type the raw CSV, and remove replayed rows (same transaction id)."""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from dp_core.resources import Resources
from dp_core.storage import ObjectStore, Zone
from dp_pipeline.schema import RAW_COLUMNS, TRANSACTIONS

# Every raw field as text, plus the `date` partition of the file it came from.
RAW_SCHEMA = T.StructType([T.StructField(c, T.StringType()) for c in (*RAW_COLUMNS, "date")])
TYPED = "typed"
TIMESTAMP_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSSX"


@dataclass(frozen=True)
class StageResult:
    raw_rows: int
    typed_rows: int

    @property
    def duplicates(self) -> int:
        return self.raw_rows - self.typed_rows


def extract(spark: SparkSession, store: ObjectStore) -> DataFrame:
    """The raw zone's CSV files, every field a string, with their `date` partition."""
    return (
        spark.read.schema(RAW_SCHEMA)
        .option("header", "true")
        .option("mode", "PERMISSIVE")
        .csv(store.spark_uri(Zone.RAW, TRANSACTIONS))
    )


def _blank_to_null(column: str) -> Column:
    value = F.trim(F.col(column))
    return F.when(value == "", None).otherwise(value)


def transform(raw: DataFrame) -> DataFrame:
    """Typed columns (null where a value is missing or unparsable) beside the raw text."""
    cleaned = raw.select(*[_blank_to_null(c).alias(c) for c in RAW_COLUMNS], "date")
    typed = cleaned.select(
        "transaction_id",
        "customer_id",
        "merchant_id",
        F.col("amount").alias("amount_raw"),
        F.expr("try_cast(amount AS DOUBLE)").alias("amount"),
        "currency",
        "channel",
        "country",
        F.col("timestamp").alias("timestamp_raw"),
        F.try_to_timestamp("timestamp", F.lit(TIMESTAMP_FORMAT)).alias("event_timestamp"),
        F.expr("try_cast(is_fraud AS INT)").alias("is_fraud"),
        F.col("date").cast("string").alias("date"),
    )
    return deduplicate(typed)


def deduplicate(typed: DataFrame) -> DataFrame:
    """Keep one row per transaction id (the earliest by partition and content); keep null ids."""
    order = Window.partitionBy("transaction_id").orderBy(
        "date", "timestamp_raw", "customer_id", "amount_raw"
    )
    ranked = typed.withColumn("_n", F.row_number().over(order))
    return ranked.where(F.col("transaction_id").isNull() | (F.col("_n") == 1)).drop("_n")


def stage(resources: Resources) -> dict[str, int]:
    """raw/transactions → staging/typed (parquet, by date)."""
    spark, store = resources.spark, resources.store
    raw = extract(spark, store).cache()
    typed = transform(raw)
    typed.write.mode("overwrite").partitionBy("date").parquet(store.spark_uri(Zone.STAGING, TYPED))
    result = StageResult(
        raw_rows=raw.count(),
        typed_rows=spark.read.parquet(store.spark_uri(Zone.STAGING, TYPED)).count(),
    )
    raw.unpersist()
    return {"raw": result.raw_rows, "typed": result.typed_rows, "duplicates": result.duplicates}

"""Curate (Spark): customer-level windowed aggregates with event timestamps, then the curated suite.

Each row is the customer's state right after one transaction: counts and amounts over the last
1 h / 24 h / 7 d (that transaction included), distinct merchants over 24 h, the time of the
transaction and the gap since the one before.
"""

from __future__ import annotations

import json
from typing import Any

from pyspark.sql import Column, DataFrame, Window, WindowSpec
from pyspark.sql import functions as F

from dp_core.domain import CUSTOMER_FEATURES
from dp_core.resources import Resources
from dp_core.storage import Zone
from dp_pipeline.schema import TRANSACTIONS
from dp_pipeline.suites import curated_suite
from dp_pipeline.validate import results_uri
from dp_pipeline.validation import run_suite

WINDOWS = {"1h": 3_600, "24h": 86_400, "7d": 7 * 86_400}


class CuratedSuiteFailed(RuntimeError):
    """The curated data broke a table-level expectation; nothing was published."""


def _window(seconds: int) -> WindowSpec:
    return (
        Window.partitionBy("customer_id")
        .orderBy(F.col("_ts"))
        .rangeBetween(-(seconds - 1), Window.currentRow)
    )


def transform(transactions: DataFrame) -> DataFrame:
    """One feature row per (customer, event time) from staged transactions."""
    with_ts = transactions.withColumn("event_timestamp", F.col("event_timestamp").cast("timestamp"))
    with_ts = with_ts.withColumn("_ts", F.unix_micros("event_timestamp") / 1e6)
    aggregates: list[Column] = []
    for name, seconds in WINDOWS.items():
        window = _window(seconds)
        aggregates += [
            F.count("*").over(window).cast("long").alias(f"txn_count_{name}"),
            F.round(F.sum("amount").over(window), 2).alias(f"amount_sum_{name}"),
        ]
    week = _window(WINDOWS["7d"])
    previous = Window.partitionBy("customer_id").orderBy("_ts")
    features = with_ts.select(
        "customer_id",
        "event_timestamp",
        *aggregates,
        F.round(F.avg("amount").over(week), 2).alias("amount_avg_7d"),
        F.size(F.collect_set("merchant_id").over(_window(WINDOWS["24h"])))
        .cast("long")
        .alias("distinct_merchants_24h"),
        F.col("_ts").alias("last_txn_at"),
        (F.col("_ts") - F.lag("_ts").over(previous)).alias("secs_since_prev_txn"),
        F.col("amount").alias("last_amount"),
        F.date_format("event_timestamp", "yyyy-MM-dd").alias("date"),
    )
    # Two transactions of one customer at the same millisecond share one state row.
    return features.dropDuplicates(["customer_id", "event_timestamp"])


def curate(resources: Resources) -> dict[str, Any]:
    """staging/transactions → curated/customer_features (parquet, by date) once the suite passes."""
    spark, store = resources.spark, resources.store
    transactions = spark.read.parquet(store.spark_uri(Zone.STAGING, TRANSACTIONS))
    features = transform(transactions).cache()
    run = run_suite(curated_suite(), features.drop("date").toPandas())
    if run.success:
        features.write.mode("overwrite").partitionBy("date").parquet(
            store.spark_uri(Zone.CURATED, CUSTOMER_FEATURES)
        )
    store.write_text(
        results_uri(store, Zone.CURATED, CUSTOMER_FEATURES, "curated"),
        json.dumps(run.summary, indent=2, default=str),
    )
    rows = features.count()
    features.unpersist()
    if not run.success:
        failed = [e["type"] for e in run.summary["expectations"] if not e["success"]]
        raise CuratedSuiteFailed(f"curated suite failed: {failed}")
    return {"curated": rows, "suite_success": run.success}

"""`spark.conf` reaches the session, after (and so over) the platform's own defaults."""

from __future__ import annotations

import pytest
from pyspark.sql import SparkSession

from dp_core.settings import SparkSettings, StorageSettings
from dp_core.spark import build_spark

pytestmark = pytest.mark.pipeline


def test_the_targets_spark_properties_are_applied_last(spark: SparkSession) -> None:
    settings = SparkSettings(driver_memory="1g", conf={"spark.sql.shuffle.partitions": "7"})
    session = build_spark(settings, StorageSettings(), {})
    assert session.conf.get("spark.sql.shuffle.partitions") == "7"
    session.conf.set("spark.sql.shuffle.partitions", "4")  # the shared session, as it was

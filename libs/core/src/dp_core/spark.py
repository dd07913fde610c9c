"""The Spark session factory: local mode, jars passed explicitly, s3a configured from settings."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from dp_core.settings import SparkSettings, StorageSettings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


LOG4J2 = Path(__file__).with_name("log4j2.properties")


def build_spark(
    spark: SparkSettings, storage: StorageSettings, s3_credentials: dict[str, str]
) -> SparkSession:
    """A Spark session for the settings, reused when one is already running in this process."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYARROW_IGNORE_TIMEZONE", "1")
    builder = (
        SparkSession.builder.appName("data-platform")
        .master(spark.master)
        .config("spark.driver.memory", spark.driver_memory)
        .config("spark.sql.shuffle.partitions", str(spark.shuffle_partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={LOG4J2}")
    )
    jars = sorted(str(p.resolve()) for p in spark.jars_dir.glob("*.jar")) if spark.jars_dir else []
    if spark.jars_dir and not jars:
        raise FileNotFoundError(f"no jars in {spark.jars_dir}; run `make stack-setup`")
    if jars:
        builder = builder.config("spark.jars", ",".join(jars))
    if storage.endpoint_url:
        builder = (
            builder.config("spark.hadoop.fs.s3a.endpoint", storage.endpoint_url)
            .config("spark.hadoop.fs.s3a.path.style.access", "true")
            .config("spark.hadoop.fs.s3a.access.key", s3_credentials.get("access_key", ""))
            .config("spark.hadoop.fs.s3a.secret.key", s3_credentials.get("secret_key", ""))
        )
    for key, value in spark.conf.items():  # the target's own (executor pods, their image, …)
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("WARN")
    return session

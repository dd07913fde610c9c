from __future__ import annotations

from collections.abc import Iterator

import pytest
from pyspark.sql import SparkSession

from dp_core.settings import SparkSettings, StorageSettings
from dp_core.spark import build_spark


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    session = build_spark(SparkSettings(driver_memory="1g"), StorageSettings(), {})
    yield session
    session.stop()

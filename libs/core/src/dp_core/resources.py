"""Resource factories keyed by settings: what a step asks for instead of building clients itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from dp_core.secrets import SecretStore, build_secret_store
from dp_core.settings import Settings, get_settings
from dp_core.storage import ObjectStore

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@dataclass
class Resources:
    """The object store, Spark session, secrets and endpoints of one target, built lazily."""

    settings: Settings = field(default_factory=get_settings)

    @cached_property
    def secrets(self) -> SecretStore:
        return build_secret_store(self.settings.secrets)

    @cached_property
    def s3_credentials(self) -> dict[str, str]:
        """S3 keys from the secret store; empty for local zones."""
        if not self.settings.storage.zone_uri.startswith("s3://"):
            return {}
        return self.secrets.get("s3")

    @cached_property
    def store(self) -> ObjectStore:
        options: dict[str, Any] = {}
        if self.settings.storage.endpoint_url:
            options = {
                "key": self.s3_credentials.get("access_key"),
                "secret": self.s3_credentials.get("secret_key"),
                "client_kwargs": {
                    "endpoint_url": self.settings.storage.endpoint_url,
                    "region_name": self.settings.storage.region,
                },
            }
        return ObjectStore(self.settings.storage.zone_uri, options)

    @cached_property
    def spark(self) -> SparkSession:
        from dp_core.spark import build_spark

        return build_spark(self.settings.spark, self.settings.storage, self.s3_credentials)

    @property
    def mlflow_tracking_uri(self) -> str:
        return self.settings.mlflow.tracking_uri

    def local_dir(self, *parts: str) -> str:
        """A folder under the state dir for process-local files (created on demand)."""
        path = self.settings.state_dir.joinpath(*parts)
        path.mkdir(parents=True, exist_ok=True)
        return str(path)

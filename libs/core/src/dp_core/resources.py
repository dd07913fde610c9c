"""Every client a step uses, built from one settings object: steps ask, never build.

One `Resources` per process and target (the Dagster resources model): each client is built on
first use from settings and the secret store, and `close()` releases what was built, newest first.
Where a system has a local and a real implementation, settings choose once, here:

| resource        | embedded                   | stack, kind, oci                       |
|-----------------|----------------------------|----------------------------------------|
| `store`         | folders (`file://`)        | S3 (SeaweedFS, OCI Object Storage)     |
| `secrets`       | `DP_SECRET_*` variables    | OpenBao (token or Kubernetes auth)     |
| `spark`         | local Spark                | local Spark with s3a (or a cluster)    |
| `mlflow`        | SQLite registry            | MLflow tracking server                 |
| `feature_store` | SQLite online, file registry | Redis online, Postgres registry      |
| `online_features` | Feast SDK read          | one Redis HMGET (Feast's key layout)   |
| `model_client`  | champion scored in process | Open Inference Protocol v2 over HTTP   |
| `kafka_*`       | (not used)                 | Kafka                                  |

Heavy client libraries are imported only when their resource is first asked for, so an image
carries only what its app uses (`dp-core[feast]`, `dp-core[model]`, `dp-core[mlflow]`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from dp_core.kafka import JsonProducer, KafkaIdentity, kafka_identity
from dp_core.logs import get_logger
from dp_core.secrets import SecretStore, build_secret_store
from dp_core.settings import Settings, get_settings
from dp_core.storage import ObjectStore

if TYPE_CHECKING:
    from confluent_kafka.admin import AdminClient
    from feast import FeatureStore
    from kafka import KafkaConsumer
    from mlflow import MlflowClient
    from pyspark.sql import SparkSession

    from dp_core.model_client import ModelClient
    from dp_core.online_features import OnlineFeatures

log = get_logger(__name__)


@dataclass
class Resources:
    """The clients of one target, built lazily and closed in reverse order of building."""

    settings: Settings = field(default_factory=get_settings)
    _closers: list[Callable[[], Any]] = field(default_factory=list, init=False, repr=False)

    def close(self) -> None:
        """Release every client built so far, newest first; one failing never skips the rest."""
        while self._closers:
            closer = self._closers.pop()
            try:
                closer()
            except Exception as exc:  # closing: report and go on with the others
                log.warning("resource_close_failed", closer=repr(closer), error=str(exc))

    def __enter__(self) -> Resources:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

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

        session = build_spark(self.settings.spark, self.settings.storage, self.s3_credentials)
        self._closers.append(session.stop)
        return session

    @cached_property
    def mlflow(self) -> MlflowClient:
        """The tracking and registry client; MLflow's module-level API points at it too."""
        import mlflow

        # Artifacts go through the tracking server's proxy, reachable wherever the server is: its
        # multipart downloads hand out presigned URLs of the store's own address (a cluster
        # Service name), which a client outside the cluster cannot resolve (a hang, then retries).
        os.environ.setdefault("MLFLOW_ENABLE_PROXY_MULTIPART_DOWNLOAD", "false")
        self.local_dir("mlflow")
        mlflow.set_tracking_uri(self.settings.mlflow.tracking_uri)
        mlflow.set_registry_uri(self.settings.mlflow.tracking_uri)
        return mlflow.MlflowClient(self.settings.mlflow.tracking_uri)

    @cached_property
    def feature_store(self) -> FeatureStore:
        from dp_core.feature_store import feature_store

        return feature_store(self)

    @cached_property
    def feature_registry_writer(self) -> FeatureStore:
        """A store that may change the registry (apply definitions, record materialisations):
        its SQL registry as the owner role; every other store reads the registry only."""
        from dp_core.feature_store import feature_store

        return feature_store(self, registry_writer=True)

    @cached_property
    def feature_state_writer(self) -> FeatureStore:
        """A store whose online writes replace each entity's row even at an equal event time.

        Feast's Redis write skips a row that is not newer than the stored one; a writer that
        computes an entity's whole current state (the stream, after a late event changed it at
        the same latest event time) must land. Batch materialization keeps Feast's check.
        """
        from dp_core.feature_store import feature_store

        return feature_store(self, overwrite_online=True)

    @cached_property
    def model_client(self) -> ModelClient:
        """The client of the served model callers score with (`model_server.model`, else the
        champion); the caller awaits its `start()`."""
        serving, registry = self.settings.model_server, self.settings.mlflow
        if serving.model in ("", registry.model_name):
            return self.model_client_for(registry.champion_alias)
        prefix = f"{registry.model_name}-"
        if not serving.model.startswith(prefix):
            raise ValueError(f"model_server.model must be {registry.model_name}[-<alias>]")
        return self.model_client_for(serving.model.removeprefix(prefix))

    def model_client_for(self, alias: str, poll_seconds: float | None = None) -> ModelClient:
        """A client of the version `alias` names, as `model_server.mode` reaches models: over
        v2 (the server's `served_name`) or loaded here (following the alias every
        `poll_seconds`, the settings' by default; 0: load once)."""
        from dp_core.champion import AliasedModel, pinned_version, served_name
        from dp_core.model_client import InProcessModelClient, V2HttpModelClient

        serving, registry = self.settings.model_server, self.settings.mlflow
        if serving.mode == "v2_http":
            return V2HttpModelClient(serving.url, served_name(registry, alias), serving.timeout_s)
        poll = serving.alias_poll_s if poll_seconds is None else poll_seconds
        pinned = pinned_version(self.settings, alias)
        return InProcessModelClient(AliasedModel(self.mlflow, registry, alias, poll, pinned))

    def online_features(
        self, view: str, features: Sequence[str], entity_key: str, timeout_s: float | None = None
    ) -> OnlineFeatures:
        """A reader of one feature view's online values (one Redis HMGET on Redis); a read that
        takes longer than `timeout_s` fails."""
        from dp_core.online_features import OnlineFeatures

        return OnlineFeatures(self.feature_store, view, features, entity_key, timeout_s)

    @cached_property
    def kafka(self) -> KafkaIdentity:
        """The brokers and this process's SASL/SCRAM identity (`kafka.user`), for every client."""
        return kafka_identity(self.settings.kafka, self.secrets)

    def kafka_producer(self, **overrides: Any) -> JsonProducer:
        """A new producer (acks=all, idempotent); flushed on close."""
        producer = JsonProducer(self.kafka, **overrides)
        self._closers.append(lambda: producer.flush(timeout_s=5))
        return producer

    def kafka_consumer(self, *topics: str, **config: Any) -> KafkaConsumer:
        """A new consumer of `topics` (kafka-python); closed on close."""
        from kafka import KafkaConsumer

        consumer = KafkaConsumer(*topics, **self.kafka.kafka_python(), **config)
        self._closers.append(consumer.close)
        return consumer

    @cached_property
    def kafka_admin(self) -> AdminClient:
        """Kafka's admin client (librdkafka): topics, SCRAM users, ACLs."""
        from confluent_kafka.admin import AdminClient

        return AdminClient(self.kafka.librdkafka())

    def local_dir(self, *parts: str) -> str:
        """A folder under the state dir for process-local files (created on demand)."""
        path = self.settings.state_dir.joinpath(*parts)
        path.mkdir(parents=True, exist_ok=True)
        return str(path)

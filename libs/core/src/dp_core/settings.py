"""The one typed settings model that selects a target.

Values come, highest first, from: keyword arguments, `DP_*` environment variables (`__` nests, e.g.
`DP_MLFLOW__TRACKING_URI`), a `.env` file, then the target's profile (`profiles/<target>.toml`).
Nothing is built at import time; `get_settings()` builds and caches the model on first use.
"""

from __future__ import annotations

import os
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

PROFILES_DIR = Path(__file__).parent / "profiles"


class Target(StrEnum):
    """Where the platform runs. Only settings differ between targets, never the code."""

    EMBEDDED = "embedded"
    STACK = "stack"
    KIND = "kind"
    OCI = "oci"


class StorageSettings(BaseModel):
    """The object store holding the zones (raw, staging, curated, quarantine)."""

    zone_uri: str = Field(
        default="",
        description="URI template of a zone, with `{zone}`; empty means `<state_dir>/lake/{zone}`.",
    )
    endpoint_url: str | None = Field(default=None, description="S3 endpoint for s3:// zones.")
    region: str = "us-east-1"


class SparkSettings(BaseModel):
    """The Spark session used by batch and streaming steps."""

    master: str = "local[2]"
    driver_memory: str = "3g"
    shuffle_partitions: int = 4
    jars_dir: Path | None = Field(
        default=None, description="Every jar in this folder is passed explicitly (spark.jars)."
    )


class MlflowSettings(BaseModel):
    """Experiment tracking and the model registry."""

    tracking_uri: str = Field(default="", description="Empty means SQLite under the state dir.")
    artifact_root: str = Field(default="", description="Empty means a folder under the state dir.")
    experiment: str = "fraud-detection"
    model_name: str = "fraud-detector"
    champion_alias: str = "champion"


class FeastSettings(BaseModel):
    """The feature store: registry and online store; the offline store reads the curated zone."""

    project: str = "data_platform"
    registry: str = Field(
        default="", description="Empty means a file registry under the state dir."
    )
    registry_type: Literal["file", "sql"] = "file"
    registry_cache_ttl_s: int = Field(
        default=10, description="How soon long-running readers (the API) see a new `apply`."
    )
    online_store: dict[str, Any] = Field(
        default_factory=dict, description="Feast online store config; empty means SQLite."
    )


class ModelServerSettings(BaseModel):
    """How the API reaches the model: scored in process, or over Open Inference Protocol v2."""

    mode: Literal["in_process", "v2_http"] = "in_process"
    url: str = "http://127.0.0.1:18080"
    host: str = "127.0.0.1"
    port: int = 18080
    timeout_s: float = 2.0
    alias_poll_s: float = Field(default=30.0, description="How often the server follows the alias.")


class ApiSettings(BaseModel):
    """The FastAPI backend."""

    host: str = "127.0.0.1"
    port: int = 18000
    fraud_threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    review_threshold: float = Field(default=0.2, ge=0.0, le=1.0)


class KafkaSettings(BaseModel):
    """Event streaming (used by the streaming steps)."""

    bootstrap_servers: str = "127.0.0.1:19092"
    transactions_topic: str = "transactions"
    dlq_topic: str = "transactions.dlq"
    predictions_topic: str = "predictions"
    publish_predictions: bool = Field(
        default=False, description="The API publishes each prediction to `predictions_topic`."
    )
    stream_trigger_s: float = Field(
        default=0.25, description="Micro-batch interval of `dp stream`."
    )
    stream_health_port: int = Field(default=18091, description="`dp stream`'s /healthz port.")
    stream_health_host: str = Field(
        default="127.0.0.1", description="Interface of that port (0.0.0.0 in a pod)."
    )
    stream_max_offsets: int = Field(default=20_000, description="Most messages per micro-batch.")


class SecretsSettings(BaseModel):
    """Where credentials come from: the environment, or OpenBao (Vault API)."""

    backend: Literal["env", "openbao"] = "env"
    url: str = "http://127.0.0.1:18200"
    mount: str = "secret"
    auth: Literal["token", "kubernetes"] = "token"
    token_file: Path | None = Field(
        default=None, description="Token auth: a file holding the token (BAO_TOKEN wins)."
    )
    kubernetes_role: str = "data-platform"


class StackSettings(BaseModel):
    """The local process stack (`dp stack up`): ports on 127.0.0.1, clear of common defaults."""

    s3_port: int = 18333
    openbao_port: int = 18200
    postgres_port: int = 18432
    redis_port: int = 18379
    kafka_port: int = 19092
    kafka_controller_port: int = 19093
    mlflow_port: int = 18500
    prometheus_port: int = 18090
    start_api_in_run: bool = Field(
        default=True, description="`dp run` starts its own API (false where the API is a service)."
    )


class Settings(BaseSettings):
    """Everything a step needs to know about where it runs."""

    model_config = SettingsConfigDict(
        env_prefix="DP_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
    )

    target: Target = Target.EMBEDDED
    state_dir: Path = Field(default=Path(".dp"), description="Local state: data, logs, databases.")
    seed: int = 42
    runs_dir: Path = Field(default=Path("runs"), description="Where `dp run` writes its reports.")
    storage: StorageSettings = Field(default_factory=StorageSettings)
    spark: SparkSettings = Field(default_factory=SparkSettings)
    mlflow: MlflowSettings = Field(default_factory=MlflowSettings)
    feast: FeastSettings = Field(default_factory=FeastSettings)
    model_server: ModelServerSettings = Field(default_factory=ModelServerSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    secrets: SecretsSettings = Field(default_factory=SecretsSettings)
    stack: StackSettings = Field(default_factory=StackSettings)

    @model_validator(mode="after")
    def _fill_local_defaults(self) -> Settings:
        """Resolve empty locations to places under the state directory."""
        state = self.state_dir.resolve()
        self.state_dir = state
        self.runs_dir = self.runs_dir.resolve()
        if not self.storage.zone_uri:
            self.storage.zone_uri = f"file://{state}/lake/{{zone}}"
        if not self.mlflow.tracking_uri:
            self.mlflow.tracking_uri = f"sqlite:///{state}/mlflow/mlflow.db"
        if not self.mlflow.artifact_root:
            self.mlflow.artifact_root = f"file://{state}/mlflow/artifacts"
        if not self.feast.registry:
            self.feast.registry = str(state / "feast" / "registry.db")
        if not self.feast.online_store:
            self.feast.online_store = {"type": "sqlite", "path": str(state / "feast" / "online.db")}
        if self.secrets.token_file is None:
            self.secrets.token_file = state / "stack" / "bao-token"
        if "{zone}" not in self.storage.zone_uri:
            raise ValueError("storage.zone_uri must contain '{zone}'")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Put the target's profile below every other source."""
        init_kwargs = getattr(init_settings, "init_kwargs", {})
        target = Target(init_kwargs.get("target") or os.environ.get("DP_TARGET", "embedded"))
        profile = TomlConfigSettingsSource(settings_cls, toml_file=PROFILES_DIR / f"{target}.toml")
        return init_settings, env_settings, dotenv_settings, profile


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, built once on first use."""
    return Settings()

"""The one typed settings model that selects a target.

Values come, highest first, from: keyword arguments, `DP_*` environment variables (`__` nests, e.g.
`DP_MLFLOW__SERVER`), a `.env` file, then the target's profile (`profiles/<target>.toml`). The
target itself is read from the same sources in the same order (`target=`, `DP_TARGET`, `.env`),
and a target without its profile, or a profile with a key the model does not have, is an error.
Service addresses are never written in a profile: each one derives from `endpoints` (host and the
declared ports, see `dp_core.endpoints`) unless a value is set explicitly, as pods do.
Nothing is built at import time; `get_settings()` builds and caches the model on first use.
"""

from __future__ import annotations

import os
import tomllib
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from dotenv import dotenv_values
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from dp_core.endpoints import ENDPOINTS

PROFILES_DIR = Path(__file__).parent / "profiles"
ENV_FILE = ".env"


class SettingsError(ValueError):
    """The settings cannot be resolved: a missing profile, an unknown key, a bad target."""


class Target(StrEnum):
    """Where the platform runs. Only settings differ between targets, never the code."""

    EMBEDDED = "embedded"
    STACK = "stack"
    KIND = "kind"
    OCI = "oci"


class Section(BaseModel):
    """A settings section: a misspelled key is an error, never silently dropped."""

    model_config = ConfigDict(extra="forbid")


class EndpointsSettings(Section):
    """Where this process reaches the platform's services (the stack, or port-forwards)."""

    host: str = "127.0.0.1"
    ports: dict[str, int] = Field(
        default_factory=lambda: {name: e.port for name, e in ENDPOINTS.items()},
        description="Each service's port, by name; unset ones keep the declared port.",
    )

    @field_validator("ports")
    @classmethod
    def _known_services(cls, ports: dict[str, int]) -> dict[str, int]:
        unknown = sorted(set(ports) - set(ENDPOINTS))
        if unknown:
            raise ValueError(f"unknown services {unknown}; known: {sorted(ENDPOINTS)}")
        return {name: ports.get(name, e.port) for name, e in ENDPOINTS.items()}

    def port(self, name: str) -> int:
        return self.ports.get(name) or ENDPOINTS[name].port

    def address(self, name: str) -> str:
        return ENDPOINTS[name].address(self.host, self.port(name))

    def url(self, name: str) -> str:
        return ENDPOINTS[name].url(self.host, self.port(name))


class StorageSettings(Section):
    """The object store holding the zones (raw, staging, curated, quarantine)."""

    zone_uri: str = Field(
        default="",
        description="URI template of a zone, with `{zone}`; empty means `<state_dir>/lake/{zone}`.",
    )
    endpoint_url: str = Field(
        default="", description="S3 endpoint for s3:// zones; empty means the seaweedfs endpoint."
    )
    region: str = "us-east-1"


class SparkSettings(Section):
    """The Spark session used by batch and streaming steps."""

    master: str = Field(
        default="local[2]",
        description="`local[N]`, `local-cluster[N,cores,MiB]` (executor JVMs) or "
        "`k8s://https://kubernetes.default.svc` (executor pods, components/spark-executors).",
    )
    driver_memory: str = "3g"
    shuffle_partitions: int = 4
    jars_dir: Path | None = Field(
        default=None, description="Every jar in this folder is passed explicitly (spark.jars)."
    )
    conf: dict[str, str] = Field(
        default_factory=dict, description="More Spark properties, applied last (JSON in env)."
    )


class MlflowSettings(Section):
    """Experiment tracking and the model registry."""

    server: bool = Field(
        default=False, description="Use the tracking server (else SQLite under the state dir)."
    )
    tracking_uri: str = Field(default="", description="Empty: the server's endpoint or SQLite.")
    artifact_root: str = Field(
        default="",
        description="Empty: the server's own (proxied) artifact store, or a folder under the "
        "state dir without a server.",
    )
    experiment: str = "fraud-detection"
    model_name: str = "fraud-detector"
    champion_alias: str = Field(default="champion", description="The version the API serves.")
    challenger_alias: str = Field(
        default="challenger",
        description="Training's newest version, served beside the champion until `dp promote`.",
    )


class FeastSettings(Section):
    """The feature store: registry and online store; the offline store reads the curated zone."""

    project: str = "data_platform"
    registry_type: Literal["file", "sql"] = "file"
    registry: str = Field(
        default="", description="Empty: a file under the state dir, or Postgres' `feast` database."
    )
    registry_cache_ttl_s: int = Field(
        default=10, description="How soon long-running readers (the API) see a new `apply`."
    )
    online_store_type: Literal["sqlite", "redis"] = "sqlite"
    online_store: dict[str, Any] = Field(
        default_factory=dict, description="Feast online store config; empty: derived from type."
    )
    historical_batch_rows: int = Field(
        default=250_000,
        ge=1_000,
        description="Events per point-in-time join of the training set: Feast's join pairs each "
        "event with all its customer's earlier states, so it runs in batches to keep its memory "
        "bounded whatever the rows.",
    )
    redis_user: str = Field(
        default="",
        description="The Redis ACL user this process connects as (`reader` or `writer`); its "
        "password is the secret `redis/<user>`. Empty: no authentication (embedded).",
    )


class ModelServerSettings(Section):
    """How the API reaches the model: scored in process, or over Open Inference Protocol v2."""

    mode: Literal["in_process", "v2_http"] = "in_process"
    url: str = Field(
        default="",
        description="Empty means the serving endpoint (KServe binds every interface on its port).",
    )
    model: str = Field(
        default="",
        description="The served model callers score with: empty means the champion "
        "(`mlflow.model_name`); `<model_name>-<challenger_alias>` is the challenger.",
    )
    timeout_s: float = 2.0
    batch_max_rows: int = Field(
        default=32,
        ge=1,
        description="The API scores concurrent predictions in shared v2 requests of up to this "
        "many rows (adaptive: no wait when the server is idle); 1: one request per prediction.",
    )
    batch_in_flight: int = Field(
        default=1,
        ge=1,
        description="Requests the API keeps outstanding at the model server before predictions "
        "wait to share the next one: the server's workers (one per pod here; 1, 2 and 4 "
        "measured in docs/performance.md).",
    )
    grpc: bool = Field(
        default=False,
        description="Also serve the protocol over gRPC on the `serving-grpc` port (its cost on "
        "REST throughput and its latency against REST: docs/performance.md).",
    )
    alias_poll_s: float = Field(default=30.0, description="How often the server follows the alias.")
    pinned_version: str = Field(
        default="",
        description="Serve this champion version whatever the alias says (oci: written into the "
        "overlay by `make release`, so Git decides what production serves); empty: follow it.",
    )


Gate = Literal["quality", "serving", "api", "load", "shadow"]


class PromotionSettings(Section):
    """`dp promote`: the gates a challenger passes before it becomes the champion."""

    gates: list[Gate] = Field(
        default=["quality", "shadow"],
        description="In order; the first that fails stops the promotion. serving, api and load "
        "need the model server (targets other than embedded).",
    )
    max_metric_drop: float = Field(
        default=0.005,
        description="How far below the champion's holdout ROC AUC and average precision the "
        "challenger's may be (same holdout rows).",
    )
    load_duration_s: int = Field(
        default=30, description="The load gate's length (its rate and SLOs: loadtests/slos.toml)."
    )
    load_test: Path = Field(
        default=Path("loadtests/gate.py"), description="The Locust SLO gate (`make load`)."
    )
    shadow_requests: int = Field(
        default=200, description="Recent transactions scored by both models for the drift."
    )


class ApiSettings(Section):
    """The FastAPI backend."""

    host: str = Field(default="127.0.0.1", description="Interface the API binds.")
    fraud_threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    review_threshold: float = Field(default=0.2, ge=0.0, le=1.0)
    start_in_run: bool = Field(
        default=True, description="`dp run` starts its own API (false where the API is a service)."
    )
    deadline_s: float = Field(
        default=1.0,
        gt=0,
        description="A request's budget for the online store and the model; past it, 503.",
    )
    max_body_bytes: int = Field(
        default=16_384, gt=0, description="Larger request bodies are refused with 413."
    )
    auth: Literal["none", "api_key"] = Field(
        default="none",
        description="`api_key`: /v1/predict needs a key from the secret store's `api-keys`.",
    )
    keys_refresh_s: float = Field(
        default=60.0, gt=0, description="How often the API re-reads its keys (rotation)."
    )


def kafka_brokers(count: int) -> list[str]:
    """The endpoint names of the stack's first `count` Kafka brokers."""
    return ["kafka", "kafka-2", "kafka-3"][:count]


class KafkaSettings(Section):
    """Event streaming (used by the streaming steps)."""

    bootstrap_servers: str = Field(
        default="", description="Empty means the kafka endpoint (every broker's, with `brokers`)."
    )
    brokers: int = Field(
        default=1,
        ge=1,
        le=3,
        description="Brokers of the stack's KRaft cluster (each also a controller): 3 gives the "
        "topics replication factor 3 and min.insync.replicas 2. Clusters size their StatefulSet.",
    )
    user: str = Field(
        default="",
        description="The SASL/SCRAM user this process connects as (`api`, `stream`, `admin`); "
        "its password is the secret `kafka/<user>`. Empty: no authentication (a broker without "
        "SASL; the embedded target uses no Kafka at all).",
    )
    tls: bool = Field(
        default=False,
        description="SASL over TLS (`SASL_SSL`) instead of over plain TCP (`SASL_PLAINTEXT`).",
    )
    transactions_topic: str = "transactions"
    dlq_topic: str = "transactions.dlq"
    predictions_topic: str = "predictions"
    publish_predictions: bool = Field(
        default=False, description="The API publishes each prediction to `predictions_topic`."
    )
    stream_trigger_s: float = Field(
        default=0.25, description="Micro-batch interval of `dp stream`."
    )
    stream_health_host: str = Field(
        default="127.0.0.1", description="Interface of `dp stream`'s /healthz (0.0.0.0 in a pod)."
    )
    stream_max_offsets: int = Field(default=20_000, description="Most messages per micro-batch.")
    stream_allowed_lateness_s: float = Field(
        default=3_600,
        ge=0,
        description="An event older than the newest streamed event by more than this goes to the "
        "dead-letter topic as `too_late`; within it, it updates the online features.",
    )
    stream_fail_on_data_loss: bool = Field(
        default=True,
        description="Stop the stream when offsets it has not read are gone (retention, a "
        "recreated topic); false skips them, logged as a warning at start.",
    )


class AirflowSettings(Section):
    """The orchestrator's runtime: where it reads the DAGs from (a Git repository) and how its
    tasks run the platform's steps."""

    dags_repo: str = Field(
        default="",
        description="Git URL of the DAGs repository; empty means `<state_dir>/dags.git`, the "
        "local bare repository `make dags-repo` publishes.",
    )
    dags_ref: str = Field(default="main", description="Branch or tag the runtime tracks.")
    dags_refresh_s: int = Field(default=30, gt=0, description="How often the bundle fetches.")
    runner: Literal["local", "kubernetes"] = Field(
        default="local",
        description="`local`: tasks run `dp` on the worker; `kubernetes`: in a pod of the "
        "step's image.",
    )


class SecretsSettings(Section):
    """Where credentials come from: the environment, or OpenBao (Vault API)."""

    backend: Literal["env", "openbao"] = "env"
    url: str = Field(default="", description="Empty means the openbao endpoint.")
    mount: str = "secret"
    auth: Literal["token", "kubernetes"] = "token"
    token_file: Path | None = Field(
        default=None, description="Token auth: a file holding the token (BAO_TOKEN wins)."
    )
    kubernetes_role: str = "data-platform"
    ca_cert: Path | None = Field(
        default=None,
        description="The CA certificate (PEM file) that signed OpenBao's, for an https URL "
        "signed by a private CA (oci: cert-manager's platform CA); None: the system's CAs.",
    )


class Settings(BaseSettings):
    """Everything a step needs to know about where it runs."""

    model_config = SettingsConfigDict(
        env_prefix="DP_",
        env_nested_delimiter="__",
        env_file=ENV_FILE,
        # Top level only: `.env` and the environment carry other variables (BAO_TOKEN,
        # DP_LOG_LEVEL); sections forbid unknown keys and the profile is checked on load.
        extra="ignore",
    )

    target: Target = Target.EMBEDDED
    state_dir: Path = Field(default=Path(".dp"), description="Local state: data, logs, databases.")
    seed: int = 42
    runs_dir: Path = Field(default=Path("runs"), description="Where `dp run` writes its reports.")
    endpoints: EndpointsSettings = Field(default_factory=EndpointsSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    spark: SparkSettings = Field(default_factory=SparkSettings)
    mlflow: MlflowSettings = Field(default_factory=MlflowSettings)
    feast: FeastSettings = Field(default_factory=FeastSettings)
    model_server: ModelServerSettings = Field(default_factory=ModelServerSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    secrets: SecretsSettings = Field(default_factory=SecretsSettings)
    airflow: AirflowSettings = Field(default_factory=AirflowSettings)
    promotion: PromotionSettings = Field(default_factory=PromotionSettings)

    @model_validator(mode="after")
    def _derive(self) -> Settings:
        """Fill what was left empty: local places under the state dir, or the declared endpoints."""
        state = self.state_dir.resolve()
        self.state_dir = state
        self.runs_dir = self.runs_dir.resolve()
        at = self.endpoints
        if not self.storage.zone_uri:
            self.storage.zone_uri = f"file://{state}/lake/{{zone}}"
        if "{zone}" not in self.storage.zone_uri:
            raise ValueError("storage.zone_uri must contain '{zone}'")
        if self.storage.zone_uri.startswith("s3://") and not self.storage.endpoint_url:
            self.storage.endpoint_url = at.url("seaweedfs")
        if not self.mlflow.tracking_uri:
            self.mlflow.tracking_uri = (
                at.url("mlflow") if self.mlflow.server else f"sqlite:///{state}/mlflow/mlflow.db"
            )
        if not self.mlflow.artifact_root and not self.mlflow.server:
            self.mlflow.artifact_root = f"file://{state}/mlflow/artifacts"
        if not self.feast.registry:
            self.feast.registry = (
                f"postgresql+psycopg://{at.address('postgres')}/feast"
                if self.feast.registry_type == "sql"
                else str(state / "feast" / "registry.db")
            )
        if not self.feast.online_store:
            self.feast.online_store = (
                {"type": "redis", "connection_string": at.address("redis")}
                if self.feast.online_store_type == "redis"
                else {"type": "sqlite", "path": str(state / "feast" / "online.db")}
            )
        self.model_server.url = self.model_server.url or at.url("serving")
        self.kafka.bootstrap_servers = self.kafka.bootstrap_servers or ",".join(
            at.address(broker) for broker in kafka_brokers(self.kafka.brokers)
        )
        self.secrets.url = self.secrets.url or at.url("openbao")
        self.airflow.dags_repo = self.airflow.dags_repo or f"file://{state}/dags.git"
        if self.secrets.token_file is None:
            self.secrets.token_file = state / "stack" / "bao-token"
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
        target = resolve_target(getattr(init_settings, "init_kwargs", {}).get("target"))
        return init_settings, env_settings, dotenv_settings, ProfileSource(settings_cls, target)


def resolve_target(explicit: str | Target | None = None) -> Target:
    """The target from the first source that names one: argument, DP_TARGET, `.env`, default."""
    dotenv = dotenv_values(ENV_FILE) if Path(ENV_FILE).is_file() else {}
    name = explicit or os.environ.get("DP_TARGET") or dotenv.get("DP_TARGET") or "embedded"
    try:
        return Target(name)
    except ValueError:
        known = ", ".join(t.value for t in Target)
        raise SettingsError(f"unknown target '{name}' (known: {known})") from None


def load_profile(
    target: Target | str, settings_cls: type[BaseModel] | None = None
) -> dict[str, Any]:
    """A target's profile as a dict, `extends` resolved; unknown keys are errors naming the file."""
    path = PROFILES_DIR / f"{target}.toml"
    if not path.is_file():
        raise SettingsError(f"target '{target}' has no profile: {path} does not exist")
    values = tomllib.loads(path.read_text())
    base = values.pop("extends", None)
    merged = _deep_merge(load_profile(base) if base else {}, values)
    unknown = _unknown_keys(settings_cls or Settings, values)
    if unknown:
        raise SettingsError(f"{path}: unknown keys {', '.join(unknown)}")
    return merged


class ProfileSource(PydanticBaseSettingsSource):
    """The target's profile (`profiles/<target>.toml`), the lowest source."""

    def __init__(self, settings_cls: type[BaseSettings], target: Target) -> None:
        super().__init__(settings_cls)
        self._values = {**load_profile(target, settings_cls), "target": target.value}

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self._values)


def _deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _unknown_keys(model: type[BaseModel], values: dict[str, Any], prefix: str = "") -> list[str]:
    unknown: list[str] = []
    for key, value in values.items():
        field = model.model_fields.get(key)
        if field is None or key == "target":
            unknown.append(f"{prefix}{key}")
            continue
        section = field.annotation
        if isinstance(section, type) and issubclass(section, BaseModel) and isinstance(value, dict):
            unknown += _unknown_keys(section, value, f"{prefix}{key}.")
    return unknown


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, built once on first use."""
    return Settings()

"""The Feast `RepoConfig` and `FeatureStore` factory, keyed by settings."""

from __future__ import annotations

from pathlib import Path

from feast import FeatureStore, RepoConfig
from sqlalchemy.engine import make_url

from dp_core.resources import Resources
from dp_core.storage import Zone

CURATED_DATASET = "customer_features"


def repo_config(resources: Resources) -> RepoConfig:
    """Registry, online and offline stores for the target; the same definitions for all."""
    feast = resources.settings.feast
    repo_path = Path(resources.local_dir("feast"))
    online = dict(feast.online_store)
    if online.get("type") == "sqlite":
        Path(online["path"]).parent.mkdir(parents=True, exist_ok=True)
    registry_path = feast.registry
    if feast.registry_type == "sql":
        registry_path = with_credentials(feast.registry, resources.secrets.get("postgres"))
    else:
        Path(feast.registry).parent.mkdir(parents=True, exist_ok=True)
    registry = {
        "registry_type": feast.registry_type,
        "path": registry_path,
        "cache_ttl_seconds": 60,
    }
    return RepoConfig(
        project=feast.project,
        provider="local",
        registry=registry,
        online_store=online,
        offline_store={"type": "duckdb"},
        entity_key_serialization_version=3,
        repo_path=repo_path,
    )


def with_credentials(database_url: str, postgres: dict[str, str]) -> str:
    """The SQL registry URL with the user and password from the secret store."""
    url = make_url(database_url).set(username=postgres["user"], password=postgres["password"])
    return url.render_as_string(hide_password=False)


def curated_uri(resources: Resources) -> str:
    """The curated features as Feast's file source names them (a plain path for local zones)."""
    return resources.store.uri(Zone.CURATED, CURATED_DATASET).removeprefix("file://")


def feature_store(resources: Resources) -> FeatureStore:
    return FeatureStore(config=repo_config(resources))

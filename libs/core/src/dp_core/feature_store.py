"""The Feast `RepoConfig` and `FeatureStore` factory, keyed by settings."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from feast import FeatureStore, RepoConfig
from sqlalchemy.engine import make_url

from dp_core.domain import CUSTOMER_FEATURES
from dp_core.resources import Resources
from dp_core.storage import Zone


def repo_config(
    resources: Resources, overwrite_online: bool = False, registry_writer: bool = False
) -> RepoConfig:
    """Registry, online and offline stores for the target; the same definitions for all.

    `overwrite_online`: online writes replace the stored row even when it is not older (Redis's
    `skip_dedup`), for a writer that always writes a customer's whole current state.
    `registry_writer`: a SQL registry as its owner (`postgres/feast`: apply, materialize);
    everyone else reads it as `postgres/feast-reader`.
    """
    feast = resources.settings.feast
    repo_path = Path(resources.local_dir("feast"))
    online = dict(feast.online_store)
    if online.get("type") == "redis" and feast.redis_user:
        online["connection_string"] = with_redis_user(
            online["connection_string"],
            feast.redis_user,
            resources.secrets.get(f"redis/{feast.redis_user}")["password"],
        )
    if overwrite_online and online.get("type") == "redis":
        online["skip_dedup"] = True
    if online.get("type") == "sqlite":
        Path(online["path"]).parent.mkdir(parents=True, exist_ok=True)
    registry_path = feast.registry
    if feast.registry_type == "sql":
        secret = (
            "postgres/feast" if registry_writer else "postgres/feast-reader"
        )  # pragma: allowlist secret
        registry_path = with_credentials(feast.registry, resources.secrets.get(secret))
    else:
        Path(feast.registry).parent.mkdir(parents=True, exist_ok=True)
    registry = {
        "registry_type": feast.registry_type,
        "path": registry_path,
        "cache_ttl_seconds": feast.registry_cache_ttl_s,
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


def with_redis_user(connection_string: str, user: str, password: str) -> str:
    """Feast's Redis connection string (`host:port[,key=value…]`) with an ACL user."""
    return f"{connection_string},username={user},password={password}"


def with_credentials(database_url: str, postgres: dict[str, str]) -> str:
    """The SQL registry URL with the user and password from the secret store."""
    url = make_url(database_url).set(username=postgres["user"], password=postgres["password"])
    return url.render_as_string(hide_password=False)


def curated_uri(resources: Resources) -> str:
    """The curated features as Feast's file source names them (a plain path for local zones)."""
    return resources.store.uri(Zone.CURATED, CUSTOMER_FEATURES).removeprefix("file://")


def configure_offline_engine(resources: Resources) -> None:
    """Point the DuckDB behind Feast's offline store at our extensions and S3 endpoint.

    DuckDB fetches extensions from its own site at run time; the `duckdb-ext-httpfs` wheel ships
    httpfs instead, so we load it from site-packages and never download. S3 credentials come
    from the secret store, the endpoint from settings.
    """
    import duckdb
    import ibis

    extensions = Path(duckdb.__file__).parent.parent / "duckdb_ext" / "extensions"
    connection = ibis.duckdb.connect(
        extension_directory=str(extensions), autoinstall_known_extensions=False
    )
    storage = resources.settings.storage
    if storage.endpoint_url:
        endpoint = urlsplit(storage.endpoint_url)
        keys = resources.s3_credentials
        connection.raw_sql(
            "CREATE OR REPLACE SECRET dp_s3 (TYPE s3, URL_STYLE 'path', "
            f"KEY_ID '{keys['access_key']}', SECRET '{keys['secret_key']}', "
            f"ENDPOINT '{endpoint.netloc}', USE_SSL {str(endpoint.scheme == 'https').lower()}, "
            f"REGION '{storage.region}')"
        )
    ibis.set_backend(connection)


def feature_store(
    resources: Resources, overwrite_online: bool = False, registry_writer: bool = False
) -> FeatureStore:
    configure_offline_engine(resources)
    return FeatureStore(config=repo_config(resources, overwrite_online, registry_writer))

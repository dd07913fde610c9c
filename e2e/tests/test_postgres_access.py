"""Postgres: one role per client. Each database belongs to its own role and admits no other but
the registry's reader, which may read Feast's registry and change nothing."""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest

from dp_core.resources import Resources
from e2e.target import Target

pytestmark = pytest.mark.requires("services")


def _connect(resources: Resources, role: str, password: str, database: str) -> psycopg.Connection:
    host, port = resources.settings.endpoints.address("postgres").split(":")
    return psycopg.connect(
        host=host, port=port, user=role, password=password, dbname=database, connect_timeout=5
    )


def _registry_role(resources: Resources, secret: str) -> tuple[str, str]:
    values = resources.secrets.get(secret)
    return values["user"], values["password"]


def _mlflow_password(target: Target) -> str:
    path = target.state_dir / "stack" / "credentials.json"
    if not path.exists():
        pytest.skip("the MLflow server's role is the cluster's Secret's, not readable here")
    return str(json.loads(path.read_text())["postgres_mlflow_password"])


def test_the_registry_reader_reads_the_registry_and_changes_nothing(
    flow: dict[str, Any], resources: Resources
) -> None:
    role, password = _registry_role(resources, "postgres/feast-reader")
    with _connect(resources, role, password, "feast") as conn:
        assert conn.execute("SELECT count(*) FROM feature_views").fetchone()[0] >= 1
        for statement in (
            "DELETE FROM feature_views",
            "UPDATE feast_metadata SET metadata_value = 'x'",
            "CREATE TABLE mine (x int)",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
            conn.rollback()


@pytest.mark.parametrize(
    ("secret", "database"),
    [("postgres/feast-reader", "mlflow"), ("postgres/feast", "mlflow")],
)
def test_a_registry_role_cannot_open_mlflows_database(
    flow: dict[str, Any], resources: Resources, secret: str, database: str
) -> None:
    role, password = _registry_role(resources, secret)
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        _connect(resources, role, password, database)


def test_mlflows_role_cannot_open_the_registry(
    flow: dict[str, Any], resources: Resources, target: Target
) -> None:
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        _connect(resources, "mlflow", _mlflow_password(target), "feast")


@pytest.mark.parametrize("database", ["mlflow", "feast"])
def test_every_table_belongs_to_its_databases_own_role(
    flow: dict[str, Any], resources: Resources, target: Target, database: str
) -> None:
    """MLflow's server and `dp features` created their tables as their own roles."""
    if database == "feast":
        role, password = _registry_role(resources, "postgres/feast")
    else:
        role, password = "mlflow", _mlflow_password(target)  # pragma: allowlist secret
    with _connect(resources, role, password, database) as conn:
        owners = conn.execute(
            "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
    assert owners == [(database,)]

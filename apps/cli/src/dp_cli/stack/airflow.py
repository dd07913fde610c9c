"""Airflow on the stack: api-server, scheduler (LocalExecutor), dag-processor and triggerer as
supervised processes from Airflow's own environment (`apps/airflow`), metadata in its own
database and role on the stack's Postgres, keys and the admin password from OpenBao, metrics
through a StatsD exporter that Prometheus scrapes, DAGs from a Git repository (GitDagBundle).

Tasks run the platform's `dp` steps on the scheduler's machine (runner `local`), with one token
carrying exactly the policies of the workloads the DAGs orchestrate.
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from dp_cli.stack.base import MissingTool, Service, StackContext, http_ok, tool
from dp_cli.stack.dags_repo import publish_dags
from dp_cli.stack.openbao import mint_token

RUNTIME = Path("apps/airflow/.venv/bin")
STATSD_EXPORTER = ".cache/bin/statsd_exporter"
# The workloads whose steps the DAGs run; their policies, and no other, go to the tasks' token.
ORCHESTRATED = ["pipeline", "features", "training", "promotion", "checks"]


def home(ctx: StackContext) -> Path:
    path = ctx.root / "airflow"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _airflow(ctx: StackContext, *args: str) -> list[str]:
    binary = ctx.repo / RUNTIME / "airflow"
    if not binary.exists():
        raise MissingTool(f"Airflow's environment is missing ({binary}); run `make stack-setup`")
    return [str(binary), *args]


def _openbao(ctx: StackContext) -> Any:
    import hvac

    return hvac.Client(url=ctx.url("openbao"), token=ctx.creds.bao_token)


def secrets(ctx: StackContext) -> dict[str, str]:
    """Airflow's keys and passwords, read from OpenBao (seeded there by `dp stack up`)."""
    answer = _openbao(ctx).secrets.kv.v2.read_secret_version(
        path="airflow", mount_point=ctx.settings.secrets.mount, raise_on_deleted_version=True
    )
    return dict(answer["data"]["data"])


def bundles(ctx: StackContext) -> str:
    """One Git DAG bundle: the DAGs repository and ref from settings."""
    airflow = ctx.settings.airflow
    bundle = {
        "name": "dags",
        "classpath": "airflow.providers.git.bundles.git.GitDagBundle",
        "kwargs": {
            "repo_url": airflow.dags_repo,
            "tracking_ref": airflow.dags_ref,
            "refresh_interval": airflow.dags_refresh_s,
        },
    }
    return json.dumps([bundle])


def airflow_env(ctx: StackContext) -> dict[str, str]:
    """What every Airflow process of the stack shares."""
    keys = secrets(ctx)
    api = ctx.url("airflow")
    folder = home(ctx)
    return {
        "AIRFLOW_HOME": str(folder),
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__FERNET_KEY": keys["fernet_key"],
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{api}/execution/",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(folder / "passwords.json"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": (
            f"postgresql+psycopg2://airflow:{keys['db_password']}"
            f"@{ctx.settings.endpoints.address('postgres')}/airflow"
        ),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(ctx.port("airflow")),
        "AIRFLOW__API__BASE_URL": api,
        "AIRFLOW__API__SECRET_KEY": keys["api_secret_key"],
        "AIRFLOW__API__EXPOSE_CONFIG": "False",
        "AIRFLOW__API_AUTH__JWT_SECRET": keys["jwt_secret"],
        "AIRFLOW__METRICS__STATSD_ON": "True",
        "AIRFLOW__METRICS__STATSD_HOST": "127.0.0.1",
        "AIRFLOW__METRICS__STATSD_PORT": str(ctx.port("airflow-statsd")),
        "AIRFLOW__METRICS__STATSD_PREFIX": "airflow",
        "AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST": bundles(ctx),
        "AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_STORAGE_PATH": str(folder / "dag_bundles"),
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": str(ctx.settings.airflow.dags_refresh_s),
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        "PYTHONUNBUFFERED": "1",
    } | interface_env(ctx)


def interface_env(ctx: StackContext) -> dict[str, str]:
    """The DAGs' interface (the DAGs repository's platform_interface.py) on the stack: `dp` on
    this machine, no time-based schedules (runs are triggered), quick retries."""
    return {
        "DP_RUNNER": ctx.settings.airflow.runner,
        "DP_COMMAND": str(_dp_wrapper(ctx)),
        "DP_ZONE_URI": ctx.settings.storage.zone_uri,
        "DP_SCHEDULES": "off",
        "DP_RETRY_DELAY_S": "5",
    }


def task_env(ctx: StackContext) -> dict[str, str]:
    """What the tasks' `dp` steps need (the scheduler's LocalExecutor runs them): the stack's
    settings, and one token with exactly the orchestrated workloads' policies."""
    token = mint_token(_openbao(ctx), "airflow", policies=ORCHESTRATED)
    return ctx.dp_env() | {"BAO_TOKEN": token}


def _dp_wrapper(ctx: StackContext) -> Path:
    """`dp` from this checkout, in the repository (its relative paths: jars, policies)."""
    path = home(ctx) / "dp"
    dp = Path(sys.executable).parent / "dp"
    path.write_text(f'#!/usr/bin/env bash\ncd "{ctx.repo}" && exec "{dp}" "$@"\n')
    path.chmod(0o755)
    return path


def _database(ctx: StackContext, password: str) -> None:
    """Airflow's own role and database on the stack's Postgres (it sees no other database)."""
    import psycopg
    from psycopg import sql

    uri = ctx.postgres_uri("postgres").replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(uri, autocommit=True) as conn:
        role = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'airflow'").fetchone()
        verb = "ALTER" if role else "CREATE"
        conn.execute(
            sql.SQL(verb + " ROLE airflow LOGIN PASSWORD {}").format(sql.Literal(password))
        )
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'airflow'").fetchone():
            conn.execute("CREATE DATABASE airflow OWNER airflow")
        conn.execute("REVOKE ALL ON DATABASE airflow FROM PUBLIC")  # nor do others see it


def _prepare(ctx: StackContext) -> None:
    """Database, admin password file, the DAGs repository (published once), schema migrated."""
    keys = secrets(ctx)
    _database(ctx, keys["db_password"])
    passwords = home(ctx) / "passwords.json"
    passwords.touch(mode=0o600)
    passwords.write_text(json.dumps({"admin": keys["admin_password"]}))
    if ctx.settings.airflow.dags_repo.startswith("file://"):  # ours: publish what dags/ holds
        bare = Path(ctx.settings.airflow.dags_repo.removeprefix("file://"))
        publish_dags(ctx.repo / "dags", bare, ctx.settings.airflow.dags_ref)
    migrated = subprocess.run(
        _airflow(ctx, "db", "migrate"),
        env=_process_env(ctx, {}),
        capture_output=True,
        text=True,
        cwd=ctx.repo,
    )
    if migrated.returncode != 0:
        raise RuntimeError(f"airflow db migrate failed:\n{migrated.stderr[-2000:]}")


def _process_env(ctx: StackContext, extra: dict[str, str]) -> dict[str, str]:
    import os

    return os.environ | airflow_env(ctx) | extra


def health(ctx: StackContext) -> dict[str, Any]:
    """The api-server's view of every Airflow component (`/api/v2/monitor/health`)."""
    try:
        answer = httpx.get(f"{ctx.url('airflow')}/api/v2/monitor/health", timeout=3)
    except httpx.HTTPError:
        return {}
    return answer.json() if answer.status_code == 200 else {}


def _component_healthy(component: str, ctx: StackContext) -> bool:
    return (health(ctx).get(component) or {}).get("status") == "healthy"


def _component(name: str, component: str, *args: str, env: Any = None) -> Service:
    return Service(
        name=name,
        url=lambda ctx: "",  # listens on nothing; the api-server's health reports it
        command=lambda ctx: _airflow(ctx, *args),
        env=lambda ctx: airflow_env(ctx) | (env(ctx) if env else {}),
        healthy=partial(_component_healthy, component),
        start_timeout_s=120,
    )


AIRFLOW_METRICS = Service(
    name="airflow-metrics",
    url=lambda ctx: ctx.url("airflow-metrics"),
    command=lambda ctx: [
        tool("statsd_exporter", str(ctx.repo / STATSD_EXPORTER)),
        f"--statsd.listen-udp=127.0.0.1:{ctx.port('airflow-statsd')}",
        "--statsd.listen-tcp=",
        f"--web.listen-address=127.0.0.1:{ctx.port('airflow-metrics')}",
        f"--statsd.mapping-config={ctx.repo / 'k8s/base/airflow/statsd-mapping.yml'}",
    ],
    healthy=lambda ctx: http_ok(f"{ctx.url('airflow-metrics')}/metrics"),
)

AIRFLOW_API = Service(
    name="airflow",
    url=lambda ctx: ctx.url("airflow"),
    command=lambda ctx: _airflow(ctx, "api-server", "--workers", "1"),
    env=airflow_env,
    prepare=_prepare,
    healthy=partial(_component_healthy, "metadatabase"),
    start_timeout_s=180,
)

AIRFLOW_SERVICES = (
    AIRFLOW_METRICS,
    AIRFLOW_API,
    _component("airflow-scheduler", "scheduler", "scheduler", env=task_env),
    _component("airflow-dag-processor", "dag_processor", "dag-processor"),
    _component("airflow-triggerer", "triggerer", "triggerer"),
)

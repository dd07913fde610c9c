"""Airflow runs the platform from the DAGs repository, read through Git, as a user drives it.

Everything goes through Airflow's REST API with its own client (`apache-airflow-client`), logged
in as the admin whose password the operator reads from OpenBao; what the runs produced is then
checked from outside: the object store, MLflow's registry, the model server and the API.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from airflow_client import client as af

from dp_core.domain import CUSTOMER_FEATURES
from dp_core.resources import Resources
from dp_core.storage import Zone
from e2e.target import DAYS, ROWS, Target

pytestmark = pytest.mark.requires("airflow")
DAILY, MODEL = "transactions_daily", "fraud_model"
RUN_TIMEOUT_S = 900.0
REPORT = Path("reports/airflow.json")


@dataclass
class Airflow:
    """Airflow's REST API as a user's tooling calls it."""

    api: af.ApiClient

    @property
    def dags(self) -> af.DAGApi:
        return af.DAGApi(self.api)

    @property
    def runs(self) -> af.DagRunApi:
        return af.DagRunApi(self.api)

    @property
    def tasks(self) -> af.TaskInstanceApi:
        return af.TaskInstanceApi(self.api)

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        body = af.TriggerDAGRunPostBody(logical_date=datetime.now(UTC), conf=conf, note="e2e")
        return str(self.runs.trigger_dag_run(dag_id, body).dag_run_id)

    def wait(self, dag_id: str, run_id: str, timeout_s: float = RUN_TIMEOUT_S) -> Any:
        """The run once it has finished (success or failed)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            run = self.runs.get_dag_run(dag_id, run_id)
            if run.state.value in ("success", "failed"):
                return run
            time.sleep(3)
        raise TimeoutError(f"{dag_id} run {run_id} did not finish in {timeout_s:.0f}s")

    def model_run_after(self, daily_run_id: str, seen: set[str]) -> str:
        """The fraud_model run the curated zone's update from `daily_run_id` scheduled."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            events = af.AssetApi(self.api).get_asset_events(
                source_dag_id=DAILY, source_run_id=daily_run_id
            )
            created = {
                run.run_id
                for event in events.asset_events
                for run in event.created_dagruns
                if run.dag_id == MODEL
            }
            if created - seen:
                return sorted(created - seen)[0]
            time.sleep(2)
        raise TimeoutError(f"no {MODEL} run was scheduled by {DAILY} run {daily_run_id}")

    def states(self, dag_id: str, run_id: str) -> dict[str, str]:
        answer = self.tasks.get_task_instances(dag_id, run_id)
        return {t.task_id: t.state.value if t.state else "none" for t in answer.task_instances}

    def output(self, dag_id: str, run_id: str, task_id: str) -> dict[str, Any]:
        """A `dp` task's summary (its last line of output, kept by Airflow as its XCom)."""
        entry = af.XComApi(self.api).get_xcom_entry(dag_id, task_id, run_id, "return_value")
        value = entry.actual_instance.value  # type: ignore[union-attr]
        return json.loads(value) if isinstance(value, str) else value  # type: ignore[no-any-return]

    def log(self, dag_id: str, run_id: str, task_id: str, try_number: int) -> str:
        answer = self.tasks.get_log(
            dag_id, run_id, task_id, try_number, full_content=True, accept="application/json"
        )
        return json.dumps(answer.to_dict(), default=str)

    def clear(self, dag_id: str, run_id: str, task_ids: list[str], only_failed: bool) -> None:
        body = af.ClearTaskInstancesBody(
            dag_run_id=run_id,
            dry_run=False,
            only_failed=only_failed,
            include_downstream=True,
            reset_dag_runs=True,
            task_ids=[af.ClearTaskInstancesBodyTaskIdsInner(t) for t in task_ids] or None,
        )
        self.tasks.post_clear_task_instances(dag_id, body)


@pytest.fixture(scope="module")
def airflow(target: Target, resources: Resources) -> Iterator[Airflow]:
    # A module fixture is set up before the per-test capability check: skip here first.
    if "airflow" not in target.capabilities:
        pytest.skip(f"target '{target.name}' lacks airflow")
    url = target.endpoint("airflow")
    password = resources.secrets.get("airflow")["admin_password"]
    login = httpx.post(
        f"{url}/auth/token", json={"username": "admin", "password": password}, timeout=10
    )
    assert login.status_code == 201, login.text
    config = af.Configuration(host=url, access_token=login.json()["access_token"])
    with af.ApiClient(config) as api:
        airflow = Airflow(api)
        for dag_id in (DAILY, MODEL):
            _wait_parsed(airflow, dag_id)
            airflow.dags.patch_dag(dag_id, af.DAGPatchBody(is_paused=False))
        yield airflow


def _wait_parsed(airflow: Airflow, dag_id: str, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            airflow.dags.get_dag(dag_id)
            return
        except af.ApiException as exc:
            if exc.status != 404:
                raise
        time.sleep(2)
    raise TimeoutError(f"{dag_id} was not parsed from the DAGs repository in {timeout_s:.0f}s")


@dataclass
class Release:
    daily: Any
    model: Any
    seconds: float


def _release(airflow: Airflow) -> Release:
    """Trigger the daily DAG, wait for it and for the model run its curated update schedules."""
    seen = {r.dag_run_id for r in airflow.runs.get_dag_runs(MODEL, limit=100).dag_runs}
    started = time.monotonic()
    # The e2e flow's rows and days: the suite's other tests then find the same data whichever
    # of the DAG and `dp run` wrote it last.
    daily = airflow.wait(DAILY, airflow.trigger(DAILY, conf={"rows": ROWS, "days": DAYS}))
    assert daily.state.value == "success", airflow.states(DAILY, daily.dag_run_id)
    model = airflow.wait(MODEL, airflow.model_run_after(daily.dag_run_id, seen))
    assert model.state.value == "success", airflow.states(MODEL, model.dag_run_id)
    return Release(daily, model, time.monotonic() - started)


@pytest.fixture(scope="module")
def release(airflow: Airflow) -> Release:
    return _release(airflow)


def _bare_head(resources: Resources) -> str:
    airflow = resources.settings.airflow
    bare = airflow.dags_repo.removeprefix("file://")
    done = subprocess.run(
        ["git", "-C", bare, "rev-parse", airflow.dags_ref], capture_output=True, text=True
    )
    return done.stdout.strip()


def test_the_dags_come_from_the_dags_repository_through_git(
    airflow: Airflow, resources: Resources
) -> None:
    head = _bare_head(resources)
    for dag_id in (DAILY, MODEL):
        dag = airflow.dags.get_dag_details(dag_id)
        assert dag.bundle_name == "dags"
        assert dag.bundle_version == head, f"{dag_id} parsed from {dag.bundle_version}, not {head}"
    assert af.ImportErrorApi(airflow.api).get_import_errors().total_entries == 0


def test_one_daily_run_releases_a_model_users_get_answers_from(
    airflow: Airflow, release: Release, resources: Resources, target: Target
) -> None:
    daily, model = release.daily.dag_run_id, release.model.dag_run_id
    assert set(airflow.states(DAILY, daily).values()) == {"success"}
    assert set(airflow.states(MODEL, model).values()) == {"success"}

    # The data checks' quarantine is the validate task's output; the zone holds those rows.
    checked = airflow.output(DAILY, daily, "validate")
    quarantine = resources.store.read_parquet(resources.store.uri(Zone.QUARANTINE, "transactions"))
    assert checked["quarantined_rows"] == len(quarantine) > 0
    assert checked["staging_rows"] + checked["quarantined_rows"] == checked["typed_rows"]
    curated = resources.store.read_parquet(resources.store.uri(Zone.CURATED, CUSTOMER_FEATURES))
    assert len(curated) > 0

    # MLflow holds the version training reported, with its holdout metrics; the promote task
    # judged it, and the champion is what its decision says.
    trained = airflow.output(MODEL, model, "train")
    mlflow = resources.mlflow
    version = mlflow.get_model_version(trained["model_name"], trained["version"])
    metrics = mlflow.get_run(str(version.run_id)).data.metrics
    assert set(trained["metrics"]) <= set(metrics)
    promoted = airflow.output(MODEL, model, "promote")
    assert promoted["version"] == trained["version"]
    assert promoted["decision"] in {"promoted", "unchanged"}
    alias = resources.settings.mlflow.champion_alias
    champion = mlflow.get_model_version_by_alias(trained["model_name"], alias).version
    assert champion == trained["version"]
    if promoted["decision"] == "promoted":
        assert [g["gate"] for g in promoted["gates"]][:5] == resources.settings.promotion.gates

    # The model server and the API answer with that champion.
    served = httpx.get(
        f"{target.endpoint('serving')}/v2/models/{trained['model_name']}", timeout=10
    )
    assert served.status_code == 200
    request = {
        "transaction_id": "airflow-e2e",
        "customer_id": sorted(curated["customer_id"])[0],
        "merchant_id": "m-000001",
        "amount": 42.0,
        "currency": "EUR",
        "channel": "online",
        "country": "DE",
    }
    answer = httpx.post(
        f"{target.endpoint('api')}/v1/predict",
        json=request,
        headers=target.api_headers(),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["model_version"] == champion
    _report(airflow, release)


def _served_version(serving: str, model: str) -> str:
    """Which version answers a v2 infer built from the model's metadata alone."""
    metadata = httpx.get(f"{serving}/v2/models/{model}", timeout=10).json()
    inputs = [
        {"name": t["name"], "datatype": t["datatype"], "shape": [1], "data": [1.0]}
        for t in metadata["inputs"]
    ]
    answer = httpx.post(f"{serving}/v2/models/{model}/infer", json={"inputs": inputs}, timeout=10)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["model_version"])


def _snapshot(resources: Resources) -> dict[str, Any]:
    """What a run leaves behind: the curated rows, the quarantine, the registry."""
    store = resources.store
    curated = store.read_parquet(store.uri(Zone.CURATED, CUSTOMER_FEATURES))
    ordered = curated.sort_values(list(curated.columns)).reset_index(drop=True)
    mlflow, name = resources.mlflow, resources.settings.mlflow.model_name
    return {
        "curated": hashlib.sha256(ordered.to_csv(index=False).encode()).hexdigest(),
        "quarantined": len(store.read_parquet(store.uri(Zone.QUARANTINE, "transactions"))),
        "versions": sorted(v.version for v in mlflow.search_model_versions(f"name = '{name}'")),
        "champion": mlflow.get_model_version_by_alias(
            name, resources.settings.mlflow.champion_alias
        ).version,
    }


def test_a_second_run_for_the_same_date_changes_nothing(
    airflow: Airflow, release: Release, resources: Resources
) -> None:
    before = _snapshot(resources)
    seen = {r.dag_run_id for r in airflow.runs.get_dag_runs(MODEL, limit=100).dag_runs}
    run_id = release.daily.dag_run_id
    airflow.clear(DAILY, run_id, task_ids=[], only_failed=False)  # every task, same logical date
    rerun = airflow.wait(DAILY, run_id)
    assert rerun.state.value == "success", airflow.states(DAILY, run_id)
    assert airflow.wait(MODEL, airflow.model_run_after(run_id, seen)).state.value == "success"
    assert _snapshot(resources) == before


def test_a_corrupt_raw_file_fails_the_run_with_its_reason_and_a_fixed_rerun_succeeds(
    airflow: Airflow, release: Release, resources: Resources
) -> None:
    store = resources.store
    corrupt = store.uri(Zone.RAW, "transactions", "date=2026-01-01", "corrupt.csv.gz")
    store.fs.pipe(corrupt, b"this is not gzip data\n" * 10)
    run_id = release.daily.dag_run_id
    tries_before = airflow.tasks.get_task_instance(DAILY, run_id, "stage").try_number
    try:
        airflow.clear(DAILY, run_id, task_ids=["stage"], only_failed=False)
        failed = airflow.wait(DAILY, run_id)
        assert failed.state.value == "failed"
        states = airflow.states(DAILY, run_id)
        assert (states["stage"], states["curate"]) == ("failed", "upstream_failed"), states
        stage = airflow.tasks.get_task_instance(DAILY, run_id, "stage")
        assert stage.try_number - tries_before == 3  # the try and its two retries
        log = airflow.log(DAILY, run_id, "stage", stage.try_number)
        assert "Encountered error while reading file" in log
        assert corrupt.removeprefix("s3://") in log  # which file, and why:
        assert "not a gzip file" in log
    finally:
        store.fs.rm(corrupt)
    seen = {r.dag_run_id for r in airflow.runs.get_dag_runs(MODEL, limit=100).dag_runs}
    airflow.clear(DAILY, run_id, task_ids=[], only_failed=True)
    fixed = airflow.wait(DAILY, run_id)
    assert fixed.state.value == "success", airflow.states(DAILY, run_id)
    assert airflow.wait(MODEL, airflow.model_run_after(run_id, seen)).state.value == "success"


def _report(airflow: Airflow, release: Release) -> None:
    """The run's wall time and each task's, and Airflow's memory on this machine."""
    tasks = {}
    for dag_id, run in ((DAILY, release.daily), (MODEL, release.model)):
        for task in airflow.tasks.get_task_instances(dag_id, run.dag_run_id).task_instances:
            tasks[f"{dag_id}.{task.task_id}"] = round(task.duration or 0.0, 2)
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(
        json.dumps(
            {
                "dag_runs_wall_s": round(release.seconds, 1),
                "tasks_s": tasks,
                "tasks_total_s": round(sum(tasks.values()), 1),
                "airflow_rss_mb": _airflow_rss_mb(),
            },
            indent=2,
        )
    )


def _airflow_rss_mb() -> dict[str, float]:
    """Resident memory of each Airflow process of the stack (with its children), in MB."""
    import psutil

    from dp_cli.stack.processes import ProcessDir
    from dp_core.settings import get_settings

    processes = ProcessDir(get_settings().state_dir / "stack")
    sizes = {}
    for name in ("airflow", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"):
        pid = processes.pid(name)
        if pid is None:
            continue
        root = psutil.Process(pid)
        family = [root, *root.children(recursive=True)]
        sizes[name] = round(sum(p.memory_info().rss for p in family) / 2**20, 1)
    return sizes

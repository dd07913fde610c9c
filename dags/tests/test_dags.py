"""The DAGs import cleanly, follow the team's rules, and call only what the platform provides."""

from __future__ import annotations

import ast
import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DAG_IDS = {"transactions_daily", "fraud_model"}
RUNNERS = ("local", "kubernetes")


@pytest.mark.parametrize("runner", RUNNERS)
def test_dags_import_without_errors(dagbag, runner):
    bag = dagbag(runner)
    assert bag.import_errors == {}
    assert set(bag.dag_ids) == DAG_IDS


@pytest.mark.parametrize("runner", RUNNERS)
def test_no_cycles_and_every_task_has_retries_and_an_owner(dagbag, runner):
    for dag in dagbag(runner).dags.values():
        dag.check_cycle()  # raises on a cycle
        for task in dag.tasks:
            assert task.retries >= 1, f"{dag.dag_id}.{task.task_id} has no retries"
            assert task.retry_exponential_backoff, f"{dag.dag_id}.{task.task_id}: no backoff"
            assert task.owner not in ("", "airflow"), f"{dag.dag_id}.{task.task_id} has no owner"


@pytest.mark.parametrize("runner", RUNNERS)
def test_every_dag_has_a_deadline(dagbag, runner):
    for dag in dagbag(runner).dags.values():
        assert dag.deadline, f"{dag.dag_id} has no deadline alert"


def test_zones_are_assets_and_the_curated_zone_schedules_training(dagbag):
    bag = dagbag("local")
    daily, model = bag.dags["transactions_daily"], bag.dags["fraud_model"]
    outlets = {t.task_id: [a.uri for a in t.outlets] for t in daily.tasks if t.outlets}
    assert outlets == {
        "ingest": ["s3://dp-raw/transactions"],
        "stage": ["s3://dp-staging/transactions"],
        "curate": ["s3://dp-curated/customer_features"],
    }
    assert [a.uri for a in model.timetable.asset_condition.objects] == [
        "s3://dp-curated/customer_features"
    ]


def _commands(bag) -> list[list[str]]:
    """Every task's `dp` arguments, as the local runner would run them with the DAG's default
    params (`{{ params.x }}` rendered)."""
    commands = []
    for dag in bag.dags.values():
        defaults = {name: dag.params[name] for name in dag.params}
        for task in dag.tasks:
            command = task.bash_command
            for name, value in defaults.items():
                command = command.replace(f"{{{{ params.{name} }}}}", str(value))
            assert "{{" not in command, f"{dag.dag_id}.{task.task_id}: unrendered {command}"
            argv = shlex.split(command)
            assert argv[0] == "dp", f"{dag.dag_id}.{task.task_id} runs {argv[0]}, not dp"
            commands.append(argv[1:])
    return commands


def _dp() -> str | None:
    """The `dp` CLI to check commands with: $DP_CLI (CI points it at the platform's), else PATH."""
    return os.environ.get("DP_CLI") or shutil.which("dp")


@pytest.mark.skipif(_dp() is None, reason="no `dp` CLI: set DP_CLI to the platform's dp")
def test_every_command_is_a_valid_dp_invocation(dagbag):
    """The `dp` CLI itself parses each command: an unknown step or option fails the test."""
    for args in _commands(dagbag("local")):
        parsed = subprocess.run([_dp(), *args, "--help"], capture_output=True, text=True)
        assert parsed.returncode == 0, f"dp {shlex.join(args)}: {parsed.stderr[-500:]}"


def test_kubernetes_runner_uses_each_steps_image_and_workload(dagbag, monkeypatch):
    monkeypatch.setenv("DP_IMAGE_PREFIX", "registry.example/data-platform")
    monkeypatch.setenv("DP_IMAGE_TAG", "1.2.3")
    tasks = {t.task_id: t for d in dagbag("kubernetes").dags.values() for t in d.tasks}
    assert tasks["stage"].image == "registry.example/data-platform/pipeline:1.2.3"
    assert tasks["stage"].arguments == ["stage"]
    assert tasks["generate"].arguments == [
        "generate",
        "--rows",
        "{{ params.rows }}",
        "--days",
        "{{ params.days }}",
    ]
    assert tasks["train"].service_account_name == "training"
    assert tasks["promote"].image == "registry.example/data-platform/promotion:1.2.3"
    assert tasks["promote"].service_account_name == "promotion"
    assert tasks["check_api"].arguments == ["check", "api"]
    assert tasks["check_api"].image == "registry.example/data-platform/api:1.2.3"
    for task in tasks.values():
        assert task.cmds == ["dp"]
        assert task.namespace == "data-platform"
        # It logs in to OpenBao as its own service account, and runs as PSS restricted asks.
        role = {e.name: e.value for e in task.env_vars}["DP_SECRETS__KUBERNETES_ROLE"]
        assert role == task.service_account_name
        assert task.security_context.run_as_non_root is True
        assert task.container_security_context.allow_privilege_escalation is False
        assert task.container_security_context.capabilities.drop == ["ALL"]


def platform_imports(source: str) -> list[str]:
    """The modules of the platform (`dp_*`) that Python source imports."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            found.append(node.module or "")
    return [name for name in found if name.split(".")[0].startswith("dp_")]


def test_no_dag_imports_platform_code():
    """The contract is commands, images and URIs: importing `dp_*` would couple the releases."""
    offenders = {p.name: platform_imports(p.read_text()) for p in REPO.glob("*.py")}
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_import_rule_catches_an_offender():
    source = "import os\nfrom dp_core.settings import Settings\nimport dp_pipeline.stage as s\n"
    assert platform_imports(source) == ["dp_core.settings", "dp_pipeline.stage"]


def test_a_release_pins_step_images_by_digest(dagbag, monkeypatch):
    digest = "sha256:" + "ab" * 32
    monkeypatch.setenv("DP_IMAGE_PREFIX", "registry.example/data-platform")
    monkeypatch.setenv("DP_IMAGE_DIGESTS", json.dumps({"training": digest}))
    tasks = {t.task_id: t for d in dagbag("kubernetes").dags.values() for t in d.tasks}
    assert tasks["train"].image == f"registry.example/data-platform/training@{digest}"
    assert tasks["stage"].image == "registry.example/data-platform/pipeline:latest"


def test_training_is_followed_by_the_promotion_gate(dagbag):
    model = dagbag("local").dags["fraud_model"]
    order = [t.task_id for t in model.topological_sort()]
    assert order == ["features", "train", "promote", "check_serving", "check_api"]


def test_steps_trust_openbaos_private_ca_only_where_one_is_named(dagbag, monkeypatch):
    """oci names the Secret holding OpenBao's CA; each step pod mounts its public half only,
    where the platform's settings (DP_SECRETS__CA_CERT) look for it. Elsewhere: no such mount."""
    tasks = {t.task_id: t for d in dagbag("kubernetes").dags.values() for t in d.tasks}
    assert all(len(t.volumes) == 1 for t in tasks.values())  # /tmp only
    monkeypatch.setenv("DP_OPENBAO_CA_SECRET", "openbao-tls")
    tasks = {t.task_id: t for d in dagbag("kubernetes").dags.values() for t in d.tasks}
    for task in tasks.values():
        ca = next(v for v in task.volumes if v.name == "openbao-ca")
        assert ca.secret.secret_name == "openbao-tls"  # pragma: allowlist secret (a Secret's name)
        assert [(i.key, i.path) for i in ca.secret.items] == [("ca.crt", "ca.crt")]
        mount = next(m for m in task.volume_mounts if m.name == "openbao-ca")
        assert (mount.mount_path, mount.read_only) == ("/etc/openbao-ca", True)

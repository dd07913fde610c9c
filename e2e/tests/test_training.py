"""The run, its metrics, the registered version and its alias, read back from MLflow."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from mlflow import MlflowClient

from dp_core.resources import Resources
from e2e.target import Target


def test_champion_run_and_metrics(flow: dict[str, Any], resources: Resources) -> None:
    model = flow["model"]
    client = MlflowClient(resources.settings.mlflow.tracking_uri)
    champion = client.get_model_version_by_alias(model["name"], "champion")
    assert str(champion.version) == model["champion_version"]
    run = client.get_run(champion.run_id)
    assert run.data.metrics["holdout_roc_auc"] >= 0.85
    assert {"holdout_average_precision", "holdout_log_loss", "train_rows"} <= set(run.data.metrics)
    assert run.data.params["objective"] == "binary"


@pytest.mark.requires("mlflow_server")
def test_registry_through_the_rest_api(flow: dict[str, Any], target: Target) -> None:
    base = f"{target.endpoint('mlflow')}/api/2.0/mlflow"
    name = flow["model"]["name"]
    alias = httpx.get(
        f"{base}/registered-models/alias", params={"name": name, "alias": "champion"}
    ).json()
    version = alias["model_version"]
    run = httpx.get(f"{base}/runs/get", params={"run_id": version["run_id"]}).json()["run"]
    metrics = {m["key"]: m["value"] for m in run["data"]["metrics"]}
    assert metrics["holdout_roc_auc"] >= 0.85
    artifacts = httpx.get(f"{base}/artifacts/list", params={"run_id": version["run_id"]}).json()
    assert artifacts is not None


def test_training_again_registers_nothing_new(
    flow: dict[str, Any], target: Target, resources: Resources
) -> None:
    client = MlflowClient(resources.settings.mlflow.tracking_uri)
    name = flow["model"]["name"]
    before = len(client.search_model_versions(f"name = '{name}'"))
    again = target.dp_json("train")
    assert again["reused"] is True
    assert len(client.search_model_versions(f"name = '{name}'")) == before

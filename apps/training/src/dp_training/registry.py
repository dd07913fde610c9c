"""MLflow's registry: find versions by training fingerprint, read and move the champion alias."""

from __future__ import annotations

from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException

FINGERPRINT_TAG = "data_fingerprint"


def version_with_fingerprint(
    client: MlflowClient, model: str, fingerprint: str
) -> ModelVersion | None:
    """The registered version trained on exactly this data and configuration, if any."""
    for version in client.search_model_versions(f"name = '{model}'"):
        if version.tags.get(FINGERPRINT_TAG) == fingerprint:
            return version
    return None


def champion(client: MlflowClient, model: str, alias: str) -> ModelVersion | None:
    try:
        return client.get_model_version_by_alias(model, alias)
    except MlflowException:
        return None

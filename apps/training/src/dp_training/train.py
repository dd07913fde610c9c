"""Train: fit LightGBM on the training set, log it to MLflow, register it as the challenger.

Training never moves the champion: the new version gets the `challenger` alias, and `dp promote`
decides whether it replaces the champion. Training the same data and parameters again registers
nothing new (the existing version becomes the challenger again).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

import lightgbm as lgb
import mlflow
import mlflow.lightgbm
import numpy as np
from mlflow import MlflowClient
from mlflow.models import infer_signature
from sklearn.metrics import average_precision_score, log_loss, roc_auc_score

from dp_core.resources import Resources
from dp_training.data import Dataset, load_dataset
from dp_training.registry import FINGERPRINT_TAG, champion, version_with_fingerprint

PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_data_in_leaf": 40,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.9,
    "bagging_freq": 1,
    "seed": 7,
    "deterministic": True,
    "num_threads": 2,
    "verbose": -1,
}
NUM_ROUNDS = 300


@dataclass(frozen=True)
class TrainResult:
    model_name: str
    version: str
    run_id: str
    metrics: dict[str, float]
    alias: str
    champion_version: str
    reused: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def holdout_metrics(scores: np.ndarray, data: Dataset) -> dict[str, float]:
    labels = data.holdout_y.to_numpy()
    return {
        "holdout_roc_auc": float(roc_auc_score(labels, scores)),
        "holdout_average_precision": float(average_precision_score(labels, scores)),
        "holdout_log_loss": float(log_loss(labels, scores)),
        "holdout_rows": float(len(labels)),
        "train_rows": float(len(data.train_y)),
        "train_fraud_rate": float(data.train_y.mean()),
    }


def fit(data: Dataset) -> lgb.Booster:
    train = lgb.Dataset(data.train_x, label=data.train_y, free_raw_data=False)
    return lgb.train(PARAMS, train, num_boost_round=NUM_ROUNDS)


def _experiment_id(client: MlflowClient, resources: Resources) -> str:
    settings = resources.settings.mlflow
    experiment = client.get_experiment_by_name(settings.experiment)
    if experiment is not None:
        return str(experiment.experiment_id)
    # With a tracking server the server chooses (its proxied artifact store, reachable from every
    # pod); a local folder would exist only where training ran.
    return client.create_experiment(
        settings.experiment, artifact_location=settings.artifact_root or None
    )


def train(resources: Resources) -> TrainResult:
    """Train, log, register and (if it wins) promote one model version."""
    settings = resources.settings.mlflow
    client = resources.mlflow
    data = load_dataset(resources)
    fingerprint = data.fingerprint(json.dumps({**PARAMS, "rounds": NUM_ROUNDS}, sort_keys=True))

    existing = version_with_fingerprint(client, settings.model_name, fingerprint)
    if existing is not None:
        run = client.get_run(str(existing.run_id))
        return _as_challenger(
            resources,
            str(existing.version),
            str(existing.run_id),
            {k: float(v) for k, v in run.data.metrics.items()},
            reused=True,
        )

    with mlflow.start_run(experiment_id=_experiment_id(client, resources)) as run:
        mlflow.log_params({**PARAMS, "num_boost_round": NUM_ROUNDS})
        mlflow.set_tag(FINGERPRINT_TAG, fingerprint)
        booster = fit(data)
        scores = booster.predict(data.holdout_x)
        metrics = holdout_metrics(np.asarray(scores), data)
        mlflow.log_metrics(metrics)
        info = mlflow.lightgbm.log_model(
            booster,
            name="model",
            signature=infer_signature(data.holdout_x, np.asarray(scores)),
            input_example=data.holdout_x.head(5),
            pip_requirements=[f"lightgbm=={lgb.__version__}"],
            registered_model_name=settings.model_name,
        )
    version = str(info.registered_model_version)
    client.set_model_version_tag(settings.model_name, version, FINGERPRINT_TAG, fingerprint)
    return _as_challenger(resources, version, run.info.run_id, metrics, reused=False)


def _as_challenger(
    resources: Resources, version: str, run_id: str, metrics: dict[str, float], reused: bool
) -> TrainResult:
    """Point the challenger alias at `version`, for `dp promote` to judge."""
    settings = resources.settings.mlflow
    client = resources.mlflow
    client.set_registered_model_alias(settings.model_name, settings.challenger_alias, version)
    current = champion(client, settings.model_name, settings.champion_alias)
    return TrainResult(
        settings.model_name,
        version,
        run_id,
        metrics,
        settings.challenger_alias,
        str(current.version) if current else "",
        reused=reused,
    )

"""fraud_model: from a curated-zone update to a released model, checked where users meet it.

features (Feast materialization) → train (MLflow; registers the challenger) → promote (the
challenger becomes the champion only through the platform's gates: quality, serving, API, load,
shadow; a refusal fails the run and leaves the champion) → serving check (v2 infer equals the
registry's scores) → API check (`/v1/predict` answers with the champion). Scheduled by the
curated zone's Asset.
"""

from __future__ import annotations

from airflow.sdk import chain
from platform_interface import CURATED, platform_dag, step

with platform_dag(
    "fraud_model",
    "Curated features → online store → model → serving and API checks",
    schedule=[CURATED],  # data-aware: stays on when time-based schedules are off
    tags=["training"],
) as dag:
    chain(
        step("features", "features"),
        step("train", "train"),
        step("promote", "promote"),
        step("check_serving", "check", "serving"),
        step("check_api", "check", "api"),
    )

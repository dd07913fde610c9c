"""`dp check serving|api`: after a release, the served model and the API answer as they should.

Both checks compare with an expectation computed apart from the path under test: the version an
MLflow alias names (the champion, or the challenger `dp promote` gates), and that version's
scores computed here from the registry.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import numpy as np

from dp_core.champion import load_version, served_name, served_version
from dp_core.domain import CUSTOMER_FEATURES
from dp_core.errors import CheckFailed
from dp_core.inference import ModelUnavailable
from dp_core.model_client import Scores, V2HttpModelClient
from dp_core.model_inputs import input_row
from dp_core.resources import Resources
from dp_core.storage import Zone


def sample_inputs(resources: Resources, rows: int = 3) -> np.ndarray:
    """Model inputs for the first customers of the curated zone, for a fixed transaction."""
    curated = resources.store.read_parquet(resources.store.uri(Zone.CURATED, CUSTOMER_FEATURES))
    first = curated.sort_values("customer_id").drop_duplicates("customer_id").head(rows)
    at = datetime(2026, 1, 1, 12, tzinfo=UTC)
    return np.array(
        [
            input_row(40.0, "online", "DE", at, {str(k): v for k, v in row.items()})
            for row in first.to_dict("records")
        ],
        dtype="float64",
    )


def served_scores(resources: Resources, inputs: np.ndarray, alias: str) -> Scores:
    """The model server's answer for the model that follows `alias`, over v2 REST."""
    serving = resources.settings.model_server
    client = V2HttpModelClient(
        serving.url, served_name(resources.settings.mlflow, alias), serving.timeout_s
    )

    async def infer() -> Scores:
        await client.start()
        try:
            return await client.predict(inputs)
        finally:
            await client.close()

    return asyncio.run(infer())


def check_serving(
    resources: Resources, alias: str | None = None, wait_s: float | None = None
) -> dict[str, Any]:
    """The server scores with the version `alias` (the champion by default) names, waiting for
    it to follow the alias, and its scores equal that version's computed here from the registry."""
    settings = resources.settings
    alias = alias or settings.mlflow.champion_alias
    expected_version = served_version(resources.mlflow, settings, alias)
    inputs = sample_inputs(resources)
    deadline = time.monotonic() + (wait_s or 2 * settings.model_server.alias_poll_s + 30)
    served = _served_or_none(resources, inputs, alias)
    while (served is None or served.model_version != expected_version) and (
        time.monotonic() < deadline
    ):
        time.sleep(1)
        served = _served_or_none(resources, inputs, alias)
    if served is None:
        served = served_scores(resources, inputs, alias)  # raises the reason
    if served.model_version != expected_version:
        raise CheckFailed(
            f"the model server serves version {served.model_version} as '{alias}', which is "
            f"{expected_version}"
        )
    expected = load_version(settings.mlflow, expected_version).score(inputs)
    if not np.allclose(served.values, expected, rtol=1e-9, atol=1e-12):
        raise CheckFailed(f"served scores {served.values} differ from the registry's {expected}")
    return {"model_version": served.model_version, "rows": len(inputs), "scores": served.values}


def _served_or_none(resources: Resources, inputs: np.ndarray, alias: str) -> Scores | None:
    """The served answer, or None while that model is not loaded (not ready yet)."""
    try:
        return served_scores(resources, inputs, alias)
    except ModelUnavailable:
        return None


def check_api(
    resources: Resources, base_url: str | None = None, alias: str | None = None
) -> dict[str, Any]:
    """`/v1/predict` at `base_url` (the API by default) scores known and unknown customers with
    the version `alias` (the champion by default) names, and refuses bad input."""
    from dp_cli.api_process import sample_requests, send_samples
    from dp_core.api_keys import api_headers

    alias = alias or resources.settings.mlflow.champion_alias
    expected_version = served_version(resources.mlflow, resources.settings, alias)
    base_url = base_url or resources.settings.endpoints.url("api")
    answers = send_samples(base_url, sample_requests(resources), api_headers(resources))
    problems = []
    for answer in answers:
        request_id = answer["request"]["transaction_id"]
        invalid = request_id == "sample-invalid"
        want = 422 if invalid else 200
        if answer["status"] != want:
            problems.append(f"{request_id}: {answer['status']} != {want}")
        elif not invalid and (served := answer["response"]["model_version"]) != expected_version:
            problems.append(f"{request_id}: model {served} != {alias} {expected_version}")
    if problems:
        raise CheckFailed("; ".join(problems))
    return {"model_version": expected_version, "requests": len(answers)}

"""`dp check serving|api`: after a release, the served model and the API answer as they should.

Both checks compare with an expectation computed apart from the path under test: the champion
version named by the MLflow alias, and that version's scores computed here from the registry.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import numpy as np

from dp_core.champion import champion_version, load_version
from dp_core.domain import CUSTOMER_FEATURES
from dp_core.errors import CheckFailed
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


def served_scores(resources: Resources, inputs: np.ndarray) -> Scores:
    """The model server's answer over Open Inference Protocol v2 REST."""
    serving, model = resources.settings.model_server, resources.settings.mlflow.model_name
    client = V2HttpModelClient(serving.url, model, serving.timeout_s)

    async def infer() -> Scores:
        await client.start()
        try:
            return await client.predict(inputs)
        finally:
            await client.close()

    return asyncio.run(infer())


def check_serving(resources: Resources, wait_s: float | None = None) -> dict[str, Any]:
    """The server scores with the champion (waiting for it to follow the alias), and its scores
    equal that version's scores computed here from the registry."""
    settings = resources.settings
    expected_version = champion_version(resources.mlflow, settings.mlflow)
    inputs = sample_inputs(resources)
    deadline = time.monotonic() + (wait_s or 2 * settings.model_server.alias_poll_s + 30)
    served = served_scores(resources, inputs)
    while served.model_version != expected_version and time.monotonic() < deadline:
        time.sleep(2)
        served = served_scores(resources, inputs)
    if served.model_version != expected_version:
        raise CheckFailed(
            f"the model server serves version {served.model_version}, the champion is "
            f"{expected_version}"
        )
    expected = load_version(settings.mlflow, expected_version).score(inputs)
    if not np.allclose(served.values, expected, rtol=1e-9, atol=1e-12):
        raise CheckFailed(f"served scores {served.values} differ from the registry's {expected}")
    return {"model_version": served.model_version, "rows": len(inputs), "scores": served.values}


def check_api(resources: Resources) -> dict[str, Any]:
    """`/v1/predict` scores known and unknown customers with the champion and refuses bad input."""
    from dp_cli.api_process import sample_requests, send_samples
    from dp_core.api_keys import api_headers

    expected_version = champion_version(resources.mlflow, resources.settings.mlflow)
    base_url = resources.settings.endpoints.url("api")
    answers = send_samples(base_url, sample_requests(resources), api_headers(resources))
    problems = []
    for answer in answers:
        request_id = answer["request"]["transaction_id"]
        invalid = request_id == "sample-invalid"
        want = 422 if invalid else 200
        if answer["status"] != want:
            problems.append(f"{request_id}: {answer['status']} != {want}")
        elif not invalid and (served := answer["response"]["model_version"]) != expected_version:
            problems.append(f"{request_id}: model {served} != champion {expected_version}")
    if problems:
        raise CheckFailed("; ".join(problems))
    return {"model_version": expected_version, "requests": len(answers)}

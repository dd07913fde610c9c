"""The model server (v2) and the API (/v1/predict) on the target's endpoints."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import numpy as np
import pytest

from dp_cli.api_process import wait_ready
from dp_core.model_inputs import INPUTS
from e2e.expected import model_inputs
from e2e.target import Target

pytestmark = pytest.mark.requires("api", "serving")
REQUEST = {
    "merchant_id": "m-000001",
    "amount": 120.0,
    "currency": "EUR",
    "channel": "online",
    "country": "NG",
    "timestamp": "2026-10-15T03:00:00Z",
}


MODEL_INPUTS = (
    "amount", "amount_to_avg_7d", "hour", "channel", "country", "txn_count_1h", "txn_count_24h",
    "txn_count_7d", "amount_sum_24h", "distinct_merchants_24h", "secs_since_last_txn",
)  # fmt: skip


@pytest.fixture(scope="module")
def api(flow: dict[str, Any], target: Target) -> httpx.Client:
    wait_ready(f"{target.endpoint('api')}/readyz", None, timeout_s=60)
    return httpx.Client(base_url=target.endpoint("api"), timeout=10, headers=target.api_headers())


@pytest.fixture(scope="module")
def known_customer(flow: dict[str, Any]) -> str:
    return next(
        p["request"]["customer_id"]
        for p in flow["predictions"]
        if p["status"] == 200 and not p["response"]["cold_start"]
    )


def test_v2_metadata_and_infer(flow: dict[str, Any], target: Target) -> None:
    base, name = target.endpoint("serving"), flow["model"]["name"]
    wait_ready(f"{base}/v2/health/ready", None, timeout_s=60)
    meta = httpx.get(f"{base}/v2/models/{name}").json()
    assert meta["name"] == name
    body = {
        "inputs": [
            {
                "name": "inputs",
                "shape": [1, len(INPUTS)],
                "datatype": "FP64",
                "data": [1.0] * len(INPUTS),
            }
        ]
    }
    answer = httpx.post(f"{base}/v2/models/{name}/infer", json=body).json()
    assert answer["model_version"] == flow["model"]["champion_version"]
    assert 0 <= answer["outputs"][0]["data"][0] <= 1
    # A JSON body without a content type is JSON (the protocol's default form).
    bare = httpx.post(f"{base}/v2/models/{name}/infer", content=json.dumps(body).encode())
    assert bare.status_code == 200
    assert bare.json()["outputs"][0]["data"] == answer["outputs"][0]["data"]


def test_a_v2_client_we_did_not_write_builds_its_request_from_the_metadata(
    flow: dict[str, Any], target: Target
) -> None:
    """Triton's v2 HTTP client reads the model's metadata and sends what it describes."""
    import numpy as np
    import tritonclient.http as v2

    base, name = target.endpoint("serving"), flow["model"]["name"]
    wait_ready(f"{base}/v2/health/ready", None, timeout_s=60)
    client = v2.InferenceServerClient(url=base.removeprefix("http://"))
    meta = client.get_model_metadata(name)
    # The model's inputs as docs/architecture.md lists them, written here, in this order.
    assert [t["name"] for t in meta["inputs"]] == list(MODEL_INPUTS)
    assert {(t["datatype"], tuple(t["shape"])) for t in meta["inputs"]} == {("FP64", (-1,))}
    assert meta["outputs"] == [{"name": "score", "datatype": "FP64", "shape": [-1]}]
    rows = np.random.default_rng(1).uniform(0, 5, size=(4, len(meta["inputs"])))
    inputs = []
    for i, tensor in enumerate(meta["inputs"]):
        column = v2.InferInput(tensor["name"], [len(rows)], tensor["datatype"])
        column.set_data_from_numpy(rows[:, i].astype("float64"))
        inputs.append(column)
    by_columns = client.infer(name, inputs).as_numpy("score")
    single = v2.InferInput("inputs", list(rows.shape), "FP64")
    single.set_data_from_numpy(rows)
    assert by_columns.tolist() == pytest.approx(
        client.infer(name, [single]).as_numpy("score").tolist()
    )


def test_api_score_equals_the_model_servers(
    api: httpx.Client, target: Target, flow: dict[str, Any], known_customer: str
) -> None:
    request = {**REQUEST, "customer_id": known_customer}
    prediction = api.post("/v1/predict", json=request).json()
    assert prediction["cold_start"] is False
    # The inputs as documented, computed here (e2e/expected.py), not by the API's own function.
    inputs = np.asarray([model_inputs(request, prediction["features"])])
    body = {
        "inputs": [
            {
                "name": "inputs",
                "shape": list(inputs.shape),
                "datatype": "FP64",
                "data": inputs.ravel().tolist(),
            }
        ]
    }
    direct = httpx.post(
        f"{target.endpoint('serving')}/v2/models/{flow['model']['name']}/infer", json=body
    ).json()
    assert prediction["score"] == pytest.approx(direct["outputs"][0]["data"][0])
    assert prediction["model_version"] == direct["model_version"]


def test_valid_invalid_and_unknown_customer(api: httpx.Client, known_customer: str) -> None:
    ok = api.post(
        "/v1/predict",
        json={**REQUEST, "customer_id": known_customer},
        headers={"X-Request-Id": "e2e-trace-1"},
    )
    assert ok.status_code == 200
    assert ok.headers["x-request-id"] == ok.json()["request_id"] == "e2e-trace-1"
    assert ok.json()["decision"] in {"approve", "review", "decline"}
    invalid = api.post("/v1/predict", json={**REQUEST, "customer_id": known_customer, "amount": -3})
    assert invalid.status_code == 422
    assert invalid.headers["content-type"] == "application/problem+json"
    assert "amount" in invalid.json()["detail"]
    assert invalid.json()["request_id"] == invalid.headers["x-request-id"]
    too_large = api.post(
        "/v1/predict",
        content=b"{" + b" " * 20_000 + b"}",
        headers={"content-type": "application/json"},
    )
    assert (too_large.status_code, too_large.json()["error"]) == (413, "request_too_large")
    cold = api.post("/v1/predict", json={**REQUEST, "customer_id": "c-never-seen-e2e"}).json()
    assert cold["cold_start"] is True


def _counter(api: httpx.Client, prefix: str) -> float:
    lines = [line for line in api.get("/metrics").text.splitlines() if line.startswith(prefix)]
    return sum(float(line.rsplit(" ", 1)[1]) for line in lines)


def test_metrics_counters_move(api: httpx.Client, known_customer: str) -> None:
    before = _counter(api, "dp_api_predictions_total")
    errors = _counter(api, 'dp_api_errors_total{kind="invalid_request"}')
    api.post("/v1/predict", json={**REQUEST, "customer_id": known_customer})
    api.post("/v1/predict", json={**REQUEST, "customer_id": known_customer, "currency": "XXX"})
    assert _counter(api, "dp_api_predictions_total") == before + 1
    assert _counter(api, 'dp_api_errors_total{kind="invalid_request"}') == errors + 1


def _batch_rows(api: httpx.Client) -> tuple[float, float]:
    """(requests, rows) the API has sent to the model server."""
    return _counter(api, "dp_api_model_batch_rows_count"), _counter(
        api, "dp_api_model_batch_rows_sum"
    )


async def _concurrently(target: Target, bodies: list[dict[str, Any]]) -> list[float]:
    async with httpx.AsyncClient(
        base_url=target.endpoint("api"), timeout=10, headers=target.api_headers()
    ) as client:
        answers = await asyncio.gather(*(client.post("/v1/predict", json=b) for b in bodies))
    assert [a.status_code for a in answers] == [200] * len(bodies)
    return [a.json()["score"] for a in answers]


def test_concurrent_predictions_share_requests_and_keep_their_own_scores(
    api: httpx.Client, target: Target, known_customer: str
) -> None:
    if target.settings().model_server.mode != "v2_http":
        pytest.skip(f"{target.name} scores in process: no model-server requests to share")
    bodies = [
        {**REQUEST, "customer_id": known_customer, "amount": 5.0 + 37.0 * i, "channel": channel}
        for i in range(24)
        for channel in ("online", "pos")
    ]
    # Each alone first (one at a time: nothing to share), the expectation for the batches.
    alone = [api.post("/v1/predict", json=b).json()["score"] for b in bodies]
    assert len(set(alone)) > 1  # distinct rows, so a mixed-up batch would show
    requests, rows = _batch_rows(api)
    for _ in range(5):
        together = asyncio.run(_concurrently(target, bodies))
        assert together == pytest.approx(alone, rel=1e-12, abs=1e-15)
        if _batch_rows(api)[1] - rows > _batch_rows(api)[0] - requests:
            return  # some request to the model server carried more than one prediction
    pytest.fail("48 concurrent predictions, five times, and no v2 request held two of them")


def test_the_api_refuses_a_request_without_its_key(flow: dict[str, Any], target: Target) -> None:
    if not target.api_headers():
        pytest.skip(f"the API of {target.name} needs no key (api.auth = none)")
    base = target.endpoint("api")
    answer = httpx.post(f"{base}/v1/predict", json=REQUEST, timeout=10)
    assert (answer.status_code, answer.json()["error"]) == (401, "unauthenticated")
    wrong = httpx.post(
        f"{base}/v1/predict", json=REQUEST, headers={"X-API-Key": "dpk_wrong"}, timeout=10
    )
    assert wrong.status_code == 401
    assert httpx.get(f"{base}/metrics", timeout=10).status_code == 200  # Prometheus scrapes it

"""The API against fakes of its two dependencies: the online store and the model."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from apps.api.tests.fakes import BODY, FakeEvents, FakeFeatures, FakeModel
from dp_core.model_inputs import INPUTS

pytestmark = pytest.mark.api


def test_valid_transaction_is_scored_with_its_features(
    client: TestClient, fakes: tuple[FakeFeatures, FakeModel]
) -> None:
    answer = client.post("/v1/predict", json=BODY)
    assert answer.status_code == 200
    body = answer.json()
    assert body["score"] == 0.7
    assert body["decision"] == "decline"
    assert (body["model_name"], body["model_version"], body["cold_start"]) == (
        "fraud-detector",
        "3",
        False,
    )
    assert body["features"]["amount_avg_7d"] == 20.0
    sent = fakes[1].seen[0]
    assert sent.shape == (1, len(INPUTS))
    assert sent[0, INPUTS.index("amount_to_avg_7d")] == pytest.approx(42.5 / 20.0)


def test_each_prediction_is_published_as_an_event(client: TestClient, events: FakeEvents) -> None:
    body = client.post("/v1/predict", json={**BODY, "transaction_id": "tx-9"}).json()
    client.post("/v1/predict", json={**BODY, "amount": -1})
    assert len(events.published) == 1
    key, event = events.published[0]
    assert key == BODY["customer_id"]
    assert event["request_id"] == body["request_id"]
    assert (event["transaction_id"], event["score"], event["model_version"]) == ("tx-9", 0.7, "3")
    assert event["latency_ms"] > 0


def test_unknown_customer_gets_the_cold_start_answer(client: TestClient) -> None:
    body = client.post("/v1/predict", json={**BODY, "customer_id": "c-never-seen"}).json()
    assert body["cold_start"] is True
    assert set(body["features"].values()) == {None}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": -1}, "amount"),
        ({"currency": "XXX"}, "currency"),
        ({"country": "germany"}, "country"),
        ({"timestamp": "yesterday"}, "timestamp"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_invalid_payload_gets_422_naming_the_field(
    client: TestClient, change: dict[str, object], field: str
) -> None:
    answer = client.post("/v1/predict", json={**BODY, **change})
    assert answer.status_code == 422
    body = answer.json()
    assert body["error"] == "invalid_request"
    assert field in body["detail"]


def test_missing_body_gets_422(client: TestClient) -> None:
    answer = client.post(
        "/v1/predict", content=b"not json", headers={"content-type": "application/json"}
    )
    assert answer.status_code == 422


@pytest.mark.parametrize(
    ("which", "error"), [(0, "features_unavailable"), (1, "model_unavailable")]
)
def test_dead_dependency_gives_503_then_recovers(
    client: TestClient, fakes: tuple[FakeFeatures, FakeModel], which: int, error: str
) -> None:
    fakes[which].down = True
    answer = client.post("/v1/predict", json=BODY)
    assert answer.status_code == 503
    assert answer.json()["error"] == error
    assert client.get("/readyz").status_code == 503
    fakes[which].down = False
    assert client.post("/v1/predict", json=BODY).status_code == 200
    assert client.get("/readyz").json() == {
        "ready": True,
        "checks": {"features": True, "model": True},
    }


def _sample(client: TestClient, name: str, labels: dict[str, str]) -> float:
    """One sample's value from /metrics (0 when absent)."""
    for family in text_string_to_metric_families(client.get("/metrics").text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return 0.0


def test_metrics_count_requests_decisions_and_errors(client: TestClient) -> None:
    watched = {
        ("dp_api_predictions_total", (("decision", "decline"),)),
        ("dp_api_errors_total", (("kind", "invalid_request"),)),
        (
            "dp_api_request_seconds_count",
            (("method", "POST"), ("route", "/v1/predict"), ("status", "200")),
        ),
    }
    before = {key: _sample(client, key[0], dict(key[1])) for key in watched}
    client.post("/v1/predict", json=BODY)
    client.post("/v1/predict", json={**BODY, "amount": -1})
    moved = {key: _sample(client, key[0], dict(key[1])) - before[key] for key in watched}
    assert moved == dict.fromkeys(watched, 1.0)


def test_health_and_openapi_examples(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    schema = client.get("/openapi.json").json()
    assert schema["components"]["schemas"]["Transaction"]["examples"][0]["currency"] == "EUR"
    assert "503" in schema["paths"]["/v1/predict"]["post"]["responses"]

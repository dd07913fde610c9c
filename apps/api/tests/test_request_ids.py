"""Every request's id: taken from the caller when plain, made otherwise, and found everywhere."""

from __future__ import annotations

import re

import pytest
import structlog
from fastapi.testclient import TestClient

from apps.api.tests.fakes import BODY, FakeEvents, FakeFeatures, FakeModel

pytestmark = pytest.mark.api
GENERATED = re.compile(r"[0-9a-f]{32}")


def test_the_callers_id_is_in_the_answer_the_event_and_the_model_request(
    client: TestClient, fakes: tuple[FakeFeatures, FakeModel], events: FakeEvents
) -> None:
    answer = client.post("/v1/predict", json=BODY, headers={"X-Request-Id": "trace-42.a:b"})
    assert answer.headers["x-request-id"] == "trace-42.a:b"
    assert answer.json()["request_id"] == "trace-42.a:b"
    assert events.published[0][1]["request_id"] == "trace-42.a:b"
    assert fakes[1].request_ids == ["trace-42.a:b"]


@pytest.mark.parametrize("given", [None, "has space", "x" * 129, "line\\nbreak", "ünicode"])
def test_an_absent_or_unsafe_id_is_replaced_by_a_new_one(
    client: TestClient, given: str | None
) -> None:  # bytes on the wire: what a client that sends UTF-8 sends
    headers = {} if given is None else {"X-Request-Id": given.encode()}
    first = client.post("/v1/predict", json=BODY, headers=headers)
    second = client.post("/v1/predict", json=BODY, headers=headers)
    ids = [first.headers["x-request-id"], second.headers["x-request-id"]]
    assert all(GENERATED.fullmatch(i) for i in ids)
    assert ids[0] != ids[1]
    assert first.json()["request_id"] == ids[0]


def test_errors_carry_the_id_and_a_503_is_logged_with_it(
    client: TestClient, fakes: tuple[FakeFeatures, FakeModel]
) -> None:
    invalid = client.post(
        "/v1/predict", json={**BODY, "amount": -1}, headers={"X-Request-Id": "r1"}
    )
    assert (invalid.status_code, invalid.json()["request_id"]) == (422, "r1")
    too_large = client.post(
        "/v1/predict",
        content=b"{" + b" " * 20_000 + b"}",
        headers={"content-type": "application/json", "X-Request-Id": "r2"},
    )
    assert (too_large.status_code, too_large.json()["request_id"]) == (413, "r2")
    assert too_large.headers["x-request-id"] == "r2"
    fakes[1].down = True
    with structlog.testing.capture_logs(
        processors=[structlog.contextvars.merge_contextvars]
    ) as logs:
        down = client.post("/v1/predict", json=BODY, headers={"X-Request-Id": "r3"})
    assert (down.status_code, down.json()["request_id"]) == (503, "r3")
    assert [(e["event"], e["request_id"], e["error"]) for e in logs] == [
        ("dependency_unavailable", "r3", "model_unavailable")
    ]

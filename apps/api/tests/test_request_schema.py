"""Any body, valid or not, gets 200, 413 or 422 — never a 5xx — and every error is problem+json.

Hypothesis writes the bodies: transactions the schema allows (with timestamps from year 1 to 9999
in any UTC offset), the same with one field replaced by any JSON value, any JSON document, and
any bytes.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dp_core.domain import CHANNELS, COUNTRIES, CURRENCIES

pytestmark = pytest.mark.api
EXAMPLES = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
FIELDS = ("customer_id", "merchant_id", "amount", "currency", "channel", "country", "timestamp")

offsets = st.builds(
    lambda minutes: timezone(timedelta(minutes=minutes)), st.integers(-23 * 60 - 59, 23 * 60 + 59)
)
timestamps = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)),
    st.datetimes(
        min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59), timezones=offsets
    ),
    st.sampled_from(
        [
            datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))),
            datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-1))),
        ]
    ),
)
ids = st.from_regex(r"\A[A-Za-z0-9_.:-]{1,64}\Z")
transactions = st.fixed_dictionaries(
    {
        "customer_id": ids,
        "merchant_id": st.text(min_size=1, max_size=64),
        "amount": st.floats(min_value=0, max_value=1_000_000, exclude_min=True, exclude_max=True),
        "currency": st.sampled_from(CURRENCIES),
        "channel": st.sampled_from(CHANNELS),
        "country": st.sampled_from(COUNTRIES),
        "timestamp": timestamps.map(datetime.isoformat),
    },
    optional={"transaction_id": st.none() | st.text(max_size=64)},
)
any_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def check(answer: Any, allowed: set[int]) -> None:
    assert answer.status_code in allowed, answer.text
    if answer.status_code == 200:
        return
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["status"] == answer.status_code
    assert problem["type"] == f"/problems/{problem['error']}"
    assert problem["title"]
    assert problem["detail"]


def send(client: TestClient, body: Any) -> Any:
    raw = json.dumps(body, allow_nan=True).encode()
    return client.post("/v1/predict", content=raw, headers={"content-type": "application/json"})


@EXAMPLES
@given(body=transactions)
def test_every_transaction_the_schema_allows_is_scored(client: TestClient, body: Any) -> None:
    answer = send(client, body)
    when = datetime.fromisoformat(body["timestamp"])
    try:
        (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError:  # no UTC equivalent: the one documented refusal of an allowed shape
        check(answer, {422})
        assert "timestamp" in answer.json()["detail"]
        return
    check(answer, {200})


@EXAMPLES
@given(body=transactions, field=st.sampled_from(FIELDS), value=any_json)
def test_a_field_of_any_json_never_gives_5xx(
    client: TestClient, body: dict[str, Any], field: str, value: Any
) -> None:
    check(send(client, {**body, field: value}), {200, 422})


@EXAMPLES
@given(body=any_json)
def test_any_json_document_never_gives_5xx(client: TestClient, body: Any) -> None:
    check(send(client, body), {200, 422})


@EXAMPLES
@given(raw=st.binary(max_size=2_000))
def test_any_bytes_never_give_5xx(client: TestClient, raw: bytes) -> None:
    answer = client.post("/v1/predict", content=raw, headers={"content-type": "application/json"})
    check(answer, {400, 422})  # 400: not UTF-8 text; 422: not JSON, or not a transaction


def test_a_body_over_the_limit_gets_413_declared_or_streamed(client: TestClient) -> None:
    limit = 16_384
    padded = b'{"customer_id": "c-1", "pad": "' + b"x" * limit + b'"}'
    check(
        client.post("/v1/predict", content=padded, headers={"content-type": "application/json"}),
        {413},
    )

    def chunks() -> Any:  # no content-length: the limit counts bytes as they arrive
        yield padded[:100]
        yield padded[100:]

    answer = client.post(
        "/v1/predict", content=chunks(), headers={"content-type": "application/json"}
    )
    check(answer, {413})
    assert answer.json()["error"] == "request_too_large"

"""API keys on /v1/predict: 401 without a valid key, 403 without the scope, rotation without a
restart; health and metrics stay open (the network policy limits /metrics to Prometheus)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from apps.api.tests.fakes import BODY, FakeEvents, FakeFeatures, FakeModel
from dp_api.app import create_app
from dp_core.resources import Resources
from dp_core.settings import Settings

pytestmark = pytest.mark.api
KEY, READ_ONLY_KEY = "dpk_" + "a" * 40, "dpk_" + "b" * 40


class KeysInStore:
    """The secret store's `api-keys` (a plain dict stands in for OpenBao here)."""

    def __init__(self) -> None:
        self.secret = {"dev": KEY, "dashboards": READ_ONLY_KEY, "dashboards:scopes": "read"}

    def get(self, path: str) -> dict[str, str]:
        assert path == "api-keys"
        return dict(self.secret)


@pytest.fixture
def store() -> KeysInStore:
    return KeysInStore()


@pytest.fixture
def client(settings: Settings, store: KeysInStore) -> Iterator[TestClient]:
    guarded = settings.model_copy(
        update={"api": settings.api.model_copy(update={"auth": "api_key"})}
    )
    resources = Resources(guarded)
    resources.__dict__["secrets"] = store  # the cached property, as Resources would build it
    app = create_app(resources, features=FakeFeatures(), model=FakeModel(), events=FakeEvents())  # type: ignore[arg-type]
    with TestClient(app) as test_client:
        yield test_client


def test_no_key_is_401_with_a_bearer_challenge(client: TestClient) -> None:
    answer = client.post("/v1/predict", json=BODY)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["error"] == "unauthenticated"


def test_an_unknown_key_is_401_even_with_an_invalid_body(client: TestClient) -> None:
    wrong = {"Authorization": "Bearer dpk_not-a-key"}
    assert client.post("/v1/predict", json=BODY, headers=wrong).status_code == 401
    # Nothing about the body is said to a caller without a key.
    assert client.post("/v1/predict", json={"x": 1}, headers=wrong).status_code == 401


def test_a_key_without_the_scope_is_403(client: TestClient) -> None:
    answer = client.post("/v1/predict", json=BODY, headers={"X-API-Key": READ_ONLY_KEY})
    assert (answer.status_code, answer.json()["error"]) == (403, "forbidden")


@pytest.mark.parametrize(
    "headers",
    [{"Authorization": f"Bearer {KEY}"}, {"authorization": f"bearer {KEY}"}, {"X-API-Key": KEY}],
)
def test_a_valid_key_is_scored(client: TestClient, headers: dict[str, str]) -> None:
    assert client.post("/v1/predict", json=BODY, headers=headers).status_code == 200


def test_a_rotated_key_takes_effect_without_a_restart(
    client: TestClient, store: KeysInStore
) -> None:
    store.secret["dev"] = "dpk_" + "c" * 40
    keys = client.app.state.deps.keys  # type: ignore[attr-defined]
    client.portal.call(keys.reload)  # what the background refresh does every keys_refresh_s
    old = client.post("/v1/predict", json=BODY, headers={"X-API-Key": KEY})
    new = client.post("/v1/predict", json=BODY, headers={"X-API-Key": "dpk_" + "c" * 40})
    assert (old.status_code, new.status_code) == (401, 200)


def test_health_and_metrics_need_no_key(client: TestClient) -> None:
    assert client.get("/healthz").status_code == 200
    assert client.get("/metrics").status_code == 200

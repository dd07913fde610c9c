"""The API's real clients against dependencies that are down, hung or answer garbage: always a
problem+json 503 (422 when the model server refuses the inputs) within the deadline, never a 500.

The online store is a real redis-server (Feast's key layout written with Feast's own helpers) or a
socket that never answers; the model server is a socket that answers fixed HTTP responses."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
import redis
from fastapi.testclient import TestClient
from feast import FeatureStore, RepoConfig
from feast.infra.online_stores.helpers import _mmh3, _redis_key
from feast.protos.feast.types.EntityKey_pb2 import EntityKey
from feast.protos.feast.types.Value_pb2 import Value

from apps.api.tests.fakes import BODY, FakeEvents, FakeFeatures, FakeModel
from apps.api.tests.faults import dead_port, http_answer, serving
from dp_api.app import create_app
from dp_core.model_client import V2HttpModelClient
from dp_core.online_features import OnlineFeatures
from dp_core.resources import Resources
from dp_core.settings import Settings
from dp_features.repo import ENTITY_KEY, FEATURES, VIEW

pytestmark = pytest.mark.api
DEADLINE_S = 0.3
PROJECT = "faults"


@pytest.fixture
def resources(settings: Settings) -> Resources:
    return Resources(
        settings.model_copy(
            update={"api": settings.api.model_copy(update={"deadline_s": DEADLINE_S})}
        )
    )


def online_features(tmp_path: Path, port: int) -> OnlineFeatures:
    """The API's real reader on a Feast config whose Redis is on `port`."""
    config = RepoConfig(
        project=PROJECT,
        provider="local",
        registry=str(tmp_path / "registry.db"),
        online_store={"type": "redis", "connection_string": f"127.0.0.1:{port}"},
        entity_key_serialization_version=3,
        repo_path=tmp_path,
    )
    store = FeatureStore(config=config)
    return OnlineFeatures(store, VIEW, FEATURES, ENTITY_KEY, timeout_s=DEADLINE_S)


def post(resources: Resources, features: object, model: object) -> tuple[int, dict, float]:
    app = create_app(resources, features=features, model=model, events=FakeEvents())  # type: ignore[arg-type]
    with TestClient(app) as client:
        started = time.perf_counter()
        answer = client.post("/v1/predict", json=BODY)
        took = time.perf_counter() - started
    assert answer.headers["content-type"].startswith(
        "application/problem+json" if answer.status_code != 200 else "application/json"
    )
    return answer.status_code, answer.json(), took


@pytest.fixture
def redis_port(tmp_path: Path) -> Iterator[int]:
    """A real redis-server of our own."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail("redis-server is not installed (make stack-setup installs it)")
    port = dead_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
    yield port
    process.terminate()
    process.wait(10)


def customer_hash(customer_id: str) -> bytes:
    entity = EntityKey(join_keys=[ENTITY_KEY], entity_values=[Value(string_val=customer_id)])
    return _redis_key(PROJECT, entity, 3)


def test_redis_values_read_back(tmp_path: Path, redis_port: int, resources: Resources) -> None:
    """The control: with sound values in Feast's layout, the real reader gives them to the model."""
    fields = {
        _mmh3(f"{VIEW}:{name}"): Value(double_val=2.0).SerializeToString() for name in FEATURES
    }
    redis.Redis(port=redis_port).hset(customer_hash(BODY["customer_id"]), mapping=fields)  # type: ignore[arg-type]
    status, body, _ = post(resources, online_features(tmp_path, redis_port), FakeModel())
    assert status == 200
    assert set(body["features"].values()) == {2.0}


@pytest.mark.parametrize(
    "garbage", [b"not a protobuf", b"\x08\x01", Value(string_val="12").SerializeToString()]
)
def test_garbage_in_redis_gives_503(
    tmp_path: Path, redis_port: int, resources: Resources, garbage: bytes
) -> None:
    fields = {_mmh3(f"{VIEW}:{name}"): garbage for name in FEATURES}
    redis.Redis(port=redis_port).hset(customer_hash(BODY["customer_id"]), mapping=fields)  # type: ignore[arg-type]
    status, body, _ = post(resources, online_features(tmp_path, redis_port), FakeModel())
    assert (status, body["error"]) == (503, "features_unavailable")
    assert "garbage" in body["detail"]


def test_redis_down_gives_503(tmp_path: Path, resources: Resources) -> None:
    status, body, took = post(resources, online_features(tmp_path, dead_port()), FakeModel())
    assert (status, body["error"]) == (503, "features_unavailable")
    assert took < DEADLINE_S + 0.5


def test_hung_redis_gives_503_within_the_deadline(tmp_path: Path, resources: Resources) -> None:
    with serving(None) as port:
        status, body, took = post(resources, online_features(tmp_path, port), FakeModel())
    assert (status, body["error"]) == (503, "features_unavailable")
    assert took < DEADLINE_S + 0.5


SCORE = {"model_name": "fraud-detector", "model_version": "3"}
MODEL_FAULTS = {
    "empty_outputs": (http_answer(200, orjson.dumps({**SCORE, "outputs": []})), 503),
    "not_json": (http_answer(200, b"<html>proxy error</html>", "text/html"), 503),
    "nan_score": (
        http_answer(200, b'{"model_name":"m","outputs":[{"name":"score","data":[NaN]}]}'),
        503,
    ),
    "two_scores_for_one_row": (
        http_answer(
            200, orjson.dumps({**SCORE, "outputs": [{"name": "score", "data": [0.1, 0.2]}]})
        ),
        503,
    ),
    "not_http": (b"\x00\x01garbage\r\n\r\n", 503),
    "refused_inputs_400": (http_answer(400, b'{"error":"shape [1, 11] expected"}'), 422),
    "unknown_model_404": (http_answer(404, b'{"error":"model not found"}'), 503),
    "server_error_500": (http_answer(500, b'{"error":"boom"}'), 503),
}


@pytest.mark.parametrize("fault", sorted(MODEL_FAULTS))
def test_model_server_faults(resources: Resources, fault: str) -> None:
    answer, expected = MODEL_FAULTS[fault]
    with serving(answer) as port:
        model = V2HttpModelClient(f"http://127.0.0.1:{port}", "fraud-detector", timeout_s=5)
        status, body, _ = post(resources, FakeFeatures(), model)
    assert status == expected
    assert body["error"] == ("unscorable_transaction" if expected == 422 else "model_unavailable")


def test_model_server_answer_is_used(resources: Resources) -> None:
    """The control: a sound answer from the same socket server scores the transaction."""
    sound = orjson.dumps({**SCORE, "outputs": [{"name": "score", "data": [0.25]}]})
    with serving(http_answer(200, sound)) as port:
        model = V2HttpModelClient(f"http://127.0.0.1:{port}", "fraud-detector", timeout_s=5)
        status, body, _ = post(resources, FakeFeatures(), model)
    assert (status, body["score"], body["decision"]) == (200, 0.25, "review")


def test_model_server_down_and_hung_give_503_within_the_deadline(resources: Resources) -> None:
    model = V2HttpModelClient(f"http://127.0.0.1:{dead_port()}", "fraud-detector", timeout_s=5)
    assert post(resources, FakeFeatures(), model)[:1] == (503,)
    with serving(None) as port:
        model = V2HttpModelClient(f"http://127.0.0.1:{port}", "fraud-detector", timeout_s=5)
        status, body, took = post(resources, FakeFeatures(), model)
    assert (status, body["error"]) == (503, "model_unavailable")
    assert took < DEADLINE_S + 0.5

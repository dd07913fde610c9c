"""Open Inference Protocol conformance, judged by Triton's v2 clients (a library we did not write).

A client discovers the model from its metadata alone, builds a request from it, and infers over
REST with JSON tensors, REST with the binary tensor extension, and gRPC; every answer must equal
the API's score for the same features (computed here, e2e/expected.py). The target's own model
server is asked over REST; gRPC (off by default, `model_server.grpc`) is asked of a second model
server this test starts with it on, from the same code and registry.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pytest

from dp_cli.api_process import wait_ready
from dp_cli.serving_process import grpc_model_server
from e2e.expected import model_inputs
from e2e.target import Target
from e2e.tests.test_serving import MODEL_INPUTS, REQUEST

pytestmark = pytest.mark.requires("api", "serving")
NOT_SERVED = "999999"


@pytest.fixture(scope="module")
def reference(flow: dict[str, Any], target: Target) -> tuple[np.ndarray, float, str]:
    """One known customer's model inputs, and the API's score and model version for them."""
    customer = next(
        p["request"]["customer_id"]
        for p in flow["predictions"]
        if p["status"] == 200 and not p["response"]["cold_start"]
    )
    request = {**REQUEST, "customer_id": customer}
    wait_ready(f"{target.endpoint('api')}/readyz", None, timeout_s=60)
    answer = httpx.post(
        f"{target.endpoint('api')}/v1/predict",
        json=request,
        headers=target.api_headers(),
        timeout=10,
    ).json()
    row = np.asarray([model_inputs(request, answer["features"])], dtype="float64")
    return row, float(answer["score"]), str(answer["model_version"])


@pytest.fixture(scope="module")
def grpc_server(flow: dict[str, Any], target: Target) -> Iterator[str]:
    """A second model server with the gRPC endpoint on; its gRPC address once its model is ready."""
    log = target.state_dir / "serving-grpc.log"
    with grpc_model_server(target.env(), flow["model"]["name"], log) as server:
        yield server.grpc


def _request_from_metadata(
    v2: Any, meta: dict[str, Any], row: np.ndarray, binary: bool | None
) -> list[Any]:
    """One input tensor per tensor the metadata describes, filled from `row` in that order."""
    inputs = []
    for i, tensor in enumerate(meta["inputs"]):
        shape = [len(row) if int(d) == -1 else int(d) for d in tensor["shape"]]
        column = v2.InferInput(tensor["name"], shape, tensor["datatype"])
        values = row[:, i].astype(np.dtype(tensor["datatype"].replace("FP", "float")))
        if binary is None:  # gRPC: always the protocol's typed contents
            column.set_data_from_numpy(values)
        else:
            column.set_data_from_numpy(values, binary_data=binary)
        inputs.append(column)
    return inputs


def _assert_metadata(meta: dict[str, Any], name: str, version: str) -> None:
    # The model's inputs as docs/architecture.md lists them, written here, in this order.
    assert meta["name"] == name
    assert meta["platform"] == "lightgbm"
    assert meta["versions"] == [version]
    assert [t["name"] for t in meta["inputs"]] == list(MODEL_INPUTS)
    assert {(t["datatype"], tuple(int(d) for d in t["shape"])) for t in meta["inputs"]} == {
        ("FP64", (-1,))
    }
    outputs = [(t["name"], t["datatype"], [int(d) for d in t["shape"]]) for t in meta["outputs"]]
    assert outputs == [("score", "FP64", [-1])]


def test_rest_json_and_binary_from_metadata_equal_the_apis_score(
    flow: dict[str, Any], target: Target, reference: tuple[np.ndarray, float, str]
) -> None:
    import tritonclient.http as v2
    from tritonclient.utils import InferenceServerException

    row, score, version = reference
    name = flow["model"]["name"]
    client = v2.InferenceServerClient(url=target.endpoint("serving").removeprefix("http://"))
    assert client.is_server_live()
    assert client.is_server_ready()
    assert client.is_model_ready(name)
    assert client.is_model_ready(name, version)
    meta = client.get_model_metadata(name)
    _assert_metadata(meta, name, version)
    assert client.get_model_metadata(name, version) == meta
    for binary in (False, True):
        inputs = _request_from_metadata(v2, meta, row, binary)
        outputs = [v2.InferRequestedOutput("score", binary_data=binary)]
        for asked in ("", version):  # unversioned, then the versions/{version} route
            answer = client.infer(name, inputs, model_version=asked, outputs=outputs)
            assert answer.as_numpy("score").tolist() == pytest.approx([score], abs=1e-9)
            assert answer.get_response()["model_version"] == version
    # A version this name does not serve: 404 in the protocol's error shape, never another one.
    with pytest.raises(InferenceServerException) as refused:
        client.infer(name, _request_from_metadata(v2, meta, row, False), model_version=NOT_SERVED)
    assert refused.value.status() == "404"
    assert "not served" in refused.value.message()
    assert not client.is_model_ready(name, NOT_SERVED)
    raw = httpx.get(f"{target.endpoint('serving')}/v2/models/{name}/versions/{NOT_SERVED}")
    assert raw.status_code == 404
    assert "error" in raw.json()


def test_grpc_from_metadata_equals_the_apis_score(
    flow: dict[str, Any], grpc_server: str, reference: tuple[np.ndarray, float, str]
) -> None:
    import tritonclient.grpc as v2
    from tritonclient.utils import InferenceServerException

    row, score, version = reference
    name = flow["model"]["name"]
    client = v2.InferenceServerClient(url=grpc_server)
    assert client.is_server_live()
    assert client.is_server_ready()
    assert client.is_model_ready(name, version)
    meta = client.get_model_metadata(name, as_json=True)
    _assert_metadata(meta, name, version)
    assert client.get_model_metadata(name, version, as_json=True) == meta
    inputs = _request_from_metadata(v2, meta, row, binary=None)
    for asked in ("", version):
        answer = client.infer(name, inputs, model_version=asked)
        assert answer.as_numpy("score").tolist() == pytest.approx([score], abs=1e-9)
        assert answer.get_response().model_version == version
    with pytest.raises(InferenceServerException) as refused:
        client.infer(name, inputs, model_version=NOT_SERVED)
    assert "NOT_FOUND" in str(refused.value.status())
    assert "not served" in refused.value.message()

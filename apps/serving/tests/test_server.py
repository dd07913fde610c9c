"""The model server's v2 model on a real LightGBM booster, without MLflow: inputs checked the way
the protocol says, scores equal to the booster's own, readiness following the champion."""

from __future__ import annotations

import asyncio

import lightgbm as lgb
import numpy as np
import pytest
from kserve import InferInput, InferRequest
from kserve.errors import InvalidInput

from dp_core.champion import AliasedModel, LoadedModel
from dp_core.inference import INPUT_TENSOR, OUTPUT_TENSOR, ModelUnavailable
from dp_core.model_inputs import INPUTS
from dp_core.settings import MlflowSettings
from dp_serving.server import FraudModel

pytestmark = pytest.mark.serving
ROWS = np.random.default_rng(0).uniform(0, 5, size=(200, len(INPUTS)))


@pytest.fixture(scope="module")
def booster() -> lgb.Booster:
    labels = (ROWS[:, 0] > 2.5).astype(int)
    params = {"objective": "binary", "verbose": -1, "num_leaves": 4}
    return lgb.train(params, lgb.Dataset(ROWS, label=labels), num_boost_round=5)


class HeldChampion(AliasedModel):
    """A champion that holds a booster built here instead of following MLflow."""

    def __init__(self, model: LoadedModel | None) -> None:
        super().__init__(client=None, settings=MlflowSettings(), alias="champion", poll_seconds=0)  # type: ignore[arg-type]
        self._model = model

    def follow(self) -> None:
        return None


def request(rows: np.ndarray, name: str = INPUT_TENSOR, datatype: str = "FP64") -> InferRequest:
    tensor = InferInput(name=name, shape=list(rows.shape), datatype=datatype)
    tensor.set_data_from_numpy(rows.astype("float64" if datatype == "FP64" else "float32"))
    return InferRequest(model_name="fraud-detector", infer_inputs=[tensor], request_id="r-1")


def test_scores_are_the_boosters_own_with_the_version(booster: lgb.Booster) -> None:
    model = FraudModel("fraud-detector", HeldChampion(LoadedModel("fraud-detector", "7", booster)))
    answer = asyncio.run(model.predict(request(ROWS[:3])))
    assert answer.model_version == "7"
    output = answer.outputs[0]
    assert output.name == OUTPUT_TENSOR
    assert output.shape == [3]
    assert output.data == pytest.approx(booster.predict(ROWS[:3]).tolist())


@pytest.mark.parametrize(
    ("rows", "name", "problem"),
    [
        (ROWS[:2], "features", "expected an input tensor named 'inputs'"),
        (ROWS[:2, :5], INPUT_TENSOR, "must have shape \\[rows, 11\\]"),
    ],
)
def test_bad_inputs_are_refused_with_the_reason(
    booster: lgb.Booster, rows: np.ndarray, name: str, problem: str
) -> None:
    model = FraudModel("fraud-detector", HeldChampion(LoadedModel("fraud-detector", "1", booster)))  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match=problem):
        asyncio.run(model.predict(request(rows, name)))


def test_ready_only_once_a_champion_is_loaded(booster: lgb.Booster) -> None:
    waiting = FraudModel("fraud-detector", HeldChampion(None))  # type: ignore[arg-type]
    assert waiting.load() is False
    assert waiting.ready is False
    waiting.ready = True  # KServe sets it after load(); the champion decides
    assert waiting.ready is False
    with pytest.raises(ModelUnavailable):
        asyncio.run(waiting.predict(request(ROWS[:1])))
    loaded = FraudModel("fraud-detector", HeldChampion(LoadedModel("fraud-detector", "1", booster)))  # type: ignore[arg-type]
    assert loaded.load() is True


def signed(booster: lgb.Booster) -> LoadedModel:
    """A model as load_version gives it: with the signature MLflow records for training's data."""
    import pandas as pd
    from mlflow.models import infer_signature

    frame = pd.DataFrame(ROWS[:5], columns=list(INPUTS))
    signature = infer_signature(frame, booster.predict(ROWS[:5]))
    return LoadedModel("fraud-detector", "7", booster, signature)


def test_metadata_describes_every_column_and_the_score(booster: lgb.Booster) -> None:
    model = FraudModel("fraud-detector", HeldChampion(signed(booster)))
    assert model.get_input_types() == [
        {"name": name, "datatype": "FP64", "shape": [-1]} for name in INPUTS
    ]
    assert model.get_output_types() == [{"name": "score", "datatype": "FP64", "shape": [-1]}]
    assert FraudModel("fraud-detector", HeldChampion(None)).get_input_types() == []


def test_one_tensor_per_column_scores_like_the_single_tensor(booster: lgb.Booster) -> None:
    model = FraudModel("fraud-detector", HeldChampion(signed(booster)))
    columns = []
    for i, name in enumerate(INPUTS):
        tensor = InferInput(name=name, shape=[3], datatype="FP64")
        tensor.set_data_from_numpy(ROWS[:3, i].astype("float64"))
        columns.append(tensor)
    by_column = asyncio.run(model.predict(InferRequest("fraud-detector", columns, "r-2")))
    single = asyncio.run(model.predict(request(ROWS[:3])))
    assert by_column.outputs[0].data == pytest.approx(single.outputs[0].data)
    with pytest.raises(InvalidInput, match="missing"):
        asyncio.run(model.predict(InferRequest("fraud-detector", columns[:-1], "r-3")))


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([], b"application/json"),
        ([(b"content-type", b"text/plain")], b"application/json"),
        ([(b"content-type", b"application/octet-stream")], b"application/json"),
        (
            [
                (b"content-type", b"application/octet-stream"),
                (b"inference-header-content-length", b"10"),
            ],
            b"application/octet-stream",
        ),
        (
            [(b"content-type", b"application/json; charset=utf-8")],
            b"application/json; charset=utf-8",
        ),
    ],
)
def test_an_infer_body_without_a_binary_header_is_json(
    headers: list[tuple[bytes, bytes]], expected: bytes
) -> None:
    from dp_serving.protocol import JsonByDefault

    seen: dict[str, object] = {}

    async def app(scope: dict[str, object], receive: object, send: object) -> None:
        seen.update(scope)

    scope = {"type": "http", "path": "/v2/models/fraud-detector/infer", "headers": headers}
    asyncio.run(JsonByDefault(app)(scope, None, None))
    assert dict(seen["headers"]).get(b"content-type") == expected  # type: ignore[call-overload]


def test_a_version_is_answered_by_that_version_or_refused(booster: lgb.Booster) -> None:
    from kserve import ModelRepository

    from dp_serving.protocol import VersionedDataPlane, VersionNotServed

    repository = ModelRepository()
    repository.update(FraudModel("fraud-detector", HeldChampion(signed(booster))))
    plane = VersionedDataPlane(model_registry=repository)
    meta = asyncio.run(plane.model_metadata("fraud-detector", "7"))
    assert (meta["platform"], meta["versions"]) == ("lightgbm", ["7"])
    assert asyncio.run(plane.model_metadata("fraud-detector")) == meta
    with pytest.raises(VersionNotServed, match="'fraud-detector' version '8' is not served"):
        asyncio.run(plane.model_metadata("fraud-detector", "8"))
    pinned = request(ROWS[:2])
    pinned.model_version = "8"
    with pytest.raises(VersionNotServed):
        asyncio.run(plane.infer("fraud-detector", pinned))
    pinned.model_version = "7"
    answer, _ = asyncio.run(plane.infer("fraud-detector", pinned))
    assert answer.model_version == "7"


def test_a_model_not_loaded_is_unavailable_over_every_transport() -> None:
    from kserve import ModelRepository
    from kserve.errors import ModelNotReady

    from dp_serving.protocol import VersionedDataPlane

    repository = ModelRepository()
    repository.update(FraudModel("fraud-detector", HeldChampion(None)))  # type: ignore[arg-type]
    plane = VersionedDataPlane(model_registry=repository)
    with pytest.raises(ModelNotReady):
        asyncio.run(plane.infer("fraud-detector", request(ROWS[:1])))

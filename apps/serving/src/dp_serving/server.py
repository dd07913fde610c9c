"""The model server: KServe's Python server answering Open Inference Protocol v2.

Endpoints: the protocol's REST routes (`/v2/health/live|ready`, `/v2/models/<name>[/versions/
<version>][/ready|/infer]`), `/metrics`, and its gRPC service when `model_server.grpc` is on (on
the `serving-grpc` port); versions and the metadata's platform are `protocol`'s. Two models are
served: the champion under the model's name (what the API calls) and the challenger under
`<name>-challenger` (what `dp promote` gates), each following its MLflow alias. A model's
metadata is its MLflow signature (`metadata`): one FP64 input tensor per feature column, shape
[-1], and the FP64 output `score`, shape [-1]. A request sends those columns, or one FP64 tensor
`inputs` of shape [rows, columns] in the signature's order (what the API sends); the answer is
`score`. A JSON body is read as JSON when its content type is missing or generic.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import numpy as np
import uvloop
from kserve import InferOutput, InferRequest, InferResponse, Model, ModelRepository, ModelServer
from kserve.errors import InvalidInput

from dp_core.champion import AliasedModel, pinned_version, served_name
from dp_core.inference import INPUT_TENSOR, OUTPUT_TENSOR
from dp_core.model_inputs import INPUTS
from dp_core.resources import Resources
from dp_serving.metadata import column_names, input_tensors, output_tensors
from dp_serving.protocol import VersionedDataPlane, install


class FraudModel(Model):
    """A KServe model whose weights are the version an MLflow alias names, followed as it moves."""

    def __init__(self, name: str, aliased: AliasedModel) -> None:
        self.aliased = aliased
        super().__init__(name)

    @property
    def ready(self) -> bool:
        """Ready exactly when the alias's version is loaded (it may arrive after start)."""
        return self.aliased.loaded

    @ready.setter
    def ready(self, value: bool) -> None:
        """KServe sets readiness itself; here it follows the alias instead."""

    @property
    def versions(self) -> list[str]:
        """The MLflow version this name serves right now: the only one it can be asked for."""
        return [self.aliased.model.version] if self.aliased.loaded else []

    def load(self) -> bool:
        self.aliased.follow()
        return self.ready

    def get_input_types(self) -> list[dict[str, Any]]:
        signature = self._signature()
        return input_tensors(signature) if signature is not None else []

    def get_output_types(self) -> list[dict[str, Any]]:
        signature = self._signature()
        return output_tensors(signature) if signature is not None else []

    def _signature(self) -> Any:
        return self.aliased.model.signature if self.aliased.loaded else None

    async def predict(
        self, payload: InferRequest, headers: dict[str, str] | None = None
    ) -> InferResponse:
        model = self.aliased.model
        columns = column_names(model.signature) if model.signature is not None else list(INPUTS)
        inputs = _inputs(payload, columns)
        scores = model.score(inputs)
        output = InferOutput(name=OUTPUT_TENSOR, shape=[len(scores)], datatype="FP64")
        output.set_data_from_numpy(scores, binary_data=False)
        return InferResponse(
            response_id=payload.id or "",
            model_name=self.name,
            model_version=model.version,
            infer_outputs=[output],
            # Over gRPC the score goes in `raw_output_contents`, as Triton answers: Triton's gRPC
            # client reads nothing else (KServe would fill `contents`).
            use_binary_outputs=payload.from_grpc,
        )


def _inputs(payload: InferRequest, columns: list[str]) -> np.ndarray:
    """Rows of model inputs from the one `inputs` tensor or from one tensor per column."""
    by_name = {t.name: t for t in payload.inputs}
    if INPUT_TENSOR in by_name:
        array = _array(by_name[INPUT_TENSOR])
        if array.ndim != 2 or array.shape[1] != len(columns):
            raise InvalidInput(
                f"'{INPUT_TENSOR}' must have shape [rows, {len(columns)}] ({columns})"
            )
        return array
    missing = [c for c in columns if c not in by_name]
    if missing:
        raise InvalidInput(
            f"expected an input tensor named '{INPUT_TENSOR}' or one per column {columns}; "
            f"missing {missing}"
        )
    values = [_array(by_name[c]).reshape(-1) for c in columns]
    if len({len(v) for v in values}) != 1:
        raise InvalidInput("the column tensors must all hold the same number of rows")
    return np.column_stack(values)


def _array(tensor: Any) -> np.ndarray:
    try:
        return np.asarray(tensor.as_numpy(), dtype="float64")
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"'{tensor.name}' does not match its shape and datatype: {exc}") from exc


def serve(resources: Resources) -> None:
    """Run the model server in the foreground on the serving port (KServe binds every
    interface; it has no option for one)."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    settings = resources.settings
    registry, poll_s = settings.mlflow, settings.model_server.alias_poll_s
    # Registered up front, so the server starts (live, those models not ready) before the
    # aliases exist; KServe's own start() would refuse a model that is not ready yet.
    repository = ModelRepository()
    for alias in (registry.champion_alias, registry.challenger_alias):
        pinned = pinned_version(settings, alias)
        model = FraudModel(
            served_name(registry, alias),
            AliasedModel(resources.mlflow, registry, alias, poll_s, pinned),
        )
        model.load()
        repository.update(model)
    options: dict[str, Any] = {
        "registered_models": repository,
        "http_port": settings.endpoints.port("serving"),
        "enable_grpc": settings.model_server.grpc,
        "grpc_port": settings.endpoints.port("serving-grpc"),
        "workers": 1,
        "enable_docs_url": False,
        "enable_latency_logging": False,
    }
    # KServe runs `asyncio.run()` itself, so uvicorn's loop option never applies: uvloop is set
    # as the policy here (1.6k → 2k+ infer/s on this machine, see docs/performance.md).
    install()
    uvloop.install()
    asyncio.set_event_loop(asyncio.new_event_loop())  # KServe configures "the current loop" first
    server = ModelServer(**options)
    server.dataplane = VersionedDataPlane(model_registry=repository)
    server.start([])

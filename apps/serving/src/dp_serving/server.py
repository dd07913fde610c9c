"""The model server: KServe's Python server answering Open Inference Protocol v2.

Endpoints (from KServe): `/v2/health/live`, `/v2/health/ready`, `/v2/models/<name>`,
`/v2/models/<name>/ready`, `/v2/models/<name>/infer`, `/metrics`. The request carries one FP64
tensor `inputs` of shape [rows, len(INPUTS)]; the answer one FP64 tensor `score` of shape [rows].
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import numpy as np
import uvloop
from kserve import InferOutput, InferRequest, InferResponse, Model, ModelRepository, ModelServer
from kserve.errors import InvalidInput

from dp_core.champion import Champion
from dp_core.inference import INPUT_TENSOR, OUTPUT_TENSOR
from dp_core.model_inputs import INPUTS
from dp_core.resources import Resources


class FraudModel(Model):
    """A KServe model whose weights are the MLflow champion, followed as the alias moves."""

    def __init__(self, name: str, champion: Champion) -> None:
        self.champion = champion
        super().__init__(name)

    @property
    def ready(self) -> bool:
        """Ready exactly when a champion is loaded (it may arrive after start)."""
        return self.champion.loaded

    @ready.setter
    def ready(self, value: bool) -> None:
        """KServe sets readiness itself; here it follows the champion instead."""

    def load(self) -> bool:
        self.champion.follow()
        return self.ready

    async def predict(
        self, payload: InferRequest, headers: dict[str, str] | None = None
    ) -> InferResponse:
        inputs = _inputs(payload)
        model = self.champion.model
        scores = model.score(inputs)
        output = InferOutput(name=OUTPUT_TENSOR, shape=[len(scores)], datatype="FP64")
        output.set_data_from_numpy(scores, binary_data=False)
        return InferResponse(
            response_id=payload.id or "",
            model_name=self.name,
            model_version=model.version,
            infer_outputs=[output],
        )


def _inputs(payload: InferRequest) -> np.ndarray:
    tensor = next((t for t in payload.inputs if t.name == INPUT_TENSOR), None)
    if tensor is None:
        raise InvalidInput(f"expected an input tensor named '{INPUT_TENSOR}'")
    try:
        array = np.asarray(tensor.as_numpy(), dtype="float64")
    except (ValueError, TypeError) as exc:
        raise InvalidInput(
            f"'{INPUT_TENSOR}' does not match its shape and datatype: {exc}"
        ) from exc
    if array.ndim != 2 or array.shape[1] != len(INPUTS):
        raise InvalidInput(f"'{INPUT_TENSOR}' must have shape [rows, {len(INPUTS)}] ({INPUTS})")
    return array


def serve(resources: Resources) -> None:
    """Run the model server in the foreground on the serving port (KServe binds every
    interface; it has no option for one)."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    settings = resources.settings
    champion = Champion(resources.mlflow, settings.mlflow, settings.model_server.alias_poll_s)
    model = FraudModel(settings.mlflow.model_name, champion)
    model.load()
    # Registered up front, so the server starts (live, not ready) before any champion exists;
    # KServe's own start() would refuse a model that is not ready yet.
    repository = ModelRepository()
    repository.update(model)
    options: dict[str, Any] = {
        "registered_models": repository,
        "http_port": settings.endpoints.port("serving"),
        "enable_grpc": False,
        "workers": 1,
        "enable_docs_url": False,
        "enable_latency_logging": False,
    }
    # KServe runs `asyncio.run()` itself, so uvicorn's loop option never applies: uvloop is set
    # as the policy here (1.6k → 2k+ infer/s on this machine, see docs/performance.md).
    uvloop.install()
    asyncio.set_event_loop(asyncio.new_event_loop())  # KServe configures "the current loop" first
    ModelServer(**options).start([])

"""How callers score: one interface, in process (embedded) or over Open Inference Protocol v2."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
import numpy as np
import orjson

from dp_core.champion import Champion
from dp_core.inference import INPUT_TENSOR, OUTPUT_TENSOR, ModelUnavailable

JSON = {"content-type": "application/json"}
NUMPY = orjson.OPT_SERIALIZE_NUMPY


@dataclass(frozen=True)
class Scores:
    values: list[float]
    model_name: str
    model_version: str


class ModelClient(Protocol):
    async def start(self) -> None: ...

    async def predict(self, inputs: np.ndarray) -> Scores:
        """Scores for rows of model inputs; raises ModelUnavailable when the model is not there."""
        ...

    async def ready(self) -> bool: ...

    async def close(self) -> None: ...


class InProcessModelClient:
    """Scores with the champion loaded into this process."""

    def __init__(self, champion: Champion) -> None:
        self._champion = champion

    async def start(self) -> None:
        self._champion.follow()

    async def predict(self, inputs: np.ndarray) -> Scores:
        model = self._champion.model
        return Scores(model.score(inputs).tolist(), model.name, model.version)

    async def ready(self) -> bool:
        try:
            self._champion.refresh()
        except ModelUnavailable:
            return False
        return True

    async def close(self) -> None:
        self._champion.stop()


class V2HttpModelClient:
    """Scores through a model server's v2 REST API over one pooled keep-alive session."""

    def __init__(self, url: str, model: str, timeout_s: float) -> None:
        self._base = url.rstrip("/")
        self._model = model
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        connector = aiohttp.TCPConnector(limit=64, keepalive_timeout=30)
        self._session = aiohttp.ClientSession(connector=connector, timeout=self._timeout)

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("V2HttpModelClient.start() was not awaited")
        return self._session

    async def predict(self, inputs: np.ndarray) -> Scores:
        body = {
            "inputs": [
                {
                    "name": INPUT_TENSOR,
                    "shape": list(inputs.shape),
                    "datatype": "FP64",
                    "data": inputs.ravel(),  # orjson writes numpy arrays natively
                }
            ]
        }
        url = f"{self._base}/v2/models/{self._model}/infer"
        payload = orjson.dumps(body, option=NUMPY)
        try:
            async with self.session.post(url, data=payload, headers=JSON) as response:
                answer: dict[str, Any] = orjson.loads(await response.read())
                if response.status != 200:
                    raise ModelUnavailable(f"model server answered {response.status}: {answer}")
        except (aiohttp.ClientError, TimeoutError, orjson.JSONDecodeError) as exc:
            raise ModelUnavailable(f"model server at {self._base} is unreachable: {exc!r}") from exc
        output = next(o for o in answer["outputs"] if o["name"] == OUTPUT_TENSOR)
        return Scores(
            [float(v) for v in output["data"]],
            answer["model_name"],
            str(answer.get("model_version") or ""),
        )

    async def ready(self) -> bool:
        try:
            async with self.session.get(f"{self._base}/v2/models/{self._model}/ready") as response:
                return response.status == 200
        except (aiohttp.ClientError, TimeoutError):
            return False

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

"""How callers score: one interface, in process (embedded) or over Open Inference Protocol v2."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import aiohttp
import numpy as np
import orjson

from dp_core.champion import AliasedModel
from dp_core.inference import INPUT_TENSOR, OUTPUT_TENSOR, ModelRejected, ModelUnavailable

JSON = {"content-type": "application/json"}
NUMPY = orjson.OPT_SERIALIZE_NUMPY


@dataclass(frozen=True)
class Scores:
    values: list[float]
    model_name: str
    model_version: str


class ModelClient(Protocol):
    async def start(self) -> None: ...

    async def predict(self, inputs: np.ndarray, request_id: str = "") -> Scores:
        """Scores for rows of model inputs (`request_id`: the caller's, for the server's logs and
        answer); raises ModelUnavailable when the model is not there."""
        ...

    async def ready(self) -> bool: ...

    async def close(self) -> None: ...


class InProcessModelClient:
    """Scores with the version an alias names, loaded into this process."""

    def __init__(self, model: AliasedModel) -> None:
        self._model = model

    async def start(self) -> None:
        self._model.follow()

    async def predict(self, inputs: np.ndarray, request_id: str = "") -> Scores:
        model = self._model.model
        return Scores(model.score(inputs).tolist(), model.name, model.version)

    async def ready(self) -> bool:
        try:
            self._model.refresh()
        except ModelUnavailable:
            return False
        return True

    async def close(self) -> None:
        self._model.stop()


def _scores(raw: bytes, rows: int) -> Scores:
    """A v2 answer's `score` tensor as one probability per row; anything else is garbage."""
    try:
        answer = orjson.loads(raw)
        output = next(o for o in answer["outputs"] if o["name"] == OUTPUT_TENSOR)
        values = [float(v) for v in output["data"]]
        name, version = answer["model_name"], answer.get("model_version") or ""
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, StopIteration) as exc:
        raise ModelUnavailable(f"model server answered garbage: {exc!r}: {raw[:300]!r}") from exc
    if len(values) != rows or not all(0.0 <= v <= 1.0 for v in values):  # NaN fails both
        raise ModelUnavailable(f"model server answered {values[:5]} for {rows} row(s)")
    if not isinstance(name, str):
        raise ModelUnavailable(f"model server answered the model name {name!r}")
    return Scores(values, name, str(version))


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

    async def predict(self, inputs: np.ndarray, request_id: str = "") -> Scores:
        body = {
            "id": request_id,  # the protocol's request id, echoed in the answer
            "inputs": [
                {
                    "name": INPUT_TENSOR,
                    "shape": list(inputs.shape),
                    "datatype": "FP64",
                    "data": inputs.ravel(),  # orjson writes numpy arrays natively
                }
            ],
        }
        url = f"{self._base}/v2/models/{self._model}/infer"
        payload = orjson.dumps(body, option=NUMPY)
        try:
            async with self.session.post(url, data=payload, headers=JSON) as response:
                status, raw = response.status, await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ModelUnavailable(f"model server at {self._base} is unreachable: {exc!r}") from exc
        if status != 200:
            message = f"model server answered {status}: {raw[:300].decode(errors='replace')}"
            if 400 <= status < 500 and status != 404:
                raise ModelRejected(message)
            raise ModelUnavailable(message)
        return _scores(raw, rows=len(inputs))

    async def ready(self) -> bool:
        try:
            async with self.session.get(f"{self._base}/v2/models/{self._model}/ready") as response:
                return response.status == 200
        except (aiohttp.ClientError, TimeoutError):
            return False

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

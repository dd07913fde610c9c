"""How callers score: one interface, in process (embedded) or over Open Inference Protocol v2."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
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


@dataclass
class _Waiting:
    inputs: np.ndarray
    request_id: str
    answer: asyncio.Future[Scores]


class BatchingModelClient:
    """Scores concurrent callers' rows in shared requests (adaptive batching, no timer).

    At most `in_flight` requests to `inner` are outstanding; rows that arrive while all of them
    are out wait and leave together, up to `max_rows`, when one returns. An idle client sends at
    once, so batching adds no wait at low load and grows with it, which is where the model
    server's cost per request (parsing, framework, tensor) is shared. A batch's request id is its
    callers' ids joined by commas; a failed batch fails each of its callers with that error; a
    caller that gave up (its deadline) is skipped.
    """

    def __init__(
        self,
        inner: ModelClient,
        max_rows: int,
        in_flight: int,
        on_batch: Callable[[int], None] = lambda rows: None,
    ) -> None:
        if max_rows < 1 or in_flight < 1:
            raise ValueError("max_rows and in_flight must be at least 1")
        self._inner = inner
        self._max_rows = max_rows
        self._in_flight = in_flight
        self._on_batch = on_batch
        self._out = 0
        self._waiting: deque[_Waiting] = deque()
        self._sending: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        await self._inner.start()

    async def predict(self, inputs: np.ndarray, request_id: str = "") -> Scores:
        answer: asyncio.Future[Scores] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(inputs, request_id, answer))
        self._dispatch()
        return await answer

    def _dispatch(self) -> None:
        while self._out < self._in_flight:
            batch = self._next_batch()
            if not batch:
                return
            self._out += 1
            task = asyncio.create_task(self._send(batch))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    def _next_batch(self) -> list[_Waiting]:
        """The oldest waiting callers, whole, up to `max_rows` rows (at least one caller)."""
        batch: list[_Waiting] = []
        rows = 0
        while self._waiting:
            waiting = self._waiting[0]
            if waiting.answer.done():  # its caller gave up
                self._waiting.popleft()
                continue
            if batch and rows + len(waiting.inputs) > self._max_rows:
                break
            batch.append(self._waiting.popleft())
            rows += len(waiting.inputs)
        return batch

    async def _send(self, batch: list[_Waiting]) -> None:
        try:
            inputs = (
                np.concatenate([w.inputs for w in batch]) if len(batch) > 1 else batch[0].inputs
            )
            self._on_batch(len(inputs))
            ids = ",".join(dict.fromkeys(w.request_id for w in batch if w.request_id))
            scores = await self._inner.predict(inputs, request_id=ids)
        except Exception as exc:  # every caller of the batch gets the error, as if alone
            for waiting in batch:
                if not waiting.answer.done():
                    waiting.answer.set_exception(exc)
        else:
            start = 0
            for waiting in batch:
                end = start + len(waiting.inputs)
                if not waiting.answer.done():
                    values = scores.values[start:end]
                    waiting.answer.set_result(
                        Scores(values, scores.model_name, scores.model_version)
                    )
                start = end
        finally:  # cancelled (closing): its callers must not wait for ever
            for waiting in batch:
                if not waiting.answer.done():
                    waiting.answer.cancel()
            self._out -= 1
            self._dispatch()

    async def ready(self) -> bool:
        return await self._inner.ready()

    async def close(self) -> None:
        for task in list(self._sending):
            task.cancel()
        await self._inner.close()

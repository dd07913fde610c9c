"""Adaptive batching of concurrent predictions: who shares a request, and who gets which score."""

from __future__ import annotations

import asyncio
import functools

import numpy as np
import pytest

from dp_core.inference import ModelUnavailable
from dp_core.model_client import BatchingModelClient, Scores


class HeldServer:
    """A model whose answers wait until the test releases them; the score of a row is its sum."""

    def __init__(self, fail: bool = False) -> None:
        self.requests: list[tuple[list[list[float]], str]] = []
        self.release = asyncio.Event()
        self.fail = fail

    async def start(self) -> None: ...

    async def predict(self, inputs: np.ndarray, request_id: str = "") -> Scores:
        self.requests.append((inputs.tolist(), request_id))
        await self.release.wait()
        if self.fail:
            raise ModelUnavailable("model server answered 503")
        return Scores([float(row.sum()) for row in inputs], "fraud", "7")

    async def ready(self) -> bool:
        return True

    async def close(self) -> None: ...


def synchronous(test):
    """Run an async test on its own event loop."""

    @functools.wraps(test)
    def run():
        asyncio.run(test())

    return run


def row(value: float) -> np.ndarray:
    return np.asarray([[value, 1.0]])


async def until(condition, seconds: float = 1.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0)


async def one_out(max_rows: int, **options):
    """A client whose first prediction (row 1, id "a") is out at the held server."""
    server = HeldServer()
    client = BatchingModelClient(server, max_rows=max_rows, in_flight=1, **options)
    first = asyncio.create_task(client.predict(row(1), "a"))
    await until(lambda: len(server.requests) == 1)
    return server, client, first


@synchronous
async def test_an_idle_client_sends_at_once_and_rows_that_wait_share_the_next_request():
    sizes: list[int] = []
    server, client, first = await one_out(32, on_batch=sizes.append)
    waiting = [asyncio.create_task(client.predict(row(v), f"r{v}")) for v in (2, 3, 4)]
    await asyncio.sleep(0.01)
    assert len(server.requests) == 1  # one outstanding: the others wait

    server.release.set()
    scores = await asyncio.gather(first, *waiting)

    assert server.requests == [
        ([[1.0, 1.0]], "a"),
        ([[2.0, 1.0], [3.0, 1.0], [4.0, 1.0]], "r2,r3,r4"),
    ]
    assert [s.values for s in scores] == [[2.0], [3.0], [4.0], [5.0]]
    assert {(s.model_name, s.model_version) for s in scores} == {("fraud", "7")}
    assert sizes == [1, 3]


@synchronous
async def test_a_batch_holds_at_most_max_rows_and_callers_stay_whole():
    server, client, first = await one_out(3)
    two_rows = np.asarray([[1.0, 1.0], [2.0, 1.0]])
    rest = [
        asyncio.create_task(client.predict(two_rows)),
        asyncio.create_task(client.predict(row(3))),
        asyncio.create_task(client.predict(two_rows)),
    ]
    await asyncio.sleep(0)

    server.release.set()
    scores = await asyncio.gather(first, *rest)

    assert [len(rows) for rows, _ in server.requests] == [1, 3, 2]
    assert [s.values for s in scores] == [[2.0], [2.0, 3.0], [4.0], [2.0, 3.0]]


@synchronous
async def test_requests_in_flight_are_bounded():
    server = HeldServer()
    client = BatchingModelClient(server, max_rows=1, in_flight=2)
    calls = [asyncio.create_task(client.predict(row(v))) for v in range(5)]
    await until(lambda: len(server.requests) == 2)
    await asyncio.sleep(0.01)
    assert len(server.requests) == 2

    server.release.set()
    await asyncio.gather(*calls)
    assert len(server.requests) == 5


@synchronous
async def test_a_failed_batch_fails_each_of_its_callers():
    server = HeldServer(fail=True)
    client = BatchingModelClient(server, max_rows=8, in_flight=1)
    calls = [asyncio.create_task(client.predict(row(v))) for v in range(3)]
    await until(lambda: len(server.requests) == 1)

    server.release.set()
    results = await asyncio.gather(*calls, return_exceptions=True)

    assert [type(r) for r in results] == [ModelUnavailable] * 3


@synchronous
async def test_a_caller_that_gave_up_is_not_sent():
    server, client, first = await one_out(8)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.01):
            await client.predict(row(2), "gave-up")
    kept = asyncio.create_task(client.predict(row(3), "kept"))
    await asyncio.sleep(0)

    server.release.set()
    await asyncio.gather(first, kept)

    assert server.requests[1] == ([[3.0, 1.0]], "kept")

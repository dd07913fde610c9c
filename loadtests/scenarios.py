"""Who the load test pretends to be: API clients with a realistic mix, and v2 model clients."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable

import gevent
from locust import constant, constant_pacing, task
from locust.contrib.fasthttp import FastHttpSession, FastHttpUser
from shapes import PACING_S, RATE

KNOWN_CUSTOMERS = int(os.environ.get("LOAD_CUSTOMERS", "1000"))
# The API key the gate hands over (LOAD_API_KEY), where the target's API needs one.
HEADERS = (
    {"Authorization": f"Bearer {os.environ['LOAD_API_KEY']}"}
    if os.environ.get("LOAD_API_KEY")
    else {}
)
MODEL = os.environ.get("LOAD_MODEL", "fraud-detector")
INPUTS = 11


def transaction(customer: str) -> dict[str, object]:
    return {
        "customer_id": customer,
        "merchant_id": f"m-{random.randrange(2000):06d}",
        "amount": round(random.lognormvariate(3.5, 0.7), 2),
        "currency": random.choice(["EUR", "USD", "GBP"]),
        "channel": random.choice(["pos", "online", "atm"]),
        "country": random.choice(["DE", "FR", "NL", "NG"]),
    }


def known_customer(client: FastHttpSession) -> None:
    body = transaction(f"c-{random.randrange(KNOWN_CUSTOMERS):07d}")
    client.post("/v1/predict", json=body, headers=HEADERS, name="predict known")


def cold_start(client: FastHttpSession) -> None:
    body = transaction(f"c-new-{random.randrange(10**9)}")
    with client.post(
        "/v1/predict", json=body, headers=HEADERS, name="predict cold start", catch_response=True
    ) as r:
        if r.status_code == 200 and not r.json().get("cold_start"):
            r.failure("an unknown customer was not answered as cold start")


def invalid(client: FastHttpSession) -> None:
    body = {**transaction("c-0000001"), "amount": -1}
    with client.post(
        "/v1/predict", json=body, headers=HEADERS, name="predict invalid", catch_response=True
    ) as r:
        if r.status_code == 422:
            r.success()
        else:
            r.failure(f"an invalid payload got {r.status_code}, not 422")


def api_call(client: FastHttpSession) -> None:
    """`POST /v1/predict`: 85% known customers, 10% cold start, 5% invalid (must get 422)."""
    random.choices((known_customer, cold_start, invalid), weights=(17, 2, 1))[0](client)


def infer_call(client: FastHttpSession) -> None:
    """Open Inference Protocol v2 infer on the model server alone."""
    data = [random.random() * 5 for _ in range(INPUTS)]
    body = {"inputs": [{"name": "inputs", "shape": [1, INPUTS], "datatype": "FP64", "data": data}]}
    client.post(f"/v2/models/{MODEL}/infer", json=body, name="v2 infer")


class PacedUser(FastHttpUser):
    """Sends one request every `PACING_S` after its answer, starting at a random phase.

    Locust starts users in batches; users with the same phase send in bursts, and each burst
    queued behind itself showed up as latency the server never had (p50 150 ms from 100 users,
    7 ms from an open-loop generator at the same rate).
    """

    abstract = True
    wait_time = constant_pacing(PACING_S)
    call: Callable[[FastHttpSession], None]

    def on_start(self) -> None:
        gevent.sleep(random.uniform(0, PACING_S))

    @task
    def send(self) -> None:
        type(self).call(self.client)


class OpenLoopUser(FastHttpUser):
    """The one user of an open-loop run: a request leaves every 1/`RATE` s on a fixed schedule,
    each in its own greenlet, whether or not the earlier ones were answered."""

    abstract = True
    concurrency = 512  # connections the generator may hold open while the server is slow
    wait_time = constant(0)
    call: Callable[[FastHttpSession], None]

    def on_start(self) -> None:
        self._next = time.perf_counter()

    @task
    def arrive(self) -> None:
        self._next += 1 / RATE
        gevent.sleep(max(0.0, self._next - time.perf_counter()))
        gevent.spawn(type(self).call, self.client)


class ApiClient(PacedUser):
    call = api_call


class ModelServerClient(PacedUser):
    call = infer_call


class ApiArrivals(OpenLoopUser):
    call = api_call


class ModelServerArrivals(OpenLoopUser):
    call = infer_call

"""Who the load test pretends to be: API clients with a realistic mix, and v2 model clients."""

from __future__ import annotations

import os
import random

import gevent
from locust import constant_pacing, tag, task
from locust.contrib.fasthttp import FastHttpUser
from shapes import PACING_S

KNOWN_CUSTOMERS = int(os.environ.get("LOAD_CUSTOMERS", "1000"))
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


class PacedUser(FastHttpUser):
    """Sends one request every `PACING_S`, starting at a random phase.

    Locust starts users in batches; users with the same phase send in bursts, and each burst
    queued behind itself showed up as latency the server never had (p50 150 ms from 100 users,
    7 ms from an open-loop generator at the same rate).
    """

    abstract = True
    wait_time = constant_pacing(PACING_S)

    def on_start(self) -> None:
        gevent.sleep(random.uniform(0, PACING_S))


class ApiClient(PacedUser):
    """`POST /v1/predict`: 85% known customers, 10% cold start, 5% invalid (must get 422)."""

    @tag("api")
    @task(17)
    def known_customer(self) -> None:
        body = transaction(f"c-{random.randrange(KNOWN_CUSTOMERS):07d}")
        self.client.post("/v1/predict", json=body, name="predict known")

    @tag("api")
    @task(2)
    def cold_start(self) -> None:
        body = transaction(f"c-new-{random.randrange(10**9)}")
        with self.client.post(
            "/v1/predict", json=body, name="predict cold start", catch_response=True
        ) as r:
            if r.status_code == 200 and not r.json().get("cold_start"):
                r.failure("an unknown customer was not answered as cold start")

    @tag("api")
    @task(1)
    def invalid(self) -> None:
        body = {**transaction("c-0000001"), "amount": -1}
        with self.client.post(
            "/v1/predict", json=body, name="predict invalid", catch_response=True
        ) as r:
            if r.status_code == 422:
                r.success()
            else:
                r.failure(f"an invalid payload got {r.status_code}, not 422")


class ModelServerClient(PacedUser):
    """Open Inference Protocol v2 infer on the model server alone."""

    @tag("model")
    @task
    def infer(self) -> None:
        data = [random.random() * 5 for _ in range(INPUTS)]
        body = {
            "inputs": [{"name": "inputs", "shape": [1, INPUTS], "datatype": "FP64", "data": data}]
        }
        self.client.post(f"/v2/models/{MODEL}/infer", json=body, name="v2 infer")

"""Load shapes: a constant offered rate for a fixed time (users, one request per second each)."""

from __future__ import annotations

import os

from locust import LoadTestShape


class ConstantRate(LoadTestShape):
    """`LOAD_RATE` requests per second for `LOAD_DURATION` seconds, then stop."""

    rate = int(os.environ.get("LOAD_RATE", "100"))
    duration = int(os.environ.get("LOAD_DURATION", "60"))

    def tick(self) -> tuple[int, float] | None:
        if self.get_run_time() >= self.duration:
            return None
        return self.rate, float(self.rate)

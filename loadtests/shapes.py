"""Load shapes: a constant offered rate for a fixed time, from a few paced users."""

from __future__ import annotations

import os

from locust import LoadTestShape

RATE = int(os.environ.get("LOAD_RATE", "100"))
DURATION_S = int(os.environ.get("LOAD_DURATION", "60"))
# Ten requests a second per user: few users (and so few simultaneous senders) for the rate.
USERS = max(1, RATE // 10)
PACING_S = USERS / RATE


class ConstantRate(LoadTestShape):
    """`LOAD_RATE` requests per second for `LOAD_DURATION` seconds, then stop."""

    def tick(self) -> tuple[int, float] | None:
        if self.get_run_time() >= DURATION_S:
            return None
        return USERS, float(USERS)

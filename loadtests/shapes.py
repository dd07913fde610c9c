"""Load shapes: a constant offered rate for a fixed time.

`LOAD_ARRIVAL=open` (the gate's default): one generator user whose requests leave on a fixed
schedule whatever the answers, so a slow server meets the same arrivals (no coordinated omission).
`LOAD_ARRIVAL=paced`: a few users, each sending one request every `PACING_S` after its answer.
"""

from __future__ import annotations

import os

from locust import LoadTestShape

RATE = int(os.environ.get("LOAD_RATE", "100"))
DURATION_S = int(os.environ.get("LOAD_DURATION", "60"))
ARRIVAL = os.environ.get("LOAD_ARRIVAL", "open")
# Paced: ten requests a second per user, so few simultaneous senders for the rate.
PACED_USERS = max(1, RATE // 10)
PACING_S = PACED_USERS / RATE


class ConstantRate(LoadTestShape):
    """`LOAD_RATE` requests per second for `LOAD_DURATION` seconds, then stop."""

    def tick(self) -> tuple[int, float] | None:
        if self.get_run_time() >= DURATION_S:
            return None
        users = 1 if ARRIVAL == "open" else PACED_USERS
        return users, float(users)

"""An open-loop load generator: requests leave at a fixed rate whatever the server does.

Latency is measured from each request's intended send time, so a stalled server is charged for
the requests queued behind the stall (no coordinated omission). Only answers with status 200 are
latencies; every other answer or connection error is a failure, and a figure with failures is not
a figure (`valid` is false). Run as a module in its own process:

    python -m bench.openloop URL --rate 200 --duration 10 --body '{...}'
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from dataclasses import dataclass

import aiohttp


@dataclass(frozen=True)
class OpenLoopResult:
    rate: int
    sent: int
    ok: int
    latencies_ms: list[float]

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")

    def summary(self) -> dict[str, float]:
        return {
            "rate": self.rate,
            "sent": self.sent,
            "ok": self.ok,
            "errors": self.sent - self.ok,
            "p50_ms": round(self.percentile(0.50), 2),
            "p99_ms": round(self.percentile(0.99), 2),
        }


async def open_loop(
    url: str, body: bytes, rate: int, duration_s: float, headers: dict[str, str] | None = None
) -> OpenLoopResult:
    """POST `body` to `url` at `rate` per second for `duration_s`; latency from intended send."""
    latencies: list[float] = []
    ok = 0
    connector = aiohttp.TCPConnector(limit=256)
    headers = {"content-type": "application/json", **(headers or {})}
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(intended: float) -> None:
            nonlocal ok
            try:
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    if response.status != 200:
                        return
            except aiohttp.ClientError:
                return
            ok += 1
            latencies.append((time.perf_counter() - intended) * 1000)

        total = int(rate * duration_s)
        start = time.perf_counter()
        tasks = []
        for i in range(total):
            intended = start + i / rate
            delay = intended - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(intended)))
        await asyncio.gather(*tasks)
    return OpenLoopResult(rate=rate, sent=total, ok=ok, latencies_ms=latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--body", required=True, help="JSON request body")
    parser.add_argument("--header", action="append", default=[], help="NAME: VALUE (repeatable)")
    args = parser.parse_args()
    headers = dict(h.split(": ", 1) for h in args.header)
    result = asyncio.run(open_loop(args.url, args.body.encode(), args.rate, args.duration, headers))
    print(json.dumps(result.summary()))


if __name__ == "__main__":
    main()

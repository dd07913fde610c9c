"""The ceiling: a bare FastAPI endpoint in the API's server setup (uvicorn, uvloop, httptools).

It parses a JSON body into a model and answers one, as `/v1/predict` does, with no features, no
model and no events: what this machine's Python HTTP stack can do at most.
"""

from __future__ import annotations

import argparse

import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()


class Echo(BaseModel):
    customer_id: str
    amount: float


@app.post("/echo")
async def echo(body: Echo) -> Echo:
    return body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=18099)
    args = parser.parse_args()
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()

"""The model-server hop as the API makes it, one row per request: REST JSON against v2 gRPC.

REST goes through the API's own client (`V2HttpModelClient`: aiohttp, pooled keep-alive); gRPC
through one `grpc.aio` channel with the protocol's stubs (KServe's), the single `inputs` tensor
as typed FP64 contents, the score back raw (docs/serving.md). Sequential requests from one
asyncio loop, so the figure is the hop's latency, not a throughput; a failed request is counted
as an error, never as a latency.
"""

from __future__ import annotations

import time

import grpc
import numpy as np
from kserve.protocol.grpc import grpc_predict_v2_pb2 as pb
from kserve.protocol.grpc.grpc_predict_v2_pb2_grpc import GRPCInferenceServiceStub

from bench.lookup import latency_summary
from dp_core.inference import INPUT_TENSOR, OUTPUT_TENSOR, ModelUnavailable
from dp_core.model_client import V2HttpModelClient
from dp_core.model_inputs import INPUTS

REQUESTS = 2_000
ROW = np.ones((1, len(INPUTS)), dtype="float64")


async def rest_hop(base_url: str, model: str) -> dict[str, float]:
    client = V2HttpModelClient(base_url, model, timeout_s=2.0)
    await client.start()
    seconds, errors = [], 0
    try:
        for i in range(REQUESTS + 50):
            started = time.perf_counter()
            try:
                await client.predict(ROW)
            except ModelUnavailable:
                errors += 1
                continue
            if i >= 50:  # the first requests warm the connection pool
                seconds.append(time.perf_counter() - started)
    finally:
        await client.close()
    return {**latency_summary(seconds), "errors": errors}


async def grpc_hop(address: str, model: str) -> dict[str, float]:
    tensor = pb.ModelInferRequest.InferInputTensor(
        name=INPUT_TENSOR,
        datatype="FP64",
        shape=list(ROW.shape),
        contents=pb.InferTensorContents(fp64_contents=ROW.ravel().tolist()),
    )
    request = pb.ModelInferRequest(model_name=model, inputs=[tensor])
    seconds, errors = [], 0
    async with grpc.aio.insecure_channel(address) as channel:
        stub = GRPCInferenceServiceStub(channel)
        for i in range(REQUESTS + 50):
            started = time.perf_counter()
            try:
                answer = await stub.ModelInfer(request, timeout=2.0)
                index = [o.name for o in answer.outputs].index(OUTPUT_TENSOR)
                scores = np.frombuffer(answer.raw_output_contents[index], dtype="<f8")
                if len(scores) != 1 or not 0.0 <= scores[0] <= 1.0:
                    raise ValueError(f"{scores!r} for 1 row")
            except (grpc.aio.AioRpcError, IndexError, ValueError):
                errors += 1
                continue
            if i >= 50:
                seconds.append(time.perf_counter() - started)
    return {**latency_summary(seconds), "errors": errors}

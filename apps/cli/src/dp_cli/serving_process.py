"""A model server of its own as a child process, with the protocol's gRPC endpoint on."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dp_cli.api_process import free_port, wait_ready


@dataclass(frozen=True)
class ServingAddresses:
    rest: str  # http://127.0.0.1:<port>
    grpc: str  # 127.0.0.1:<port>


@contextmanager
def grpc_model_server(
    env: Mapping[str, str], model: str, log_path: Path
) -> Iterator[ServingAddresses]:
    """`dp serve` with `model_server.grpc` on, on free ports, from the same registry as the
    target's own server (`env` selects the target); its addresses once `model` is ready."""
    rest, grpc = free_port(), free_port()
    overrides = {
        "DP_MODEL_SERVER__GRPC": "true",
        "DP_ENDPOINTS__PORTS__SERVING": str(rest),
        "DP_ENDPOINTS__PORTS__SERVING-GRPC": str(grpc),
    }
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "dp_cli", "serve"],
            stdout=log,
            stderr=log,
            env={**env, **overrides},
        )
        try:
            base = f"http://127.0.0.1:{rest}"
            wait_ready(f"{base}/v2/models/{model}/ready", process, timeout_s=120)
            yield ServingAddresses(base, f"127.0.0.1:{grpc}")
        finally:
            process.terminate()
            process.wait(timeout=30)

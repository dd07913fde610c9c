"""Dead dependencies give 503 and recovery; re-runs are idempotent; bad credentials say who."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from e2e.target import Target


@pytest.mark.requires("process_control", "api")
def test_api_503_while_model_server_is_down_then_recovers(
    flow: dict[str, Any], target: Target
) -> None:
    customer = next(p["request"]["customer_id"] for p in flow["predictions"] if p["status"] == 200)
    body = {
        "customer_id": customer,
        "merchant_id": "m-1",
        "amount": 10.0,
        "currency": "EUR",
        "channel": "pos",
        "country": "DE",
    }
    api, headers = target.endpoint("api"), target.api_headers()
    target.stop("serving")
    try:
        down = httpx.post(f"{api}/v1/predict", json=body, headers=headers, timeout=10)
        assert down.status_code == 503
        assert down.json()["error"] == "model_unavailable"
        assert httpx.get(f"{api}/readyz").status_code == 503
    finally:
        target.start("serving")
    deadline = time.monotonic() + 60
    while (
        httpx.post(f"{api}/v1/predict", json=body, headers=headers, timeout=10).status_code != 200
    ):
        assert time.monotonic() < deadline, "the API did not recover"
        time.sleep(1)


def test_rerunning_steps_changes_nothing(flow: dict[str, Any], target: Target) -> None:
    for step in ("ingest", "stage"):
        target.step(step)
    validated = target.step("validate")
    assert validated["staging_rows"] == flow["rows"]["staging"]
    assert validated["quarantined_rows"] == flow["rows"]["quarantined"]
    assert target.step("curate")["curated"] == flow["rows"]["curated"]


@pytest.mark.requires("s3")
def test_wrong_s3_credentials_name_the_service(flow: dict[str, Any], target: Target) -> None:
    wrong = {
        "DP_SECRETS__BACKEND": "env",  # pragma: allowlist secret
        "DP_SECRET_S3_ACCESS_KEY": "nobody",  # pragma: allowlist secret
        "DP_SECRET_S3_SECRET_KEY": "wrong",  # pragma: allowlist secret
    }
    result = target.dp("validate", check=False, env=wrong)
    assert result.returncode == 2
    s3 = target.settings().storage.endpoint_url
    assert f"S3 at {s3} refused the credentials" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.requires("services")
def test_wrong_openbao_token_names_the_service(flow: dict[str, Any], target: Target) -> None:
    result = target.dp("validate", check=False, env={"BAO_TOKEN": "not-a-token"})
    assert result.returncode == 2
    assert f"OpenBao at {target.settings().secrets.url} refused the token" in result.stderr
    assert "Traceback" not in result.stderr

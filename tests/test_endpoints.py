"""Every place that names a service's port agrees with the one declaration (dp_core.endpoints).

Settings, the stack supervisor, the e2e targets and the load-test defaults read the declaration;
what cannot import it (the Kubernetes manifests, platform.env, the Tiltfile's port-forwards,
Prometheus' stack config) is checked here, so moving a port in one place fails this test.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from dp_cli.stack.base import StackContext
from dp_cli.stack.credentials import load_or_create
from dp_cli.stack.services import SERVICES
from dp_core.endpoints import ENDPOINTS
from dp_core.settings import Settings

REPO = Path(__file__).parents[1]
sys.path.insert(0, str(REPO / "dev" / "k8s"))
from tilt_api import evaluate  # noqa: E402

HOST_PORT = re.compile(r"(?:^|//|@|=|\")([a-z][a-z0-9-]*):(\d+)", re.MULTILINE)


@pytest.fixture(scope="module")
def base() -> list[dict[str, Any]]:
    rendered = subprocess.run(
        ["kubectl", "kustomize", str(REPO / "k8s" / "base")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [doc for doc in yaml.safe_load_all(rendered) if doc]


def test_every_kubernetes_service_of_a_declared_name_listens_on_its_port(
    base: list[dict[str, Any]],
) -> None:
    services = {d["metadata"]["name"]: d for d in base if d["kind"] == "Service"}
    declared = {name: e for name, e in ENDPOINTS.items() if name in services}
    assert len(declared) >= 10, f"only {sorted(declared)} of the declared services are deployed"
    for name, endpoint in declared.items():
        ports = [p["port"] for p in services[name]["spec"]["ports"]]
        assert ports == [endpoint.port], f"Service {name} exposes {ports}, declared {endpoint.port}"


def test_every_workload_of_a_declared_name_has_its_port_as_a_container_port(
    base: list[dict[str, Any]],
) -> None:
    workloads = [d for d in base if d["kind"] in ("Deployment", "StatefulSet")]
    checked = 0
    for workload in workloads:
        endpoint = ENDPOINTS.get(workload["metadata"]["name"])
        if endpoint is None:
            continue
        containers = workload["spec"]["template"]["spec"]["containers"]
        ports = {p["containerPort"] for c in containers for p in c.get("ports", [])}
        assert endpoint.port in ports, f"{workload['metadata']['name']} listens on {ports}"
        checked += 1
    assert checked >= 10


def test_platform_env_addresses_services_on_their_declared_ports() -> None:
    env = (REPO / "k8s" / "base" / "platform" / "platform.env").read_text()
    found = HOST_PORT.findall(env)
    assert len(found) >= 7, env
    for host, port in found:
        assert host in ENDPOINTS, f"platform.env names {host}:{port}, an undeclared service"
        assert int(port) == ENDPOINTS[host].port, f"platform.env: {host}:{port}"
    assert "DP_TARGET" not in env, "the base is target-neutral: DP_TARGET belongs to overlays"


def test_tilt_port_forwards_are_the_declared_ports() -> None:
    declared = evaluate(REPO / "Tiltfile", {})
    forwarded = {
        name: spec["port_forwards"]
        for name, spec in declared.k8s_resources.items()
        if "port_forwards" in spec
    }
    assert len(forwarded) >= 10
    for name, ports in forwarded.items():
        endpoint = ENDPOINTS["kafka-external" if name == "kafka" else name]
        assert ports == [str(endpoint.port)], f"Tilt forwards {name} on {ports}"


def test_stack_supervisor_serves_each_declared_service_at_its_settings_url(
    tmp_path: Path,
) -> None:
    settings = Settings(target="stack", state_dir=tmp_path)
    ctx = StackContext(settings, tmp_path, load_or_create(tmp_path))
    portless = {s.name for s in SERVICES if not s.url(ctx)}
    # Airflow's scheduler, dag-processor and triggerer listen on nothing: they reach the
    # database and the api-server, whose health endpoint reports them.
    assert portless == {"airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"}
    for service in SERVICES:
        if service.name in portless:
            continue
        assert service.name in ENDPOINTS, f"stack service {service.name} is not declared"
        assert service.url(ctx) == settings.endpoints.url(service.name)


def test_stack_prometheus_scrapes_declared_services() -> None:
    config = yaml.safe_load((REPO / "dev" / "stack" / "prometheus.yml").read_text())
    jobs = {job["job_name"] for job in config["scrape_configs"]}
    assert jobs <= set(ENDPOINTS), jobs

"""The pods target changes nothing in a rendered workload but how host names resolve."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from dp_cli.pods.manifests import (
    HOSTS_VOLUME,
    as_pod,
    container_names,
    hosts_file,
    plan,
    probe_url,
    with_openbao_token,
    with_token_auth,
)
from dp_cli.pods.runner import JobResult

pytestmark = pytest.mark.cli
HOSTS = "/state/pods/hosts"


def workload(kind: str, name: str, image: str) -> dict[str, Any]:
    template = {
        "metadata": {"labels": {"app.kubernetes.io/name": name}},
        "spec": {
            "securityContext": {"runAsNonRoot": True, "runAsUser": 10001},
            "containers": [
                {
                    "name": name,
                    "image": image,
                    "args": ["api"],
                    "ports": [{"name": "http", "containerPort": 18000}],
                    "readinessProbe": {"httpGet": {"path": "/readyz", "port": "http"}},
                    "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
                }
            ],
            "volumes": [{"name": "tmp", "emptyDir": {}}],
        },
    }
    spec = {"template": template}
    if kind == "CronJob":
        spec = {"schedule": "0 2 * * *", "jobTemplate": {"spec": spec}}
    return {"kind": kind, "metadata": {"name": name}, "spec": spec}


OURS = "localhost:5005/data-platform/api@sha256:" + "1" * 64


def test_own_deployments_and_jobs_become_pods_everything_else_is_skipped_with_a_reason() -> None:
    objects = [
        workload("Deployment", "api", OURS),
        workload("Job", "training", OURS),
        workload("CronJob", "pipeline-daily", OURS),
        workload("StatefulSet", "postgres", "postgres:17.6-bookworm"),
        workload("Deployment", "airflow-scheduler", OURS.replace("/api@", "/airflow@")),
        {"kind": "ConfigMap", "metadata": {"name": "platform-settings"}, "data": {"DP_X": "1"}},
        {"kind": "Secret", "metadata": {"name": "platform-credentials-x"}, "data": {"k": "dg=="}},
        {"kind": "Service", "metadata": {"name": "api"}, "spec": {}},
    ]
    planned = plan(objects, HOSTS)
    assert set(planned.services) == {"api"}
    assert set(planned.jobs) == {"training"}
    assert set(planned.skipped) == {"pipeline-daily", "postgres", "airflow-scheduler"}
    assert "controller" in planned.skipped["pipeline-daily"]
    assert "Kubernetes API" in planned.skipped["airflow-scheduler"]
    assert planned.secrets == {"platform-credentials-x": {"k": "dg=="}}
    assert [c["metadata"]["name"] for c in planned.config_maps] == ["platform-settings"]


def test_a_pod_is_its_template_plus_the_hosts_file_only() -> None:
    deployment = workload("Deployment", "api", OURS)
    original = copy.deepcopy(deployment["spec"]["template"])
    pod = as_pod("api", deployment["spec"]["template"], "Always", HOSTS)
    assert deployment["spec"]["template"] == original  # the rendered object is untouched
    spec = pod["spec"]
    hosts_volume = spec["volumes"].pop()
    mount = spec["containers"][0]["volumeMounts"].pop()
    assert hosts_volume == {"name": HOSTS_VOLUME, "hostPath": {"path": HOSTS, "type": "File"}}
    assert mount == {"name": HOSTS_VOLUME, "mountPath": "/etc/hosts", "readOnly": True}
    assert spec.pop("restartPolicy") == "Always"
    # On the host network the container listens on the host's port: the named port becomes the
    # number in the probe, the declaration goes (podman refuses port mappings there).
    expected = copy.deepcopy(original["spec"])
    del expected["containers"][0]["ports"]
    expected["containers"][0]["readinessProbe"]["httpGet"]["port"] = 18000
    assert spec == expected
    assert pod["metadata"] == {"name": "api", "labels": original["metadata"]["labels"]}
    assert container_names(pod) == ["api-api"]


def test_readiness_is_the_probe_of_the_manifest_on_loopback() -> None:
    pod = as_pod("api", workload("Deployment", "api", OURS)["spec"]["template"], "Always", HOSTS)
    assert probe_url(pod) == "http://127.0.0.1:18000/readyz"
    del pod["spec"]["containers"][0]["readinessProbe"]
    assert probe_url(pod) is None
    assert probe_url(pod, "livenessProbe") is None


def test_hosts_resolve_every_service_to_loopback() -> None:
    text = hosts_file(["seaweedfs", "kafka"])
    assert text.splitlines() == ["127.0.0.1 localhost", "127.0.0.1 kafka", "127.0.0.1 seaweedfs"]


def test_a_jobs_step_summaries_are_read_from_its_log() -> None:
    logs = 'WARNING noise {not json\n{\n  "rows": 3,\n  "nested": {"a": 1}\n}\nmore\n{"files": 2}\n'
    assert JobResult("pipeline-generate", 0, 1.0, logs).summaries() == [
        {"rows": 3, "nested": {"a": 1}},
        {"files": 2},
    ]


def test_a_pod_with_an_openbao_role_logs_in_with_that_roles_token_only() -> None:
    pod = as_pod("api", workload("Deployment", "api", OURS)["spec"]["template"], "Always", HOSTS)
    pod["spec"]["containers"][0]["env"] = [
        {"name": "DP_SECRETS__KUBERNETES_ROLE", "value": "api"},
        {"name": "OMP_NUM_THREADS", "value": "1"},
    ]
    asked: list[str] = []

    def token_for(role: str) -> str:
        asked.append(role)
        return f"token-of-{role}"

    played = with_openbao_token(pod, token_for)
    env = {e["name"]: e["value"] for e in played["spec"]["containers"][0]["env"]}
    assert asked == ["api"]
    assert env["BAO_TOKEN"] == "token-of-api"  # pragma: allowlist secret
    assert env["OMP_NUM_THREADS"] == "1"
    assert "BAO_TOKEN" not in str(pod)  # the rendered pod itself is left as it was


def test_a_pod_without_a_role_gets_no_token() -> None:
    pod = as_pod(
        "serving", workload("Deployment", "serving", OURS)["spec"]["template"], "Always", HOSTS
    )
    played = with_openbao_token(pod, lambda role: pytest.fail(f"asked a token for {role}"))
    assert played == pod


def test_the_settings_log_in_to_openbao_by_token_on_podman() -> None:
    auth = "DP_SECRETS__AUTH"  # pragma: allowlist secret
    settings = {"kind": "ConfigMap", "metadata": {"name": "platform-settings"}}
    settings["data"] = {auth: "kubernetes", "DP_TARGET": "kind"}
    patched = with_token_auth([settings])
    assert patched[0]["data"] == {auth: "token", "DP_TARGET": "kind"}
    assert settings["data"][auth] == "kubernetes"  # the rendered one untouched

"""From the rendered kind overlay to what `podman kube play` runs, changing name resolution and
the OpenBao identity only.

Podman 4.3 plays Pods and Deployments (not Jobs, CronJobs or Secrets) and, on the host network,
ignores `hostAliases` and refuses port mappings. So a workload's pod template becomes a Pod as it
is, plus one read-only `/etc/hosts` that resolves the platform's Service names to 127.0.0.1
(where the stack's processes and the other pods listen), with its containers' `ports` resolved
into the probes that name them; Secrets become podman secrets (a JSON map of base64 values, the
format podman's `secretKeyRef` reads). Podman mounts no service-account token, so a pod whose
OpenBao role is set (`DP_SECRETS__KUBERNETES_ROLE`) gets what Kubernetes auth would give it: a
token with that role's policy only (`with_openbao_token`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

OWN_IMAGES = "/data-platform/"
# Airflow starts its tasks as pods through the Kubernetes API, which this target does not have;
# the stack target runs Airflow (as processes, its tasks as commands).
ORCHESTRATOR_IMAGE = "/data-platform/airflow"
HOSTS_VOLUME = "pods-etc-hosts"


@dataclass
class Plan:
    """What the pods target runs from one rendered overlay, and what it leaves to others."""

    services: dict[str, dict[str, Any]] = field(default_factory=dict)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    config_maps: list[dict[str, Any]] = field(default_factory=list)
    secrets: dict[str, dict[str, str]] = field(default_factory=dict)


def pod_template(obj: dict[str, Any]) -> dict[str, Any]:
    spec = obj.get("spec", {})
    template: dict[str, Any] = spec.get("jobTemplate", {}).get("spec", spec).get("template", {})
    return template


def containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return list(pod_template(obj).get("spec", {}).get("containers", []))


def is_own(obj: dict[str, Any]) -> bool:
    """Every container runs an image this repository builds."""
    images = [c["image"] for c in containers(obj)]
    return bool(images) and all(OWN_IMAGES in image for image in images)


def plan(objects: list[dict[str, Any]], hosts_path: str) -> Plan:
    result = Plan()
    for obj in objects:
        kind, name = obj["kind"], obj["metadata"]["name"]
        if kind == "ConfigMap":
            result.config_maps.append(obj)
        elif kind == "Secret":
            result.secrets[name] = dict(obj.get("data", {}))
        elif not containers(obj):
            continue
        elif not is_own(obj):
            result.skipped[name] = "infrastructure: the stack runs it as a local process"
        elif any(ORCHESTRATOR_IMAGE in c["image"] for c in containers(obj)):
            result.skipped[name] = "Airflow needs the Kubernetes API to start its tasks' pods"
        elif kind == "Deployment":
            result.services[name] = as_pod(name, pod_template(obj), "Always", hosts_path)
        elif kind == "Job":
            result.jobs[name] = as_pod(name, pod_template(obj), "Never", hosts_path)
        else:
            result.skipped[name] = f"a {kind} needs the Kubernetes controller; its Job runs instead"
    return result


def as_pod(name: str, template: dict[str, Any], restart: str, hosts_path: str) -> dict[str, Any]:
    """The pod template as a Pod on the host network: plus the hosts file; and, since podman
    maps no ports on the host network (the containers listen on the host's ports directly), its
    `ports` declarations become the numbers their probes name. Nothing else changes."""
    spec = copy.deepcopy(template.get("spec", {}))
    spec["restartPolicy"] = restart
    spec.setdefault("volumes", []).append(
        {"name": HOSTS_VOLUME, "hostPath": {"path": hosts_path, "type": "File"}}
    )
    for container in spec["containers"]:
        container.setdefault("volumeMounts", []).append(
            {"name": HOSTS_VOLUME, "mountPath": "/etc/hosts", "readOnly": True}
        )
        named = {p["name"]: p["containerPort"] for p in container.pop("ports", []) if "name" in p}
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            action = container.get(probe, {}).get("httpGet")
            if action and isinstance(action.get("port"), str):
                action["port"] = named[action["port"]]
    labels = template.get("metadata", {}).get("labels", {})
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels},
        "spec": spec,
    }


ROLE_VARIABLE = "DP_SECRETS__KUBERNETES_ROLE"


def with_openbao_token(pod: dict[str, Any], token_for: Callable[[str], str]) -> dict[str, Any]:
    """The pod with each container that names an OpenBao role logging in by token instead:
    `token_for(role)` (a token with that role's policy), as Kubernetes auth would issue it."""
    pod = copy.deepcopy(pod)
    for container in pod["spec"]["containers"]:
        env = container.get("env", [])
        role = next((e.get("value") for e in env if e["name"] == ROLE_VARIABLE), None)
        if role is None:
            continue
        env[:] = [e for e in env if e["name"] != "BAO_TOKEN"]
        env.append({"name": "BAO_TOKEN", "value": token_for(role)})
    return pod


def with_token_auth(config_maps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The settings ConfigMap with OpenBao login by token (the pods' `BAO_TOKEN`), since podman
    has no service-account tokens; set here, not per container, because podman 4.3 lets a
    container's `envFrom` override its `env` (Kubernetes does the opposite)."""
    patched = copy.deepcopy(config_maps)
    for config_map in patched:
        data = config_map.get("data", {})
        if data.get("DP_SECRETS__AUTH") == "kubernetes":
            data["DP_SECRETS__AUTH"] = "token"  # pragma: allowlist secret
    return patched


def hosts_file(names: list[str]) -> str:
    """/etc/hosts for the pods: every platform Service name on the loopback interface."""
    return "127.0.0.1 localhost\n" + "".join(f"127.0.0.1 {name}\n" for name in sorted(names))


def probe_url(pod: dict[str, Any], probe: str = "readinessProbe") -> str | None:
    """The first container's HTTP probe as a URL on 127.0.0.1, as the kubelet calls it."""
    action = pod["spec"]["containers"][0].get(probe, {}).get("httpGet")
    if action is None:
        return None
    return f"http://127.0.0.1:{action['port']}{action.get('path', '/')}"


def container_names(pod: dict[str, Any]) -> list[str]:
    """The names podman gives a played pod's containers."""
    return [f"{pod['metadata']['name']}-{c['name']}" for c in pod["spec"]["containers"]]

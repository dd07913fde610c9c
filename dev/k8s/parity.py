"""kind ↔ oci parity: the same workloads, containers, ports, env var names and volumes.

What an overlay may change is listed in ALLOWED; any other difference is reported.
"""

from __future__ import annotations

import re
from typing import Any

WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"}
ALLOWED = (
    "replicas",
    "resources",
    "images",
    "storage class",
    "node selection",
    "service type",
    "OpenBao's TLS",
)
# OpenBao serves TLS on oci only (kind runs its in-memory dev server): the certificate's volume,
# the CLI's address and CA and the certificate's reloader in its pod, the CA's public half in its
# clients' (apps/openbao/tls.yaml).
OCI_TLS_VOLUMES = {"tls", "openbao-ca"}
OCI_TLS_ENV = {"BAO_ADDR", "BAO_CACERT"}
OCI_TLS_CONTAINERS = {"tls-reloader"}
# The batch steps as Jobs and CronJobs exist on kind only (Tilt's manual resources, the pods
# target); on oci Airflow starts the same steps as pods, so ArgoCD never syncs or re-runs them.
KIND_ONLY_KINDS = {"Job", "CronJob"}
# What a cloud service replaces on oci: the lake is in Object Storage (infra/tofu, ADR 0019).
MANAGED_ON_OCI = {"StatefulSet/seaweedfs"}


GENERATED_SUFFIX = re.compile(r"-[bcdfghkmt2-9]{10}$")  # kustomize's content hash alphabet


def unhashed(name: str) -> str:
    """A generated ConfigMap's or Secret's name without kustomize's content hash: an overlay
    that generates it (kind) and one that creates it by hand (oci) name the same object."""
    return GENERATED_SUFFIX.sub("", name)


def shape(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per workload: its containers' names, ports, env var names and the pod's volume names."""
    shapes = {}
    for obj in objects:
        if obj.get("kind") not in WORKLOAD_KINDS:
            continue
        spec = obj["spec"]
        pod = spec.get("jobTemplate", {}).get("spec", spec)["template"]["spec"]
        containers = {}
        for c in pod.get("initContainers", []) + pod["containers"]:
            containers[c["name"]] = {
                "ports": sorted(
                    (p["containerPort"], p.get("protocol", "TCP")) for p in c.get("ports", [])
                ),
                "env": sorted(e["name"] for e in c.get("env", [])),
                "env_from": sorted(
                    (k, unhashed(v.get("name", "")))
                    for f in c.get("envFrom", [])
                    for k, v in f.items()
                ),
            }
        shapes[f"{obj['kind']}/{obj['metadata']['name']}"] = {
            "containers": containers,
            "volumes": sorted(v["name"] for v in pod.get("volumes", []))
            + sorted(t["metadata"]["name"] for t in spec.get("volumeClaimTemplates", [])),
        }
    return shapes


def differences(kind: list[dict[str, Any]], oci: list[dict[str, Any]]) -> list[str]:
    """Every difference between the overlays' workloads (none of ALLOWED is compared)."""
    left, right = shape(kind), shape(oci)
    found = [
        f"{w}: only in kind"
        for w in sorted(set(left) - set(right))
        if w.split("/")[0] not in KIND_ONLY_KINDS and w not in MANAGED_ON_OCI
    ]
    found += [f"{w}: only in oci" for w in sorted(set(right) - set(left))]
    for workload in sorted(set(left) & set(right)):
        a, b = left[workload], _without_tls(right[workload], left[workload])
        if a["volumes"] != b["volumes"]:
            found.append(f"{workload}: volumes {a['volumes']} ≠ {b['volumes']}")
        if set(a["containers"]) != set(b["containers"]):
            found.append(
                f"{workload}: containers {sorted(a['containers'])} ≠ {sorted(b['containers'])}"
            )
            continue
        for name, container in a["containers"].items():
            for key, value in container.items():
                if value != b["containers"][name][key]:
                    found.append(f"{workload}/{name}: {key} {value} ≠ {b['containers'][name][key]}")
    return found


def _without_tls(oci: dict[str, Any], kind: dict[str, Any]) -> dict[str, Any]:
    """An oci workload's shape without what OpenBao's TLS adds to it (kind lacks it)."""
    volumes = [v for v in oci["volumes"] if v not in OCI_TLS_VOLUMES or v in kind["volumes"]]
    containers = {}
    for name, container in oci["containers"].items():
        if name in OCI_TLS_CONTAINERS and name not in kind["containers"]:
            continue
        known = kind["containers"].get(name, {}).get("env", [])
        env = [e for e in container["env"] if e not in OCI_TLS_ENV or e in known]
        containers[name] = {**container, "env": env}
    return {"volumes": volumes, "containers": containers}

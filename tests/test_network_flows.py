"""The network policies each overlay renders allow exactly the platform's declared flows.

From the rendered objects alone: every workload's pod template (labels, container ports) and every
NetworkPolicy, evaluated with `tests/netpol.py`. The allowed edges (workload → workload:port)
must equal `k8s/components/network-policies/flows.yaml`; nothing may reach an address outside the
cluster but the API server. The kind overlay is also rendered with KServe in place of the serving
Deployment: its predictor pods carry the labels KServe gives them.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.netpol import Endpoint, allowed

REPO = Path(__file__).parents[1]
NAMESPACE = "data-platform"
NAME = "app.kubernetes.io/name"
WORKLOADS = ("Deployment", "StatefulSet", "Job", "CronJob")
# Outside the namespace: the cluster DNS, the ingress controller, the API server and the internet.
KUBE_DNS = Endpoint(
    "kube-dns",
    "kube-system",
    {"k8s-app": "kube-dns"},
    {"kubernetes.io/metadata.name": "kube-system"},
    {"dns": 53},
)
INGRESS = Endpoint(
    "ingress-nginx",
    "ingress-nginx",
    {NAME: "ingress-nginx"},
    {"kubernetes.io/metadata.name": "ingress-nginx"},
)
# Jenkins' controller (argocd/delivery, its own namespace) reads its secrets from OpenBao.
JENKINS = Endpoint(
    "jenkins-controller",
    "jenkins",
    {"app.kubernetes.io/component": "jenkins-controller"},
    {"kubernetes.io/metadata.name": "jenkins"},
)
# Addresses outside the pod network, per cluster: the API server (kind's control-plane node;
# OKE's endpoint subnet) and a node's kubelet (a kind worker; OKE's node subnet).
API_SERVER = {"kind": "172.18.0.2", "oci": "10.0.0.2"}
KUBELET = {"kind": "172.18.0.3", "oci": "10.0.2.10"}
INTERNET = Endpoint("internet", ip="203.0.113.10")
OUTSIDE = {"kube-dns", "kube-apiserver", "kubelet"}
# The only workloads that reach outside the cluster, and where: the DAGs repository (HTTPS), and
# on oci the lake's clients, Object Storage (HTTPS): those that reach SeaweedFS on kind.
DAGS_REPOSITORY_CLIENTS = {"airflow-dag-processor", "airflow-scheduler"}
LAKE_CLIENTS = set(
    yaml.safe_load((REPO / "k8s/components/network-policies/flows.yaml").read_text())["flows"][
        "seaweedfs:18333"
    ]
)
INTERNET_CLIENTS = {"kind": DAGS_REPOSITORY_CLIENTS, "oci": DAGS_REPOSITORY_CLIENTS | LAKE_CLIENTS}


def render(*paths: Path, components: tuple[Path, ...] = ()) -> list[dict[str, Any]]:
    subprocess.run(["bash", "dev/cluster/secrets.sh"], cwd=REPO, check=True, capture_output=True)
    if components:  # an overlay plus components, as a user would compose them
        root = REPO / ".cache" / "netpol-render"
        root.mkdir(parents=True, exist_ok=True)
        (root / "kustomization.yaml").write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "kustomize.config.k8s.io/v1beta1",
                    "kind": "Kustomization",
                    "namespace": NAMESPACE,
                    "resources": [os.path.relpath(p, root) for p in paths],
                    "components": [os.path.relpath(c, root) for c in components],
                }
            )
        )
        paths = (root,)
    docs: list[dict[str, Any]] = []
    for path in paths:
        out = subprocess.run(
            ["kubectl", "kustomize", "--load-restrictor", "LoadRestrictionsNone", str(path)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        docs += [d for d in yaml.safe_load_all(out) if d]
    return docs


SPARK_DRIVER_PORTS = {"spark-driver": 7078, "spark-blockmanager": 7079}


def pods(docs: list[dict[str, Any]]) -> list[Endpoint]:
    """One endpoint per workload, from its pod template (KServe's predictor as KServe makes it,
    Spark's executors from their template, with the ports Spark gives executors and drivers)."""
    found = []
    for doc in docs:
        kind, meta = doc["kind"], doc["metadata"]
        if kind == "ConfigMap" and meta["name"].startswith("spark-executor-template"):
            template = yaml.safe_load(doc["data"]["executor.yaml"])
            labels = template["metadata"]["labels"]
            found.append(
                Endpoint(
                    labels[NAME],
                    meta.get("namespace", ""),
                    labels,
                    {"kubernetes.io/metadata.name": meta.get("namespace", "")},
                    {"spark-blockmanager": 7079},
                )
            )
            continue
        if kind in WORKLOADS:
            spec = doc["spec"]["jobTemplate"]["spec"] if kind == "CronJob" else doc["spec"]
            template = spec["template"]
            labels, containers = (
                template["metadata"].get("labels", {}),
                template["spec"]["containers"],
            )
        elif kind == "InferenceService":
            predictor = doc["spec"]["predictor"]
            labels = {
                **predictor.get("labels", {}),
                "serving.kserve.io/inferenceservice": meta["name"],
                "component": "predictor",
                "app": f"isvc.{meta['name']}-predictor",
            }
            containers = predictor["containers"]
        else:
            continue
        ports = {
            p.get("name", str(p["containerPort"])): p["containerPort"]
            for c in containers
            for p in c.get("ports", [])
        }
        env = {e["name"]: e.get("value", "") for c in containers for e in c.get("env", [])}
        if env.get("DP_SPARK__MASTER", "").startswith("k8s://"):
            ports |= SPARK_DRIVER_PORTS
        found.append(
            Endpoint(
                labels.get(NAME, meta["name"]),
                meta.get("namespace", ""),
                labels,
                {"kubernetes.io/metadata.name": meta.get("namespace", "")},
                ports,
            )
        )
    return found


def allowed_edges(docs: list[dict[str, Any]], cluster: str) -> set[tuple[str, str, int]]:
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
    platform = pods(docs)
    api_server = Endpoint("kube-apiserver", ip=API_SERVER[cluster], ports={"https": 6443})
    kubelet = Endpoint("kubelet", ip=KUBELET[cluster], ports={"kubelet": 10250})
    edges = set()
    pairs = [(s, d) for s in platform for d in [*platform, KUBE_DNS, api_server, kubelet]]
    # Their own egress is not the platform's to decide.
    pairs += [(outside, d) for outside in (INGRESS, JENKINS) for d in platform]
    for source, destination in pairs:
        for port in set(destination.ports.values()):
            protocols = ("TCP", "UDP") if destination is KUBE_DNS else ("TCP",)
            if any(allowed(policies, source, destination, port, p) for p in protocols):
                edges.add((source.name, destination.name, port))
    return edges


def declared(
    docs: list[dict[str, Any]], components: tuple[str, ...] = ()
) -> set[tuple[str, str, int]]:
    names = {p.name for p in pods(docs)}
    edges = set()
    for component in ("network-policies", *components):
        edges |= _flows(REPO / "k8s/components" / component / "flows.yaml", names)
    return edges


def _flows(path: Path, names: set[str]) -> set[tuple[str, str, int]]:
    """The declared edges whose both ends this render has (the batch steps are Jobs on kind
    only; on oci Airflow starts them as pods, which no manifest renders)."""
    flows = yaml.safe_load(path.read_text())
    sources_here, destinations_here = names | {INGRESS.name, JENKINS.name}, names | OUTSIDE
    edges = set()
    for destination, sources in flows["flows"].items():
        name, port = destination.rsplit(":", 1)
        for source in sources:
            for who in sorted(names) if source == "*" else [source]:
                if who in sources_here and name in destinations_here:
                    edges.add((who, name, int(port)))
    return edges


OVERLAYS = {
    "kind": lambda: render(REPO / "k8s/overlays/kind"),
    "kind+kserve": lambda: render(
        REPO / "k8s/overlays/kind", components=(REPO / "k8s/components/kserve",)
    ),
    "kind+spark-executors": lambda: render(
        REPO / "k8s/overlays/kind", components=(REPO / "k8s/components/spark-executors",)
    ),
    "kind+logging": lambda: render(
        REPO / "k8s/overlays/kind", components=(REPO / "k8s/components/logging",)
    ),
    "oci": lambda: render(REPO / "k8s/overlays/oci"),
}
EXTRA_FLOWS = {"kind+spark-executors": ("spark-executors",), "kind+logging": ("logging",)}


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_policies_allow_exactly_the_declared_flows(overlay: str) -> None:
    docs = OVERLAYS[overlay]()
    assert any(d["kind"] == "NetworkPolicy" for d in docs), f"{overlay} renders no NetworkPolicy"
    allowed_now = allowed_edges(docs, overlay.split("+")[0])
    wanted = declared(docs, EXTRA_FLOWS.get(overlay, ()))
    assert sorted(wanted - allowed_now) == [], "needed flows the policies deny"
    assert sorted(allowed_now - wanted) == [], "flows the policies allow that nobody declared"


@pytest.mark.parametrize("overlay", ["kind", "oci"])
def test_only_the_dags_repository_and_the_lake_on_oci_are_reached_outside(overlay: str) -> None:
    docs = OVERLAYS[overlay]()
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
    for pod in pods(docs):
        for port in (80, 443, 6443):
            reaches = allowed(policies, pod, INTERNET, port)
            expected = port == 443 and pod.name in INTERNET_CLIENTS[overlay]
            assert reaches == expected, f"{pod.name} → internet:{port}"
        assert not allowed(policies, INTERNET, pod, next(iter(pod.ports.values()), 80))


def test_the_check_fails_without_the_policies() -> None:
    """Remove the component's policies and the same comparison finds the gap."""
    docs = [d for d in OVERLAYS["kind"]() if d["kind"] != "NetworkPolicy"]
    assert allowed_edges(docs, "kind") - declared(docs)

"""ArgoCD least privilege: each project allows exactly what its Applications deploy, no more."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).parents[1]
IN_CLUSTER = "https://kubernetes.default.svc"
CLUSTER_SCOPED = {("", "Namespace"), ("rbac.authorization.k8s.io", "ClusterRole"),
                  ("rbac.authorization.k8s.io", "ClusterRoleBinding")}  # fmt: skip


def render(path: str) -> list[dict[str, Any]]:
    out = subprocess.run(
        ["kubectl", "kustomize", str(REPO / path)], check=True, capture_output=True, text=True
    ).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def projects() -> dict[str, dict[str, Any]]:
    return {p["metadata"]["name"]: p["spec"] for p in render("argocd") if p["kind"] == "AppProject"}


def kinds(docs: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(d["apiVersion"].rpartition("/")[0], d["kind"]) for d in docs}


def whitelist(entries: list[dict[str, str]]) -> set[tuple[str, str]]:
    return {(e["group"], e["kind"]) for e in entries}


def test_the_platform_project_allows_exactly_what_the_oci_applications_render() -> None:
    spec = projects()["data-platform"]
    assert spec["destinations"] == [{"server": IN_CLUSTER, "namespace": "data-platform"}]
    rendered = kinds(render("k8s/overlays/oci"))
    assert whitelist(spec["clusterResourceWhitelist"]) == rendered & CLUSTER_SCOPED
    assert whitelist(spec["namespaceResourceWhitelist"]) == rendered - CLUSTER_SCOPED


def test_the_root_application_may_only_create_applications_in_argocd() -> None:
    spec = projects()["data-platform-root"]
    assert spec["destinations"] == [{"server": IN_CLUSTER, "namespace": "argocd"}]
    assert spec["clusterResourceWhitelist"] == []
    assert whitelist(spec["namespaceResourceWhitelist"]) == {("argoproj.io", "Application")}
    root = next(d for d in render("argocd") if d["kind"] == "Application")
    assert root["spec"]["project"] == "data-platform-root"


def test_every_child_application_is_in_the_platform_project_and_namespace() -> None:
    """ArgoCD lets an Application name any project; the app of apps must not use that."""
    children = [d for d in render("argocd/apps") if d["kind"] == "Application"]
    assert children
    assert {d["kind"] for d in render("argocd/apps")} == {"Application"}
    for child in children:
        assert child["spec"]["project"] == "data-platform", child["metadata"]["name"]
        assert child["spec"]["destination"] == {"server": IN_CLUSTER, "namespace": "data-platform"}

"""The platform's public entry: TLS only, certificates from cert-manager, the API's public paths
only — judged on the rendered objects of kind (+ the ingress component) and oci."""

from __future__ import annotations

from typing import Any

import pytest

from tests.test_network_flows import REPO, render

EDGES = {
    "kind+ingress": lambda: render(
        REPO / "k8s/overlays/kind", components=(REPO / "k8s/components/ingress",)
    ),
    "oci": lambda: render(REPO / "k8s/overlays/oci"),
}
PUBLIC_API_PATHS = {"/v1", "/healthz", "/docs", "/openapi.json"}


def _one(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    return next(d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name)


@pytest.mark.parametrize("edge", sorted(EDGES))
def test_every_host_is_served_over_tls_only_with_a_certificate_from_an_issuer_that_exists(
    edge: str,
) -> None:
    docs = EDGES[edge]()
    ingress = _one(docs, "Ingress", "data-platform")
    hosts = {rule["host"] for rule in ingress["spec"]["rules"]}
    covered = {h for tls in ingress["spec"]["tls"] for h in tls["hosts"]}
    assert hosts <= covered
    annotations = ingress["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/force-ssl-redirect"] == "true"
    assert _one(docs, "Issuer", annotations["cert-manager.io/issuer"])


@pytest.mark.parametrize("edge", sorted(EDGES))
def test_only_the_apis_public_paths_are_routed(edge: str) -> None:
    ingress = _one(EDGES[edge](), "Ingress", "data-platform")
    api = [
        path["path"]
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
        if path["backend"]["service"]["name"] == "api"
    ]
    assert set(api) == PUBLIC_API_PATHS  # never /metrics


def test_oci_certificates_come_from_lets_encrypt_and_no_service_is_a_load_balancer() -> None:
    """The one public load balancer is the ingress controller's (argocd/edge): a Service of the
    platform's own of type LoadBalancer would bypass TLS and the Ingress's path rules."""
    docs = EDGES["oci"]()
    issuer = _one(docs, "Issuer", "edge")["spec"]
    assert issuer["acme"]["server"] == "https://acme-v02.api.letsencrypt.org/directory"
    assert "selfSigned" not in issuer
    assert [
        d["metadata"]["name"]
        for d in docs
        if d["kind"] == "Service" and d["spec"].get("type") == "LoadBalancer"
    ] == []
    assert not any(
        rule["host"].endswith("localtest.me")
        for rule in _one(docs, "Ingress", "data-platform")["spec"]["rules"]
    )

"""The NetworkPolicy evaluator against the cases the Kubernetes documentation spells out."""

from __future__ import annotations

from typing import Any

import pytest

from tests.netpol import Endpoint, allowed, selects

NS = "app"
WEB = Endpoint("web", NS, {"role": "web"}, {"kubernetes.io/metadata.name": NS}, {"http": 8080})
DB = Endpoint("db", NS, {"role": "db"}, {"kubernetes.io/metadata.name": NS}, {"pg": 5432})
OTHER_NS = Endpoint("x", "other", {"role": "web"}, {"kubernetes.io/metadata.name": "other"})
INTERNET = Endpoint("internet", ip="203.0.113.9")


def policy(spec: dict[str, Any], namespace: str = NS) -> dict[str, Any]:
    return {
        "kind": "NetworkPolicy",
        "metadata": {"name": "p", "namespace": namespace},
        "spec": spec,
    }


DENY_ALL = policy({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})


def test_no_policy_allows_everything() -> None:
    assert allowed([], WEB, DB, 5432)
    assert allowed([], OTHER_NS, DB, 1)


def test_default_deny_denies_both_ways() -> None:
    assert not allowed([DENY_ALL], WEB, DB, 5432)
    assert not allowed([DENY_ALL], OTHER_NS, DB, 5432)  # DB isolated for ingress
    assert not allowed([DENY_ALL], DB, INTERNET, 443)  # DB isolated for egress


def test_both_sides_must_allow() -> None:
    ingress = policy(
        {
            "podSelector": {"matchLabels": {"role": "db"}},
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"role": "web"}}}],
                         "ports": [{"port": 5432}]}],
        }
    )  # fmt: skip
    egress = policy(
        {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": [{"podSelector": {}}]}]}
    )
    assert not allowed([DENY_ALL, ingress], WEB, DB, 5432)  # web's egress still denied
    assert allowed([DENY_ALL, ingress, egress], WEB, DB, 5432)
    assert not allowed([DENY_ALL, ingress, egress], WEB, DB, 5433)  # other port
    assert not allowed([DENY_ALL, ingress, egress], DB, WEB, 8080)  # other direction


def test_pod_selector_alone_means_the_policys_namespace() -> None:
    ingress = policy(
        {
            "podSelector": {},
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"role": "web"}}}]}],
        }
    )
    assert allowed([ingress], WEB, DB, 5432)
    assert not allowed([ingress], OTHER_NS, DB, 5432)  # same labels, other namespace


def test_namespace_and_pod_selector_in_one_peer_are_and() -> None:
    peer = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "other"}},
        "podSelector": {"matchLabels": {"role": "web"}},
    }
    ingress = policy({"podSelector": {}, "ingress": [{"from": [peer]}]})
    assert allowed([ingress], OTHER_NS, DB, 5432)
    assert not allowed([ingress], WEB, DB, 5432)


def test_named_ports_endport_and_protocol() -> None:
    ingress = policy(
        {
            "podSelector": {},
            "ingress": [{"ports": [{"port": "pg"}, {"port": 9000, "endPort": 9002},
                                   {"protocol": "UDP", "port": 53}]}],
        }
    )  # fmt: skip
    assert allowed([ingress], WEB, DB, 5432)
    assert allowed([ingress], WEB, DB, 9002)
    assert not allowed([ingress], WEB, DB, 9003)
    assert allowed([ingress], WEB, DB, 53, "UDP")
    assert not allowed([ingress], WEB, DB, 53, "TCP")


def test_ip_blocks_match_addresses_not_pods() -> None:
    egress = policy(
        {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [
                {"to": [{"ipBlock": {"cidr": "203.0.113.0/24", "except": ["203.0.113.128/25"]}}]}
            ],
        }
    )  # fmt: skip
    assert allowed([egress], WEB, INTERNET, 443)
    assert not allowed([egress], WEB, Endpoint("far", ip="203.0.113.200"), 443)
    assert not allowed([egress], WEB, DB, 5432)


def test_policy_types_default() -> None:
    only_egress_rules = policy({"podSelector": {}, "egress": [{"to": [{"podSelector": {}}]}]})
    # No policyTypes: Ingress always, Egress because there are egress rules; no ingress rules.
    assert not allowed([only_egress_rules], WEB, DB, 5432)


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ({}, {"a": "1"}, True),
        (
            {"matchExpressions": [{"key": "a", "operator": "In", "values": ["1", "2"]}]},
            {"a": "2"},
            True,
        ),
        ({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}, {}, True),
        ({"matchExpressions": [{"key": "a", "operator": "Exists"}]}, {}, False),
        ({"matchExpressions": [{"key": "a", "operator": "DoesNotExist"}]}, {"a": "1"}, False),
        ({"matchLabels": {"a": "1"}}, {"a": "1", "b": "2"}, True),
    ],
)
def test_label_selectors(selector: dict[str, Any], labels: dict[str, str], expected: bool) -> None:
    assert selects(selector, labels) is expected

"""A small NetworkPolicy evaluator: is a connection from one pod (or address) to another allowed?

Kubernetes' semantics (networking.k8s.io/v1), as the API reference states them:
- a pod is isolated for ingress (egress) when any policy in its namespace selects it and has
  `Ingress` (`Egress`) in its policy types; when `policyTypes` is absent, `Ingress` always and
  `Egress` when the policy has egress rules;
- a connection is allowed when the source's egress and the destination's ingress both allow it:
  not isolated, or one rule of one selecting policy matches the peer and the port;
- a rule without `from`/`to` matches every peer, without `ports` every port; a peer with
  `podSelector` alone means pods of the policy's namespace, with `namespaceSelector` alone every
  pod of matching namespaces, with both the matching pods of matching namespaces; `ipBlock`
  matches addresses outside the cluster (how a CNI treats pod IPs in an ipBlock varies; here
  they never match, the stricter reading);
- a port is a number or a name of the destination container's port, with protocol (TCP by
  default) and an optional `endPort`.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

Labels = dict[str, str]


@dataclass(frozen=True)
class Endpoint:
    """A pod (name, namespace, labels, named ports) or an address outside the cluster (ip)."""

    name: str
    namespace: str = ""
    labels: Labels = field(default_factory=dict)
    namespace_labels: Labels = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)  # container port name → number
    ip: str | None = None


def selects(selector: dict[str, Any] | None, labels: Labels) -> bool:
    """A label selector (matchLabels and matchExpressions) against labels; {} matches all."""
    if selector is None:
        return False
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values")
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def _types(policy: dict[str, Any]) -> set[str]:
    spec = policy["spec"]
    if "policyTypes" in spec:
        return set(spec["policyTypes"])
    return {"Ingress"} | ({"Egress"} if spec.get("egress") else set())


def _peer_matches(peer: dict[str, Any], policy_namespace: str, other: Endpoint) -> bool:
    if "ipBlock" in peer:
        if other.ip is None:
            return False
        address = ipaddress.ip_address(other.ip)
        block = peer["ipBlock"]
        inside = address in ipaddress.ip_network(block["cidr"])
        return inside and not any(
            address in ipaddress.ip_network(e) for e in block.get("except", [])
        )
    if other.ip is not None:
        return False
    pods, namespaces = peer.get("podSelector"), peer.get("namespaceSelector")
    if namespaces is None and other.namespace != policy_namespace:
        return False
    if namespaces is not None and not selects(namespaces, other.namespace_labels):
        return False
    return pods is None or selects(pods, other.labels)


def _port_matches(
    rule_ports: list[dict[str, Any]] | None, port: int, protocol: str, pod: Endpoint
) -> bool:
    if not rule_ports:
        return True
    for entry in rule_ports:
        if entry.get("protocol", "TCP") != protocol:
            continue
        wanted = entry.get("port")
        if wanted is None:
            return True
        number = pod.ports.get(wanted) if isinstance(wanted, str) else int(wanted)
        if number is None:
            continue
        if number <= port <= int(entry.get("endPort", number)):
            return True
    return False


def _side_allows(
    policies: list[dict[str, Any]],
    pod: Endpoint,
    other: Endpoint,
    direction: str,
    port: int,
    protocol: str,
    destination: Endpoint,
) -> bool:
    """Does `pod`'s side (its `direction` policies) let the connection with `other` through?"""
    if pod.ip is not None:  # an address outside the cluster has no policies
        return True
    kind, peers_key = ("Ingress", "from") if direction == "ingress" else ("Egress", "to")
    selecting = [
        p
        for p in policies
        if p["metadata"].get("namespace", "") == pod.namespace
        and kind in _types(p)
        and selects(p["spec"].get("podSelector", {}), pod.labels)
    ]
    if not selecting:
        return True
    for policy in selecting:
        for rule in policy["spec"].get(direction) or []:
            peers = rule.get(peers_key)
            peer_ok = not peers or any(
                _peer_matches(peer, policy["metadata"].get("namespace", ""), other)
                for peer in peers
            )
            if peer_ok and _port_matches(rule.get("ports"), port, protocol, destination):
                return True
    return False


def allowed(
    policies: list[dict[str, Any]],
    source: Endpoint,
    destination: Endpoint,
    port: int,
    protocol: str = "TCP",
) -> bool:
    """Whether `source` may open a connection to `destination` on `port`."""
    return _side_allows(
        policies, source, destination, "egress", port, protocol, destination
    ) and _side_allows(policies, destination, source, "ingress", port, protocol, destination)

"""On kind and oci, only OpenBao and its seed Job see the root token; every other workload logs
in to OpenBao as itself (its service account, its role) or holds no OpenBao identity at all."""

from __future__ import annotations

from typing import Any

import pytest

from tests.test_network_flows import OVERLAYS, REPO

ROOT_HOLDERS = {"openbao", "openbao-seed"}
ROLE = "DP_SECRETS__KUBERNETES_ROLE"


def templates(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    found = {}
    for doc in docs:
        spec = doc.get("spec", {})
        if doc["kind"] == "CronJob":
            spec = spec["jobTemplate"]["spec"]
        if doc["kind"] in {"Deployment", "StatefulSet", "Job", "CronJob"}:
            found[doc["metadata"]["name"]] = spec["template"]["spec"]
    return found


def env(pod: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for c in pod["containers"] for e in c.get("env", [])]


@pytest.mark.parametrize("overlay", ["kind", "oci"])
def test_only_openbao_and_its_seed_job_read_the_root_token(overlay: str) -> None:
    holders = {
        name
        for name, pod in templates(OVERLAYS[overlay]()).items()
        if any(
            e.get("valueFrom", {}).get("secretKeyRef", {}).get("key") == "openbao-token"
            for e in env(pod)
        )
    }
    assert holders == ROOT_HOLDERS


@pytest.mark.parametrize("overlay", ["kind", "oci"])
def test_a_workload_with_a_role_logs_in_as_its_own_service_account(overlay: str) -> None:
    docs = OVERLAYS[overlay]()
    accounts = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ServiceAccount"}
    roles = {}
    for name, pod in templates(docs).items():
        role = next((e["value"] for e in env(pod) if e["name"] == ROLE), None)
        if role is None:
            continue
        roles[name] = role
        assert pod["serviceAccountName"] == role, name
        assert accounts[role].get("automountServiceAccountToken") is True, role
    # On oci the batch steps are pods Airflow starts (the DAGs repository's pod template sets
    # the same service account and role; its own tests check it); on kind they are also Jobs.
    steps = {"pipeline", "features", "training"} if overlay == "kind" else set()
    assert set(roles.values()) == {"api", "stream"} | steps
    serving = templates(docs)["serving"]
    assert serving["serviceAccountName"] == "serving"
    assert accounts["serving"]["automountServiceAccountToken"] is False


@pytest.mark.parametrize("overlay", ["kind", "oci"])
def test_a_workload_that_reaches_kafka_logs_in_as_its_own_scram_user(overlay: str) -> None:
    """The workloads the network policies let reach Kafka's clients' port are exactly those with a
    SCRAM user of their own name; only the brokers, the topics Job and OpenBao's seed (for the
    operator's `dp`, which holds the root token) read the admin password."""
    pods = templates(OVERLAYS[overlay]())
    users = {
        name: next((e["value"] for e in env(pod) if e["name"] == "DP_KAFKA__USER"), None)
        for name, pod in pods.items()
    }
    assert {n: u for n, u in users.items() if u} == {"api": "api", "stream": "stream"}
    admins = {
        name
        for name, pod in pods.items()
        if any(
            e.get("valueFrom", {}).get("secretKeyRef", {}).get("key") == "kafka-admin-password"
            for e in env(pod)
        )
    }
    assert admins == {"kafka", "kafka-topics", "openbao-seed"}
    policies = REPO / "k8s/base/openbao/policies"
    for workload in ("api", "stream"):
        text = (policies / f"{workload}.hcl").read_text()
        assert f'path "secret/data/kafka/{workload}"' in text
        others = {"admin", "api", "stream"} - {workload}
        assert not any(f"secret/data/kafka/{other}" in text for other in others), workload


def test_on_oci_openbao_serves_tls_that_every_client_can_verify() -> None:
    """OpenBao's listener has a certificate for the host the settings name; every workload that
    logs in to it mounts the CA's public half (never its key) where the settings point."""
    from urllib.parse import urlsplit

    docs = OVERLAYS["oci"]()
    settings = next(
        d["data"] for d in docs if d["metadata"]["name"].startswith("platform-settings")
    )
    url = urlsplit(settings["DP_SECRETS__URL"])
    assert url.scheme == "https"
    config = next(
        d["data"]["openbao.hcl"] for d in docs if d["metadata"]["name"].startswith("openbao-config")
    )
    assert "tls_disable" not in config
    assert 'tls_cert_file   = "/openbao/tls/tls.crt"' in config
    certificate = next(
        d for d in docs if d["kind"] == "Certificate" and d["metadata"]["name"] == "openbao-tls"
    )
    assert url.hostname in certificate["spec"]["dnsNames"]
    openbao = templates(docs)["openbao"]
    probes = [
        c[p]["httpGet"]
        for c in openbao["containers"][:1]
        for p in ("readinessProbe", "livenessProbe")
    ]
    assert {probe["scheme"] for probe in probes} == {"HTTPS"}
    # A renewed certificate is reloaded (SIGHUP) by a process that can see OpenBao's.
    assert openbao["shareProcessNamespace"] is True
    assert (
        "pkill -HUP -x bao"
        in next(c for c in openbao["containers"] if c["name"] == "tls-reloader")["args"][0]
    )
    assert certificate["spec"]["issuerRef"]["name"] == "platform-ca"
    ca_dir = settings["DP_SECRETS__CA_CERT"].rsplit("/", 1)[0]
    for name, pod in templates(docs).items():
        if not any(e["name"] == ROLE for e in env(pod)) and name != "openbao-seed":
            continue
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        mounts = {m["mountPath"]: m["name"] for c in pod["containers"] for m in c["volumeMounts"]}
        if name == "openbao-seed":  # the bao CLI: BAO_CACERT
            ca_file = next(e["value"] for e in env(pod) if e["name"] == "BAO_CACERT")
            mounted = volumes[mounts[ca_file.rsplit("/", 1)[0]]]
        else:
            mounted = volumes[mounts[ca_dir]]
        assert mounted["secret"]["secretName"] == certificate["spec"]["secretName"], name
        assert mounted["secret"]["items"] == [{"key": "ca.crt", "path": "ca.crt"}], name

"""Jenkins as deployed from argocd/delivery (the chart cannot be fetched here, so its values are
checked instead): its own project and namespace, Configuration as Code that parses, every secret
a reference resolved from OpenBao with the controller's own role, the credentials the Jenkinsfile
uses defined, the job building this repository's Jenkinsfile, plugins pinned."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).parents[1]
REFERENCE = re.compile(r"\$\{([^}]+)\}")
OPERATOR_KEYS = {"ocir-user", "ocir-token", "ocir-registry", "gitops-deploy-key"}


@pytest.fixture(scope="module")
def rendered() -> dict[str, dict[str, Any]]:
    out = subprocess.run(
        ["kubectl", "kustomize", str(REPO / "argocd/delivery")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {d["kind"]: d for d in yaml.safe_load_all(out) if d}


@pytest.fixture(scope="module")
def values(rendered: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return rendered["Application"]["spec"]["source"]["helm"]["valuesObject"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def casc(values: dict[str, Any]) -> dict[str, Any]:
    scripts = values["controller"]["JCasC"]["configScripts"]
    return {name: yaml.safe_load(text) for name, text in scripts.items()}


def test_jenkins_has_its_own_project_namespace_and_a_pinned_chart(
    rendered: dict[str, dict[str, Any]],
) -> None:
    app, project = rendered["Application"], rendered["AppProject"]["spec"]
    source = app["spec"]["source"]
    assert app["spec"]["project"] == rendered["AppProject"]["metadata"]["name"] == "delivery"
    assert project["sourceRepos"] == [source["repoURL"]]
    assert re.fullmatch(r"\d+\.\d+\.\d+", source["targetRevision"])
    destination = {"server": "https://kubernetes.default.svc", "namespace": "jenkins"}
    assert app["spec"]["destination"] == destination
    assert project["destinations"] == [destination]
    assert project["clusterResourceWhitelist"] == [{"group": "", "kind": "Namespace"}]


def test_every_secret_is_a_reference_resolved_from_openbao(
    values: dict[str, Any], casc: dict[str, Any]
) -> None:
    text = yaml.safe_dump(casc)
    references = set(REFERENCE.findall(text))
    assert references == {"admin-password"} | OPERATOR_KEYS
    for field in ("password", "privateKey"):
        for value in re.findall(rf"{field}: (.+)", text):
            assert REFERENCE.fullmatch(value.strip("'\"")), f"{field} holds a literal"
    env = {e["name"]: e["value"] for e in values["controller"]["containerEnv"]}
    assert env["CASC_VAULT_KUBERNETES_ROLE"] == values["serviceAccount"]["name"] == "jenkins"
    mount, _, path = env["CASC_VAULT_PATHS"].partition("/")
    policy = (REPO / "k8s/base/openbao/policies/jenkins.hcl").read_text()
    assert re.findall(r'path "([^"]+)"', policy) == [f"{mount}/data/{path}"]
    seed = (REPO / "k8s/base/openbao/seed-job.yaml").read_text()
    assert "admin-password=" in seed  # generated there; the operator writes the others
    docs = (REPO / "docs/delivery.md").read_text()
    for key in OPERATOR_KEYS:
        assert key in docs, f"docs/delivery.md does not tell the operator to write {key}"


def test_the_credentials_and_job_the_jenkinsfile_needs_exist(casc: dict[str, Any]) -> None:
    jenkinsfile = (REPO / "Jenkinsfile").read_text()
    used = set(re.findall(r"credentialsId: '([^']+)'", jenkinsfile))
    used |= set(re.findall(r"credentials: \['([^']+)'\]", jenkinsfile))
    defined = {
        next(iter(c.values()))["id"]
        for domain in casc["credentials"]["credentials"]["system"]["domainCredentials"]
        for c in domain["credentials"]
    }
    assert used == defined == {"ocir-push", "gitops-deploy-key"}
    job = casc["jobs"]["jobs"][0]["script"]
    assert "scriptPath('Jenkinsfile')" in job
    variables = casc["environment"]["jenkins"]["globalNodeProperties"][0]["envVars"]["env"]
    assert "OCIR_REGISTRY" in {v["key"] for v in variables}
    assert "env.OCIR_REGISTRY" in jenkinsfile


def test_plugins_are_pinned(values: dict[str, Any]) -> None:
    controller = values["controller"]
    assert controller["installLatestPlugins"] is False
    for plugin in controller["additionalPlugins"]:
        name, _, version = plugin.partition(":")
        assert name
        assert version, f"{plugin} is not pinned"

"""The offline Kubernetes checks catch what they promise to catch (`make validate-k8s`)."""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "dev" / "k8s"))
from parity import differences
from tilt_api import TiltfileError, evaluate
from validate import strict


def deployment() -> dict[str, Any]:
    return {
        "kind": "Deployment",
        "metadata": {"name": "api"},
        "spec": {
            "replicas": 1,
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "api",
                            "image": "localhost:5005/data-platform/api:0.1.0",
                            "ports": [{"containerPort": 18000}],
                            "env": [{"name": "BAO_TOKEN"}],
                            "resources": {"requests": {"cpu": "250m"}},
                        }
                    ],
                    "volumes": [{"name": "tmp", "emptyDir": {}}],
                }
            },
        },
    }


def test_parity_allows_what_an_overlay_may_change() -> None:
    oci = deployment()
    container = oci["spec"]["template"]["spec"]["containers"][0]
    container["image"] = "fra.ocir.io/t/data-platform/api:0.1.0"
    container["resources"] = {"requests": {"cpu": "500m"}}
    oci["spec"]["replicas"] = 2
    oci["spec"]["template"]["spec"]["nodeSelector"] = {"kubernetes.io/arch": "arm64"}
    # OpenBao's TLS: the CA's public half and the CLI's CA setting.
    oci["spec"]["template"]["spec"]["volumes"].append({"name": "openbao-ca"})
    container["env"].append({"name": "BAO_CACERT"})
    assert differences([deployment()], [oci]) == []


@pytest.mark.parametrize(
    ("change", "finding"),
    [
        (lambda c, p: c["env"].append({"name": "EXTRA"}), "env"),
        (lambda c, p: c["ports"].append({"containerPort": 9999}), "ports"),
        (lambda c, p: p["volumes"].append({"name": "cache"}), "volumes"),
    ],
)
def test_parity_reports_any_other_difference(change: Any, finding: str) -> None:
    oci = copy.deepcopy(deployment())
    pod = oci["spec"]["template"]["spec"]
    change(pod["containers"][0], pod)
    found = differences([deployment()], [oci])
    assert len(found) == 1
    assert finding in found[0]


def test_parity_reports_a_workload_in_one_overlay_only() -> None:
    assert differences([deployment()], []) == ["Deployment/api: only in kind"]


def test_strict_crd_schema_rejects_unknown_fields() -> None:
    schema = strict(
        {
            "type": "object",
            "properties": {
                "spec": {"type": "object", "properties": {"project": {"type": "string"}}},
                "free": {
                    "type": "object",
                    "x-kubernetes-preserve-unknown-fields": True,
                    "properties": {"a": {"type": "string"}},
                },
            },
        }
    )
    validator = jsonschema.Draft7Validator(schema)
    assert not list(validator.iter_errors({"spec": {"project": "p"}, "free": {"b": 1}}))
    assert list(validator.iter_errors({"spec": {"projekt": "p"}}))


def test_tiltfile_check_fails_on_a_missing_dockerfile(tmp_path: Path) -> None:
    (tmp_path / "Tiltfile").write_text("docker_build('data-platform/x', '.', dockerfile='nope')\n")
    with pytest.raises(TiltfileError, match="nope"):
        evaluate(tmp_path / "Tiltfile", {})


def test_the_repository_tiltfile_declares_every_app_image() -> None:
    declared = evaluate(Path(__file__).parents[1] / "Tiltfile", {})
    assert set(declared.images) == {
        f"localhost:5005/data-platform/{app}"
        for app in ("pipeline", "features", "training", "serving", "api", "airflow")
    }
    assert declared.contexts == ["kind-data-platform"]
    local = evaluate(Path(__file__).parents[1] / "Tiltfile", {"local": True})
    assert not local.images
    assert {"api", "serving", "stream"} <= set(local.local_resources)

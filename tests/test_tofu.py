"""The OpenTofu code for Oracle Cloud, checked offline over its parsed HCL (python-hcl2).

`tofu validate/plan` need the OCI provider, which this machine cannot download; these tests hold
what can be known without it: the free tier's limits, documented and typed variables without
secret defaults, the network's exposure, and the outputs the oci overlay and its docs use.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml

from dp_cli.stack.services import BUCKETS

REPO = Path(__file__).parents[1]
TOFU = REPO / "infra/tofu"
ENV = TOFU / "envs/free-tier"
MODULES = sorted(p for p in (TOFU / "modules").iterdir() if p.is_dir())
# Oracle Cloud's Always Free limits the environment must stay within.
FREE_OCPUS, FREE_MEMORY_GB, FREE_BLOCK_GB, FREE_LOAD_BALANCERS = 4, 24, 200, 1
# What the oci overlay and docs/deployment/oci.md take from `tofu output`.
NEEDED_OUTPUTS = {
    "cluster_id",
    "endpoint_cidr",
    "s3_endpoint",
    "s3_access_key_id",
    "s3_secret_key",
    "ocir_prefix",
    "kms_key_id",
    "kms_crypto_endpoint",
    "kms_management_endpoint",
}
SECRET_NAME = re.compile(r"password|secret|token|private_key|api_key", re.IGNORECASE)


def unquote(value: Any) -> Any:
    """python-hcl2 keeps a string literal's quotes; an expression stays `${…}`."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def parse(folder: Path) -> dict[str, list[Any]]:
    """Every top-level block of the folder's .tf files, by block type."""
    merged: dict[str, list[Any]] = {}
    for path in sorted(folder.glob("*.tf")):
        with path.open() as handle:
            for kind, blocks in hcl2.load(handle).items():
                merged.setdefault(kind, []).extend(blocks)
    return merged


def named(blocks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """`variable "x" {…}` blocks by name."""
    return {unquote(name): body for block in blocks for name, body in block.items()}


def resources(folder: Path) -> dict[tuple[str, str], dict[str, Any]]:
    found = {}
    for block in parse(folder).get("resource", []):
        for kind, by_name in block.items():
            for name, body in by_name.items():
                found[(unquote(kind), unquote(name))] = body
    return found


def module_inputs(module: str) -> dict[str, Any]:
    """The free-tier environment's arguments to a module, else the module's defaults."""
    variables = named(parse(TOFU / "modules" / module)["variable"])
    values = {name: unquote(body.get("default")) for name, body in variables.items()}
    call = named(parse(ENV)["module"])[module]
    values |= {k: unquote(v) for k, v in call.items() if k in variables}
    return values


@pytest.mark.parametrize("folder", [*MODULES, ENV], ids=lambda p: p.name)
def test_every_variable_is_typed_documented_and_has_no_secret_default(folder: Path) -> None:
    for name, body in named(parse(folder).get("variable", [])).items():
        assert body.get("type"), f"{folder.name}: variable {name} has no type"
        assert unquote(body.get("description", "")).strip(), f"{folder.name}: {name} undocumented"
        if SECRET_NAME.search(name):
            assert body.get("default") is None, f"{folder.name}: {name} has a default"


def test_the_environment_uses_every_module_and_every_module_output() -> None:
    calls = named(parse(ENV)["module"])
    assert {unquote(c["source"]).rsplit("/", 1)[-1] for c in calls.values()} == {
        m.name for m in MODULES
    }
    text = "\n".join(p.read_text() for p in ENV.glob("*.tf"))
    for module in MODULES:
        for output in named(parse(module).get("output", [])):
            used = f"module.{module.name}.{output}" in text or any(
                f"module.{module.name}.{output}" in p.read_text()
                for p in (TOFU / "modules").rglob("*.tf")
            )
            if output in ("buckets", "repository_ids", "kubernetes_version", "namespace"):
                continue  # for operators reading `tofu output` of a module, not consumed here
            assert used, f"output {module.name}.{output} is used nowhere"


def test_the_node_pool_fits_the_free_tier() -> None:
    pool = resources(TOFU / "modules/oke")[("oci_containerengine_node_pool", "main")]
    assert unquote(pool["node_shape"]) == "VM.Standard.A1.Flex"
    values = module_inputs("oke")
    nodes = int(values["node_count"])
    assert nodes * float(values["node_ocpus"]) <= FREE_OCPUS
    assert nodes * float(values["node_memory_gbs"]) <= FREE_MEMORY_GB
    assert nodes * float(values["boot_volume_gbs"]) <= FREE_BLOCK_GB
    cluster = resources(TOFU / "modules/oke")[("oci_containerengine_cluster", "main")]
    assert unquote(cluster["type"]) == "BASIC_CLUSTER"  # an enhanced cluster is billed


def test_block_storage_fits_the_free_tier() -> None:
    """The nodes' boot volumes and every volume the oci overlay claims share the free 200 GB;
    each claim is at least OCI's smallest block volume (50 GB)."""
    values = module_inputs("oke")
    boot = int(values["node_count"]) * float(values["boot_volume_gbs"])
    claims = {}
    for obj in _render("k8s/overlays/oci"):
        if obj["kind"] == "PersistentVolumeClaim":
            claims[obj["metadata"]["name"]] = obj["spec"]
        elif obj["kind"] == "StatefulSet":
            for template in obj["spec"].get("volumeClaimTemplates", []):
                for replica in range(obj["spec"].get("replicas", 1)):
                    claims[
                        f"{template['metadata']['name']}-{obj['metadata']['name']}-{replica}"
                    ] = template["spec"]
    sizes = {
        name: _gigabytes(spec["resources"]["requests"]["storage"]) for name, spec in claims.items()
    }
    assert all(size >= 50 for size in sizes.values()), sizes
    assert boot + sum(sizes.values()) <= FREE_BLOCK_GB, (boot, sizes)


def _gigabytes(quantity: str) -> float:
    """A Kubernetes storage quantity in GB (OCI's volumes are sized in GB; 50Gi is sold as 50)."""
    return float(quantity.removesuffix("Gi").removesuffix("G"))


def test_load_balancers_stay_within_the_free_tier() -> None:
    """OpenTofu creates none; the oci overlay's Services of type LoadBalancer use the one."""
    created = [k for f in [*MODULES, ENV] for k in resources(f) if "load_balancer" in k[0]]
    assert created == []
    rendered = _render("k8s/overlays/oci")
    balancers = [
        d["metadata"]["name"]
        for d in rendered
        if d["kind"] == "Service" and d["spec"].get("type") == "LoadBalancer"
    ]
    assert len(balancers) <= FREE_LOAD_BALANCERS, balancers


def _render(path: str) -> list[dict[str, Any]]:
    import subprocess

    out = subprocess.run(
        ["kubectl", "kustomize", str(REPO / path)], capture_output=True, text=True, check=True
    ).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def test_only_the_load_balancer_and_the_admins_are_reachable_from_outside() -> None:
    text = (TOFU / "modules/network/main.tf").read_text()
    open_ingress = re.findall(
        r'\{ key = "([^"]+)", nsg = "(\w+)", direction = "INGRESS", kind = "CIDR_BLOCK", '
        r'peer = "0\.0\.0\.0/0", protocol = "6", min = (\d+), max = (\d+) \}',
        text,
    )
    # HTTPS, and HTTP for ACME's HTTP-01 challenges (anything else there is redirected).
    assert open_ingress == [
        ("users-to-lb", "lb", "443", "443"),
        ("users-to-lb-http", "lb", "80", "80"),
    ]
    admins = named(parse(TOFU / "modules/network")["variable"])["admin_cidrs"]
    assert "0.0.0.0/0" in str(admins["validation"])  # refused by its validation
    nodes = resources(TOFU / "modules/network")[("oci_core_subnet", "nodes")]
    assert nodes["prohibit_public_ip_on_vnic"] is True


def test_the_overlays_api_server_cidr_is_the_endpoint_subnet() -> None:
    """The oci overlay's egress-kube-api policy names the network module's endpoint subnet."""
    vcn = ipaddress.ip_network(module_inputs("network").get("vcn_cidr") or "10.0.0.0/16")
    text = (TOFU / "modules/network/main.tf").read_text()
    found = re.search(r"endpoint_cidr = cidrsubnet\(var.vcn_cidr, (\d+), (\d+)\)", text)
    assert found, "the network module no longer carves the endpoint subnet this way"
    newbits, netnum = map(int, found.groups())
    endpoint = list(vcn.subnets(new_prefix=vcn.prefixlen + newbits))[netnum]
    overlay = REPO / "k8s/overlays/oci/apps/platform/kustomization.yaml"
    platform = yaml.safe_load(overlay.read_text())
    patched = [p["patch"] for p in platform["patches"] if "egress-kube-api" in str(p["target"])]
    assert f"value: {endpoint}" in patched[0]


def test_buckets_and_repositories_are_the_platforms() -> None:
    assert [unquote(b) for b in module_inputs("storage")["buckets"]] == list(BUCKETS)
    images = [unquote(i) for i in module_inputs("registry")["images"]]
    script = (REPO / "dev/containers/images.sh").read_text()
    found = re.search(r"APPS=\(\$\{APPS:-([a-z ]+)\}\)", script)
    assert found, "dev/containers/images.sh no longer lists its images this way"
    built = found.group(1).split()
    assert images == built


def test_every_output_the_overlay_needs_exists_and_the_docs_use_it() -> None:
    outputs = named(parse(ENV)["output"])
    assert set(outputs) == NEEDED_OUTPUTS
    assert outputs["s3_secret_key"].get("sensitive") is True
    docs = (REPO / "docs/deployment/oci.md").read_text()
    unused = [name for name in NEEDED_OUTPUTS if f"tofu output -raw {name}" not in docs]
    assert unused == []


def test_every_module_pins_the_same_provider_and_tofu_versions() -> None:
    """Each module declares its providers (OpenTofu requires it); they must not drift apart."""
    pins = {p.parent.name: p.read_text() for p in TOFU.rglob("versions.tf")}
    assert set(pins) == {m.name for m in MODULES} | {ENV.name}
    assert len(set(pins.values())) == 1, "versions.tf differ: " + ", ".join(sorted(pins))

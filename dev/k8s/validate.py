"""`make validate-k8s`: prove the manifests, images and Tiltfile without a cluster.

1. render both overlays, every oci Application, every component and the ArgoCD apps (kustomize);
2. strict schema validation of every object for the Kubernetes version we target; custom
   resources against their CRDs from ../shared/crds and .cache/crds (cert-manager's, fetched by
   `make k8s-setup`; unknown fields are errors), naming any kind
   without a schema;
3. policy checks (checkov, own venv) on the rendered overlays, components and Dockerfiles;
4. kind ↔ oci parity outside an explicit allow-list, and the oci requests within the free tier;
5. the Tiltfile evaluated against the Tilt API it uses (dev/k8s/tilt_api.py);
6. yamllint on the repository's YAML.
Writes reports/validate-k8s.json and exits 1 on any failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml
from docker_image.reference import Reference
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
from parity import differences
from tilt_api import TiltfileError, evaluate

REPO = Path(__file__).resolve().parents[2]
K8S_VERSION = "1.32.0"


def crds_dir() -> Path:
    """`../shared/crds` beside this checkout, or beside the local clone it came from (CI clones
    the working repository elsewhere), or `DP_CRDS_DIR`."""
    candidates = [Path(os.environ["DP_CRDS_DIR"])] if os.environ.get("DP_CRDS_DIR") else []
    candidates.append(REPO.parent / "shared" / "crds")
    origin = subprocess.run(
        ["git", "-C", str(REPO), "remote", "get-url", "origin"], capture_output=True, text=True
    ).stdout.strip()
    if origin and Path(origin).is_dir():
        candidates.append(Path(origin).resolve().parent / "shared" / "crds")
    return next((c for c in candidates if c.is_dir()), candidates[0])


CRDS = crds_dir()
FETCHED_CRDS = REPO / ".cache" / "crds"  # make k8s-setup (dev/k8s/fetch-crds.sh)
RENDER = REPO / "k8s" / ".render"
CHECKOV = REPO / ".cache" / "checkov" / "bin" / "checkov"
KUSTOMIZE = REPO / ".cache" / "bin" / "kustomize"
console = Console()


def kustomize(path: Path) -> list[dict[str, Any]]:
    """kubectl's built-in kustomize, or the standalone binary `make k8s-setup` installs."""
    command = ["kubectl", "kustomize"] if shutil.which("kubectl") else [str(KUSTOMIZE), "build"]
    out = subprocess.run([*command, str(path)], capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"kustomize {path.relative_to(REPO)}: {out.stderr.strip()}")
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def renders() -> dict[str, Path]:
    """Every kustomization a user or ArgoCD builds; components on top of the kind overlay."""
    targets = {"overlay kind": REPO / "k8s/overlays/kind", "overlay oci": REPO / "k8s/overlays/oci"}
    for app in sorted((REPO / "k8s/overlays/oci/apps").iterdir()):
        targets[f"oci app {app.name}"] = app
    in_kind = set(
        Path(c).name
        for c in yaml.safe_load((REPO / "k8s/overlays/kind/kustomization.yaml").read_text())[
            "components"
        ]
    )
    for component in sorted((REPO / "k8s/components").iterdir()):
        if component.name in in_kind:  # rendered with the kind overlay itself
            continue
        folder = RENDER / component.name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "kustomization.yaml").write_text(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
            "namespace: data-platform\n"
            f"resources: [../../overlays/kind]\ncomponents: [../../components/{component.name}]\n"
        )
        targets[f"component {component.name}"] = folder
    targets["argocd"] = REPO / "argocd"
    targets["argocd apps"] = REPO / "argocd/apps"
    targets["argocd delivery"] = REPO / "argocd/delivery"
    targets["argocd edge"] = REPO / "argocd/edge"
    return targets


def crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) → the CRD's openAPIV3Schema, made strict like the API server."""
    schemas = {}
    found = [sorted(d.rglob("*.yaml")) for d in (CRDS, FETCHED_CRDS) if d.exists()]
    for path in (p for paths in found for p in paths):
        for crd in yaml.safe_load_all(path.read_text()):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                schema = version.get("schema", {}).get("openAPIV3Schema")
                if schema:
                    schemas[(f"{group}/{version['name']}", kind)] = strict(schema)
    return schemas


def strict(schema: dict[str, Any]) -> dict[str, Any]:
    """No unknown fields where the schema lists its properties (as kubectl --validate=strict)."""
    schema = dict(schema)
    if "properties" in schema and not schema.get("x-kubernetes-preserve-unknown-fields"):
        schema.setdefault("additionalProperties", False)
    for key in ("properties", "patternProperties"):
        if key in schema:
            schema[key] = {k: strict(v) for k, v in schema[key].items()}
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            schema[key] = strict(schema[key])
    for key in ("allOf", "anyOf", "oneOf"):
        if key in schema:
            schema[key] = [strict(s) for s in schema[key]]
    return schema


def schema_errors(
    objects: list[dict[str, Any]], crds: dict[tuple[str, str], dict[str, Any]], unchecked: set[str]
) -> Iterator[str]:
    for obj in objects:
        name = f"{obj['kind']}/{obj['metadata']['name']}"
        crd = crds.get((obj["apiVersion"], obj["kind"]))
        if crd is not None:
            body = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}
            crd_body = {k: v for k, v in crd["properties"].items() if k in body}
            checked = {**crd, "properties": crd_body, "required": []}
            for error in jsonschema.Draft7Validator(checked).iter_errors(body):
                yield f"{name}: {'.'.join(map(str, error.absolute_path))}: {error.message}"
            continue
        try:
            kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            unchecked.add(f"{obj['apiVersion']} {obj['kind']}")
        except kubernetes_validate.ValidationError as error:
            yield f"{name}: {'.'.join(map(str, error.path))}: {error.message}"


def policy_failures(files: list[Path], framework: str) -> list[str]:
    if not CHECKOV.exists():
        raise RuntimeError(f"checkov is not installed at {CHECKOV}: run `make k8s-setup`")
    command = [str(CHECKOV), "--quiet", "--compact", "-o", "json", "--framework", framework]
    command += [arg for f in files for arg in ("-f", str(f))]
    out = subprocess.run(command, capture_output=True, text=True)
    reports = json.loads(out.stdout or "[]")
    failures = []
    for report in reports if isinstance(reports, list) else [reports]:
        for check in report.get("results", {}).get("failed_checks", []):
            failures.append(f"{check['check_id']} {check['resource']} ({check['file_path']})")
    return failures


def alert_rule_failures() -> list[str]:
    """`promtool check rules` and `promtool test rules` on the alerts both targets load, and
    `amtool check-config` on where they are routed."""
    folder = REPO / "k8s/base/prometheus"
    promtool = shutil.which("promtool")
    if promtool is None:
        return ["promtool is not installed: run `make stack-setup` (Debian's prometheus)"]
    failures = []
    for command in (["check", "rules", "alerts.yml"], ["test", "rules", "alerts_test.yml"]):
        done = subprocess.run([promtool, *command], cwd=folder, capture_output=True, text=True)
        if done.returncode != 0:
            failures.append(f"promtool {' '.join(command)}: {(done.stdout + done.stderr)[-800:]}")
    amtool = shutil.which("amtool")
    if amtool is None:
        return [
            *failures,
            "amtool is not installed: run `make stack-setup` (Debian's alertmanager)",
        ]
    done = subprocess.run(
        [amtool, "check-config", "alertmanager.yml"], cwd=folder, capture_output=True, text=True
    )
    if done.returncode != 0:
        failures.append(f"amtool check-config: {(done.stdout + done.stderr)[-800:]}")
    return failures


def run() -> dict[str, Any]:
    results: dict[str, Any] = {"kubernetes_version": K8S_VERSION}
    rendered: dict[str, list[dict[str, Any]]] = {}
    errors: dict[str, list[str]] = {}
    for label, path in renders().items():
        try:
            rendered[label] = kustomize(path)
        except RuntimeError as exc:
            errors.setdefault("render", []).append(str(exc))
    results["rendered"] = {label: len(objs) for label, objs in rendered.items()}

    crds = crd_schemas()
    unchecked: set[str] = set()
    errors["schema"] = [
        f"{label}: {e}"
        for label, objs in rendered.items()
        for e in schema_errors(objs, crds, unchecked)
    ]
    results["crd_schemas"] = (
        sorted(f"{v} {k}" for v, k in crds) or f"none found in {CRDS} or {FETCHED_CRDS}"
    )
    results["unchecked_kinds"] = sorted(unchecked)

    policy_dir = RENDER / "policy"
    policy_dir.mkdir(parents=True, exist_ok=True)
    files = []
    for label in (
        "overlay kind",
        "overlay oci",
        *[name for name in rendered if name.startswith("component")],
    ):
        path = policy_dir / (label.replace(" ", "-") + ".yaml")
        path.write_text(yaml.safe_dump_all(rendered.get(label, []), sort_keys=False))
        files.append(path)
    # Each render on its own: a check that looks across objects (CKV2_K8S_6, a NetworkPolicy per
    # pod) must pass on what one overlay deploys, not on everything scanned together.
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = [pool.submit(policy_failures, [f], "kubernetes") for f in files]
        runs.append(pool.submit(policy_failures, [REPO / "apps" / "Dockerfile"], "dockerfile"))
        errors["policy"] = [failure for run in runs for failure in run.result()]

    errors["parity"] = differences(
        rendered.get("overlay kind", []), rendered.get("overlay oci", [])
    )
    results["oci_requests"], errors["budget"] = budget(rendered.get("overlay oci", []))

    errors["alerts"] = alert_rule_failures()

    errors["tiltfile"] = []
    for config in ({}, {"local": True}):
        try:
            declared = evaluate(REPO / "Tiltfile", config)
        except TiltfileError as exc:
            errors["tiltfile"].append(f"config {config}: {exc}")
            continue
        errors["tiltfile"] += tilt_names_exist(declared, rendered.get("overlay kind", []), config)

    lint = subprocess.run(
        [sys.executable, "-m", "yamllint", "--strict", "-f", "parsable", "."],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    errors["yamllint"] = lint.stdout.splitlines()
    results["errors"] = errors
    return results


# OKE's free tier (Ampere A1: 4 OCPU, 24 GB) minus room for system pods and ArgoCD.
OCI_BUDGET = {"cpu": 3.3, "memory_gib": 21.0}


def step_pod() -> dict[str, float]:
    """What one pod Airflow starts for a batch step requests (the DAGs repository's pod
    template, dags/platform_interface.py): on oci the steps are those pods, not Jobs."""
    text = (REPO / "dags/platform_interface.py").read_text()
    found = re.search(r'requests=\{"cpu": "([^"]+)", "memory": "([^"]+)"\}', text)
    if found is None:
        raise RuntimeError("dags/platform_interface.py: no step pod requests found")
    return {"cpu": _cpu(found.group(1)), "memory_gib": _gib(found.group(2))}


def budget(objects: list[dict[str, Any]]) -> tuple[dict[str, float], list[str]]:
    """Requests of the long-running workloads plus the largest Job, or one step pod Airflow
    starts, must fit the free tier."""
    running = {"cpu": 0.0, "memory_gib": 0.0}
    largest_job = step_pod()
    for obj in objects:
        requests = [c.get("resources", {}).get("requests", {}) for c in _containers(obj)]
        cpu = sum(_cpu(r.get("cpu", "0")) for r in requests)
        memory = sum(_gib(r.get("memory", "0")) for r in requests)
        if obj["kind"] in ("Deployment", "StatefulSet"):
            replicas = obj["spec"].get("replicas", 1)
            running["cpu"] += cpu * replicas
            running["memory_gib"] += memory * replicas
        elif obj["kind"] in ("Job", "CronJob") and cpu > largest_job["cpu"]:
            largest_job = {"cpu": cpu, "memory_gib": memory}
    total = {k: round(running[k] + largest_job[k], 2) for k in running}
    over = [f"{k} requests {total[k]} > {OCI_BUDGET[k]}" for k in total if total[k] > OCI_BUDGET[k]]
    return total, over


def _cpu(value: str) -> float:
    return float(value[:-1]) / 1000 if value.endswith("m") else float(value)


def _gib(value: str) -> float:
    units = {"Ki": 2**-20, "Mi": 2**-10, "Gi": 1.0}
    return float(value[:-2]) * units[value[-2:]] if value[-2:] in units else float(value) / 2**30


def image_name(reference: str) -> str:
    """An image reference's name as Docker (and Tilt, and the kubelet) normalize it:
    `data-platform/api:1` is `docker.io/data-platform/api`, never
    `localhost:5005/data-platform/api`."""
    return str(Reference.parse_normalized_named(reference)["name"])


def tilt_names_exist(
    declared: Any, kind_objects: list[dict[str, Any]], config: dict[str, Any]
) -> list[str]:
    """Images built are the images the manifests use, compared by normalized name the way Tilt
    matches them (tags and digests ignored); resources are the manifests' workloads."""
    found = []
    if config.get("local"):
        return [f"no-cluster mode built image {i}" for i in declared.images]
    used = {
        image_name(c["image"])
        for obj in kind_objects
        for c in _containers(obj)
        if "/data-platform/" in image_name(c["image"])
    }
    built = {image_name(ref) for ref in declared.images}
    found += [f"image {i} is built but no manifest uses it" for i in sorted(built - used)]
    found += [f"image {i} is used but Tilt does not build it" for i in sorted(used - built)]
    workloads = {o["metadata"]["name"] for o in kind_objects if _containers(o)}
    found += [
        f"k8s_resource {name} is not a workload of the kind overlay"
        for name in declared.k8s_resources
        if name not in workloads
    ]
    if "kind-data-platform" not in declared.contexts:
        found.append("allow_k8s_contexts does not allow the ctlptl cluster")
    return found


def _containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    spec = obj.get("spec", {})
    template = spec.get("jobTemplate", {}).get("spec", spec).get("template", {})
    return list(template.get("spec", {}).get("containers", []))


def main() -> int:
    results = run()
    table = Table(title=f"validate-k8s (Kubernetes {K8S_VERSION})")
    for column in ("check", "result"):
        table.add_column(column)
    table.add_row("rendered", ", ".join(f"{k}: {v}" for k, v in results["rendered"].items()))
    table.add_row(
        "CRD schemas used",
        "\n".join(results["crd_schemas"])
        if isinstance(results["crd_schemas"], list)
        else results["crd_schemas"],
    )
    table.add_row("kinds without a schema", ", ".join(results["unchecked_kinds"]) or "none")
    table.add_row("oci requests (with a step)", json.dumps(results["oci_requests"]))
    for check, found in results["errors"].items():
        table.add_row(check, "[green]pass[/]" if not found else "[red]" + "\n".join(found[:30]))
    console.print(table)
    out = REPO / "reports" / "validate-k8s.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    return 1 if any(results["errors"].values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())

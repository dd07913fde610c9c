"""`make image-contract`: every container of every rendered workload can start in its image.

For both overlays (kind, oci), each container's image must be one this repository builds, pinned
by digest (never a mutable tag), or a listed third-party image; and for ours, the container's own
command must be runnable in that image: each `dp <subcommand>` it runs passes
`dp --preflight <subcommand>` (imports and tools, see dp_cli.preflight), any other program answers
`--help` (Airflow's image: `airflow <its args> --help`); each step the DAGs run passes its
preflight in the image the DAGs repository names for it (its platform_interface.py). It runs
as the manifests run it: user 10001, read-only root, /tmp writable, the platform ConfigMap as
environment. This is how the stream's missing Feast dependency is caught
without a cluster. oci references OCIR, which is not reachable here: its digests must equal the
kind overlay's, and the image is run once from the local registry.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table

REPO = Path(__file__).parents[2]
OWN = re.compile(
    r"/data-platform/(pipeline|features|training|promotion|serving|api|airflow)@sha256:[0-9a-f]{64}$"
)
# Our images' entrypoints: `dp` (apps/Dockerfile), `airflow` (apps/airflow/Dockerfile).
ENTRYPOINTS = {"airflow": "airflow"}
THIRD_PARTY = {
    "apache/kafka",
    "prom/alertmanager",
    "prom/statsd-exporter",
    "chrislusf/seaweedfs",
    "grafana/grafana",
    "openbao/openbao",
    "postgres",
    "prom/prometheus",
    "redis",
    # The stores' exporters (sidecars of redis and postgres).
    "oliver006/redis_exporter",
    "quay.io/prometheuscommunity/postgres-exporter",
}
DP = re.compile(r"(?:^|[\s;&|(])dp\s+([a-z][a-z-]*)")


def render(overlay: str) -> list[dict[str, Any]]:
    out = subprocess.run(
        ["kubectl", "kustomize", overlay], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    return [o for o in yaml.safe_load_all(out) if o]


def containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    spec = obj.get("spec", {})
    template = spec.get("jobTemplate", {}).get("spec", spec).get("template", {})
    pod = template.get("spec", {})
    return list(pod.get("initContainers", [])) + list(pod.get("containers", []))


def commands(container: dict[str, Any], app: str) -> list[list[str]]:
    """What to run to prove the container's command can start: preflights or `--help`."""
    words = [*container.get("command", []), *container.get("args", [])]
    if not container.get("command") and app in ENTRYPOINTS:  # Airflow parses its own command
        return [[ENTRYPOINTS[app], *words, "--help"]]
    if not container.get("command"):  # the image's entrypoint is `dp`
        return [["dp", "--preflight", words[0]]] if words else [["dp", "--help"]]
    if words[:2] == ["sh", "-c"]:
        found = DP.findall(" ".join(words[2:]))
        return [["dp", "--preflight", sub] for sub in found] or [["sh", "-c", "true"]]
    if words[0] == "dp":
        return [["dp", "--preflight", words[1]]]
    return [[words[0], "--help"]]


def dag_steps() -> dict[str, str]:
    """The DAGs repository's contract: which image each `dp` step runs in on Kubernetes
    (dags/platform_interface.py's IMAGES, read as data: the platform never imports the DAGs)."""
    tree = ast.parse((REPO / "dags/platform_interface.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "IMAGES" for t in node.targets
        ):
            return dict(ast.literal_eval(node.value))
    raise SystemExit("dags/platform_interface.py defines no IMAGES")


def third_party(image: str) -> bool:
    name = image.split("@")[0].rsplit(":", 1)[0]
    return name in THIRD_PARTY


PODMAN_ENV = {
    "CONTAINERS_CONF": str(REPO / "dev/containers/containers.conf"),
    "CONTAINERS_REGISTRIES_CONF": str(REPO / "dev/containers/registries.conf"),
}


def run_in(image: str, command: list[str], env: dict[str, str]) -> tuple[bool, str]:
    engine = os.environ.get("ENGINE", "podman")
    args = [engine, "run", "--rm", "--user", "10001:10001", "--read-only", "--tmpfs", "/tmp"]
    for key, value in env.items():
        args += ["--env", f"{key}={value}"]
    done = subprocess.run(
        [*args, "--entrypoint", command[0], image, *command[1:]],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **PODMAN_ENV},
    )
    tail = (done.stdout + done.stderr).strip().splitlines()[-3:]
    return done.returncode == 0, " / ".join(tail)


def main() -> int:
    kind, oci = render("k8s/overlays/kind"), render("k8s/overlays/oci")
    settings = next(
        o for o in kind if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "platform-settings"
    )
    env = dict(settings["data"])
    table = Table(title="image contract")
    for column in ("overlay", "workload/container", "image", "check", "result"):
        table.add_column(column, overflow="fold")
    failures = 0
    kind_digests: dict[str, str] = {}
    checked: dict[tuple[str, tuple[str, ...]], tuple[bool, str]] = {}
    for overlay, objects in (("kind", kind), ("oci", oci)):
        for obj in objects:
            for container in containers(obj):
                where = f"{obj['kind']}/{obj['metadata']['name']}/{container['name']}"
                image = container["image"]
                if third_party(image):
                    table.add_row(overlay, where, image, "listed third-party image", "[green]ok")
                    continue
                own = OWN.search(image)
                if own is None:
                    failures += 1
                    table.add_row(overlay, where, image, "ours by digest or listed", "[red]neither")
                    continue
                app, digest = own.group(1), image.split("@")[1]
                if overlay == "kind":
                    kind_digests[app] = image
                elif kind_digests.get(app, "@").split("@")[1] != digest:
                    failures += 1
                    table.add_row(overlay, where, image, "same digest as kind", "[red]differs")
                    continue
                local = kind_digests[app]
                for command in commands(container, app):
                    key = (local, tuple(command))
                    if key not in checked:
                        checked[key] = run_in(local, command, env)
                    ok, said = checked[key]
                    failures += not ok
                    result = "[green]ok" if ok else f"[red]fails: {said}"
                    table.add_row(
                        overlay, where, image.split("/")[-1][:40], shlex.join(command), result
                    )
    # The pods Airflow starts on a cluster: each step the DAGs run, in the image they name, as
    # `make images` pinned it (the promotion image, say, no synced workload uses).
    pinned = yaml.safe_load((REPO / "k8s/overlays/kind/images/kustomization.yaml").read_text())
    built = {i["name"].split("/")[-1]: f"{i['newName']}@{i['digest']}" for i in pinned["images"]}
    for step, app in sorted(dag_steps().items()):
        command = ["dp", "--preflight", step]
        ok, said = run_in(built[app], command, env)
        failures += not ok
        result = "[green]ok" if ok else f"[red]fails: {said}"
        table.add_row("dags", f"step {step}", app, shlex.join(command), result)
    Console(width=200).print(table)
    print(f"{len(checked)} distinct image/command pairs run; {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

"""Play the pods target: render the kind overlay with the stack's credentials, run its own
workloads with `podman kube play --network host`, wait on their readiness probes, run Jobs."""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from dp_cli.pods.manifests import (
    Plan,
    container_names,
    hosts_file,
    plan,
    probe_url,
    with_openbao_token,
    with_token_auth,
)
from dp_cli.stack.control import context
from dp_core.endpoints import ENDPOINTS
from dp_core.settings import Settings

OVERLAY = "k8s/overlays/kind"
# The pods overlay: the kind overlay with the stack's credentials in place of generated ones.
PODS_OVERLAY = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../overlays/kind
secretGenerator:
  - name: platform-credentials
    behavior: replace
    envs: [stack.env]
"""
READY_TIMEOUT_S = 240.0
# The batch flow as the kind overlay's Jobs, in the order Tilt's resource_deps run them, with
# the `dp` steps each one runs (their JSON summaries are in the job's log, in this order).
FLOW_JOBS = {
    "pipeline-generate": ["generate", "ingest"],
    "pipeline-stage": ["stage"],
    "pipeline-validate": ["validate"],
    "pipeline-curate": ["curate"],
    "features-materialize": ["features"],
    "training": ["train"],
}


class PodFailed(RuntimeError):
    """A pod did not become ready, or a Job's container exited non-zero; says which, with logs."""


@dataclass(frozen=True)
class JobResult:
    name: str
    exit_code: int
    seconds: float
    logs: str

    def summaries(self) -> list[dict[str, Any]]:
        """The JSON summaries the job's `dp` steps printed, in order."""
        decoder, found, text = json.JSONDecoder(), [], self.logs
        index = text.find("{")
        while index != -1:
            try:
                value, end = decoder.raw_decode(text, index)
            except json.JSONDecodeError:
                index = text.find("{", index + 1)
                continue
            if isinstance(value, dict):
                found.append(value)
            index = text.find("{", end)
        return found


class Pods:
    def __init__(self, settings: Settings, repo: Path | None = None) -> None:
        self.settings = settings
        self.repo = repo or Path.cwd()
        self.root = settings.state_dir / "pods"
        self.env = {
            **os.environ,
            "CONTAINERS_CONF": str(self.repo / "dev/containers/containers.conf"),
            "CONTAINERS_REGISTRIES_CONF": str(self.repo / "dev/containers/registries.conf"),
        }

    # --- rendering -------------------------------------------------------------------------

    def render(self) -> list[dict[str, Any]]:
        """`kubectl kustomize` of the kind overlay, its Secret holding the stack's credentials."""
        subprocess.run(
            ["bash", "dev/cluster/secrets.sh"], cwd=self.repo, check=True, capture_output=True
        )
        folder = self.repo / "k8s/.render/pods"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "kustomization.yaml").write_text(PODS_OVERLAY)
        creds = context(self.settings).creds
        stack_env = folder / "stack.env"
        stack_env.touch(mode=0o600)
        stack_env.write_text(
            f"openbao-token={creds.bao_token}\ns3-access-key={creds.s3_access_key}\n"
            f"s3-secret-key={creds.s3_secret_key}\npostgres-user={creds.postgres_user}\n"
            f"postgres-password={creds.postgres_password}\ngrafana-admin-password=unused\n"
            f"api-key-dev={creds.api_key_dev}\n"
            f"redis-reader-password={creds.redis_reader_password}\n"
            f"redis-writer-password={creds.redis_writer_password}\n"
            f"redis-metrics-password={creds.redis_metrics_password}\n"
            f"postgres-metrics-password={creds.postgres_metrics_password}\n"
            f"postgres-mlflow-password={creds.postgres_mlflow_password}\n"
            f"postgres-feast-password={creds.postgres_feast_password}\n"
            f"postgres-feast-reader-password={creds.postgres_feast_reader_password}\n"
            f"postgres-airflow-password={creds.airflow_db_password}\n"
            f"kafka-admin-password={creds.kafka_admin_password}\n"
            f"kafka-controller-password={creds.kafka_controller_password}\n"
            f"kafka-api-password={creds.kafka_api_password}\n"
            f"kafka-stream-password={creds.kafka_stream_password}\n"
        )
        rendered = subprocess.run(
            ["kubectl", "kustomize", str(folder)], capture_output=True, text=True, check=True
        ).stdout
        return [obj for obj in yaml.safe_load_all(rendered) if obj]

    def plan(self) -> Plan:
        self.root.mkdir(parents=True, exist_ok=True)
        hosts = self.root / "hosts"
        hosts.write_text(hosts_file(list(ENDPOINTS)))
        planned = plan(self.render(), str(hosts))
        planned.config_maps = with_token_auth(planned.config_maps)
        return planned

    # --- running ---------------------------------------------------------------------------

    def podman(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["podman", *args], env=self.env, capture_output=True, text=True, check=check
        )

    def _secrets(self, planned: Plan) -> None:
        for name, data in planned.secrets.items():
            self.podman("secret", "rm", name, check=False)
            source = self.root / f"secret-{name}.json"
            source.touch(mode=0o600)
            source.write_text(json.dumps(data))
            self.podman("secret", "create", name, str(source))
            source.unlink()

    def _openbao_token(self, role: str) -> str:
        """A 1 h token with the role's policy, from the stack's OpenBao (as its Kubernetes auth
        role issues one to the workload's service account in a cluster)."""
        import hvac

        from dp_cli.stack.openbao import mint_token

        client = hvac.Client(
            url=self.settings.endpoints.url("openbao"), token=context(self.settings).creds.bao_token
        )
        return mint_token(client, role, ttl="1h")

    def _play(self, planned: Plan, pod: dict[str, Any]) -> Path:
        pod = with_openbao_token(pod, self._openbao_token)
        manifest = self.root / f"{pod['metadata']['name']}.yaml"
        manifest.write_text(yaml.safe_dump_all([*planned.config_maps, pod], sort_keys=False))
        played = self.podman(
            "kube", "play", "--network", "host", "--replace", str(manifest), check=False
        )
        if played.returncode != 0:
            raise PodFailed(f"podman kube play {manifest.name}: {played.stderr.strip()}")
        return manifest

    def up(self, only: list[str] | None = None, echo: Any = print) -> Plan:
        """Play every own Deployment (or `only` these) at once, as a cluster starts them, and
        wait until each is alive (its liveness probe answers). Readiness may need data a Job
        makes first (the API is ready once a champion model is served): who needs a pod ready
        waits for it (`wait`), as a Service would."""
        planned = self.plan()
        self._secrets(planned)
        chosen = {n: p for n, p in planned.services.items() if not only or n in only}
        started = time.monotonic()
        for pod in chosen.values():
            self._play(planned, pod)
        for name, pod in chosen.items():
            self.wait(pod, "livenessProbe")
            echo(f"pod {name} alive after {time.monotonic() - started:.1f}s")
        return planned

    def wait(self, pod: dict[str, Any], probe: str = "readinessProbe") -> None:
        """Until the pod's `probe` answers 200; fails when its container exits or on timeout."""
        url = probe_url(pod, probe)
        deadline = time.monotonic() + READY_TIMEOUT_S
        while url is not None and time.monotonic() < deadline:
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            for container in container_names(pod):
                state = self.podman(
                    "inspect", container, "--format", "{{.State.Status}}", check=False
                )
                if state.stdout.strip() == "exited":
                    raise PodFailed(f"{container} exited:\n{self.logs(container)}")
            time.sleep(1)
        if url is not None:
            raise PodFailed(
                f"{pod['metadata']['name']}: {probe} {url} failing after {READY_TIMEOUT_S:.0f}s"
            )

    def logs(self, container: str, tail: int = 40) -> str:
        return self.podman("logs", "--tail", str(tail), container, check=False).stdout

    def job(self, name: str, timeout_s: float = 1800) -> JobResult:
        """Run one Job's pod to completion (as its controller would start it once)."""
        planned = self.plan()
        if name not in planned.jobs:
            raise PodFailed(f"no Job '{name}' among {sorted(planned.jobs)}")
        self._secrets(planned)
        pod = planned.jobs[name]
        started = time.monotonic()
        manifest = self._play(planned, pod)
        container = container_names(pod)[0]
        try:
            while time.monotonic() - started < timeout_s:
                state = self.podman(
                    "inspect", container, "--format", "{{.State.Status}} {{.State.ExitCode}}"
                )
                status, code = state.stdout.split()
                if status == "exited":
                    logs = self.podman("logs", container, check=False)
                    return JobResult(
                        name, int(code), time.monotonic() - started, logs.stdout + logs.stderr
                    )
                time.sleep(1)
            raise PodFailed(f"Job {name} did not finish in {timeout_s:.0f}s")
        finally:
            self.podman("kube", "down", str(manifest), check=False)

    def down(self, only: list[str] | None = None) -> list[str]:
        """Remove the played pods (or `only` these)."""
        stopped = []
        for manifest in sorted(self.root.glob("*.yaml")):
            if only and manifest.stem not in only:
                continue
            if self.podman("kube", "down", str(manifest), check=False).returncode == 0:
                stopped.append(manifest.stem)
            manifest.unlink(missing_ok=True)
        return stopped

    def kill(self, name: str) -> None:
        """SIGKILL a pod's containers (a crash, not a graceful stop)."""
        for container in self.podman(
            "ps", "--filter", f"pod={name}", "--format", "{{.Names}}"
        ).stdout.split():
            if not container.endswith("-infra"):
                self.podman("kill", "--signal", "KILL", container, check=False)

    def status(self) -> dict[str, str]:
        listed = self.podman("pod", "ps", "--format", "{{.Name}} {{.Status}}", check=False).stdout
        return dict(line.split(" ", 1) for line in listed.splitlines() if line)

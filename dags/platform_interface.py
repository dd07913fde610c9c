"""The DAGs' whole contract with the data platform: step commands, images, zone URIs.

Nothing here imports the platform. The runtime configures it through its environment:

- ``DP_RUNNER``: ``local`` runs the ``dp`` command on the worker (the stack target);
  ``kubernetes`` runs it in a pod from the step's image (kind, oci).
- ``DP_COMMAND``: the ``dp`` executable for the local runner (default ``dp``).
- ``DP_IMAGE_PREFIX`` and ``DP_IMAGE_TAG``: where the step images come from (kubernetes):
  ``registry.example/dp`` and ``1.4.0`` give ``registry.example/dp/pipeline:1.4.0``.
- ``DP_IMAGE_DIGESTS``: a JSON object image → digest (a release pins them); an image listed
  there is ``<prefix>/<image>@<digest>``, its tag unused. Default ``{}``.
- ``DP_NAMESPACE``: the platform's namespace (kubernetes; default ``data-platform``).
- ``DP_ZONE_URI``: the zones' URI template with ``{zone}`` (default ``s3://dp-{zone}``).
- ``DP_SCHEDULES``: ``off`` leaves every DAG to be triggered (a developer's stack, CI);
  default ``on``.
- ``DP_RETRY_DELAY_S``: the first retry's delay, doubled on each retry (default 60).
"""

from __future__ import annotations

import json
import os
import shlex
from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import (
    DAG,
    Asset,
    AsyncCallback,
    BaseOperator,
    DeadlineAlert,
    DeadlineReference,
    Param,
)

OWNER = "data-platform"
DEFAULT_ARGS: dict[str, Any] = {
    "owner": OWNER,
    "retries": 2,
    "retry_delay": timedelta(seconds=float(os.environ.get("DP_RETRY_DELAY_S", "60"))),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=10),
}


def schedule(when: Any) -> Any:
    """`when` (a cron, a preset or Assets), unless the runtime turned schedules off."""
    return None if os.environ.get("DP_SCHEDULES", "on") == "off" else when


def platform_dag(
    dag_id: str,
    description: str,
    schedule: Any,
    tags: list[str],
    params: dict[str, Param] | None = None,
) -> DAG:
    """A DAG with the team's rules: one run at a time, no catch-up, the default retries and
    owner, and a deadline alert 30 minutes after a run is queued (the runtime's callback)."""
    return DAG(
        dag_id=dag_id,
        description=description,
        schedule=schedule,
        params=params or {},
        start_date=datetime(2026, 1, 1),
        catchup=False,
        max_active_runs=1,
        default_args=DEFAULT_ARGS,
        tags=["data-platform", *tags],
        deadline=DeadlineAlert(
            reference=DeadlineReference.DAGRUN_QUEUED_AT,
            interval=timedelta(minutes=30),
            callback=AsyncCallback("dp_airflow.alerts.deadline_missed"),
        ),
    )


# The step commands the platform provides (`dp <step>`) and the image each runs in.
IMAGES = {
    "generate": "pipeline",
    "ingest": "pipeline",
    "stage": "pipeline",
    "validate": "pipeline",
    "curate": "pipeline",
    "features": "features",
    "train": "training",
    "promote": "promotion",
    "check": "api",
}
# The workload each step's pod is: its `app.kubernetes.io/name` (the platform's network
# policies allow flows per workload) and its service account (its OpenBao role, its secrets).
WORKLOADS = {
    "generate": ("pipeline-generate", "pipeline"),
    "ingest": ("pipeline-generate", "pipeline"),
    "stage": ("pipeline-stage", "pipeline"),
    "validate": ("pipeline-validate", "pipeline"),
    "curate": ("pipeline-curate", "pipeline"),
    "features": ("features-materialize", "features"),
    "train": ("training", "training"),
    "promote": ("promotion", "promotion"),
    "check": ("checks", "checks"),
}


def zone(name: str, *parts: str) -> Asset:
    """A zone of the object store as an Airflow Asset: ``zone("raw", "transactions")``."""
    template = os.environ.get("DP_ZONE_URI", "s3://dp-{zone}")
    return Asset("/".join([template.format(zone=name), *parts]), group="zones")


RAW = zone("raw", "transactions")
STAGING = zone("staging", "transactions")
CURATED = zone("curated", "customer_features")


def step(task_id: str, *args: str, **operator: Any) -> BaseOperator:
    """One platform step, ``dp <args>``, with the runner the runtime configures."""
    runner = os.environ.get("DP_RUNNER", "local")
    if runner == "local":
        from airflow.providers.standard.operators.bash import BashOperator

        command = shlex.join([os.environ.get("DP_COMMAND", "dp"), *args])
        return BashOperator(task_id=task_id, bash_command=command, **operator)
    if runner == "kubernetes":
        return _pod(task_id, list(args), **operator)
    raise ValueError(f"DP_RUNNER must be 'local' or 'kubernetes', not {runner!r}")


def _reference(image: str) -> str:
    """The step image's reference: pinned by digest where the release says, else by tag."""
    prefix = os.environ.get("DP_IMAGE_PREFIX", "data-platform")
    digest = json.loads(os.environ.get("DP_IMAGE_DIGESTS") or "{}").get(image)
    if digest:
        return f"{prefix}/{image}@{digest}"
    return f"{prefix}/{image}:{os.environ.get('DP_IMAGE_TAG', 'latest')}"


def _openbao_ca(k8s: Any) -> tuple[list[Any], list[Any]]:
    """Where OpenBao serves TLS from a private CA (oci), the CA's public half from the Secret
    `DP_OPENBAO_CA_SECRET` names, mounted where the platform's settings expect it; else nothing."""
    secret = os.environ.get("DP_OPENBAO_CA_SECRET")
    if not secret:
        return [], []
    items = [k8s.V1KeyToPath(key="ca.crt", path="ca.crt")]
    volume = k8s.V1Volume(
        name="openbao-ca", secret=k8s.V1SecretVolumeSource(secret_name=secret, items=items)
    )
    mount = k8s.V1VolumeMount(name="openbao-ca", mount_path="/etc/openbao-ca", read_only=True)
    return [volume], [mount]


def _pod(task_id: str, args: list[str], **operator: Any) -> BaseOperator:
    """The step in a pod of its image, as the platform's own Jobs ran it: its workload's service
    account (its OpenBao role), the platform's settings, PSS restricted."""
    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
    from kubernetes.client import models as k8s

    image = IMAGES[args[0]]
    workload, account = WORKLOADS[args[0]]
    ca = _openbao_ca(k8s)
    return KubernetesPodOperator(
        task_id=task_id,
        name=f"dp-{task_id.replace('_', '-')}",
        namespace=os.environ.get("DP_NAMESPACE", "data-platform"),
        image=_reference(image),
        cmds=["dp"],
        arguments=args,
        service_account_name=account,
        labels={
            "app.kubernetes.io/name": workload,
            "app.kubernetes.io/part-of": "data-platform",
        },
        env_from=[
            k8s.V1EnvFromSource(config_map_ref=k8s.V1ConfigMapEnvSource(name="platform-settings"))
        ],
        env_vars=[
            k8s.V1EnvVar(name="DP_SECRETS__KUBERNETES_ROLE", value=account),
            k8s.V1EnvVar(name="SPARK_LOCAL_IP", value="127.0.0.1"),
        ],
        security_context=k8s.V1PodSecurityContext(
            run_as_non_root=True,
            run_as_user=10001,
            run_as_group=10001,
            seccomp_profile=k8s.V1SeccompProfile(type="RuntimeDefault"),
        ),
        container_security_context=k8s.V1SecurityContext(
            allow_privilege_escalation=False,
            read_only_root_filesystem=True,
            capabilities=k8s.V1Capabilities(drop=["ALL"]),
        ),
        volumes=[k8s.V1Volume(name="tmp", empty_dir=k8s.V1EmptyDirVolumeSource()), *ca[0]],
        volume_mounts=[k8s.V1VolumeMount(name="tmp", mount_path="/tmp"), *ca[1]],
        container_resources=k8s.V1ResourceRequirements(
            requests={"cpu": "500m", "memory": "2Gi"}, limits={"cpu": "2", "memory": "4Gi"}
        ),
        on_finish_action="delete_succeeded_pod",
        get_logs=True,
        **operator,
    )

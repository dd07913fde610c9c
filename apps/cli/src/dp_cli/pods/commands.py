"""`dp pods`: the kind overlay's own workloads under `podman kube play` (the pods target)."""

from __future__ import annotations

import json
import time

import typer

from dp_cli.pods.runner import PodFailed, Pods
from dp_cli.signals import stop_on_sigterm
from dp_core.progress import console
from dp_core.settings import get_settings

app = typer.Typer(
    help="The kind overlay's workloads under podman (needs the stack's infrastructure).",
    no_args_is_help=True,
)
ONLY = typer.Option(None, "--only", help="Limit to these workloads (repeatable).")


@app.command()
def up(only: list[str] | None = ONLY) -> None:
    """Render the kind overlay, play its own Deployments, wait on their readiness probes."""
    try:
        planned = Pods(get_settings()).up(only, echo=console.print)
    except PodFailed as exc:
        console.print(f"[red]{exc}")
        raise typer.Exit(1) from exc
    for name, reason in planned.skipped.items():
        console.print(f"[dim]not a pod here: {name} ({reason})")


@app.command()
def down(only: list[str] | None = ONLY) -> None:
    """Remove the pods `up` played."""
    stopped = Pods(get_settings()).down(only)
    console.print(f"removed: {', '.join(stopped) or 'no pods'}")


@app.command()
def job(
    name: str = typer.Argument(..., help="A Job of the kind overlay, e.g. pipeline-stage."),
) -> None:
    """Run one Job's pod to completion; its logs to stderr, its steps' summaries as JSON."""
    try:
        result = Pods(get_settings()).job(name)
    except PodFailed as exc:
        console.print(f"[red]{exc}")
        raise typer.Exit(1) from exc
    console.print(result.logs[-4000:], markup=False, highlight=False)
    typer.echo(
        json.dumps(
            {
                "job": name,
                "exit_code": result.exit_code,
                "seconds": round(result.seconds, 1),
                "steps": result.summaries(),
            },
            default=str,
        )
    )
    raise typer.Exit(result.exit_code)


@app.command()
def status() -> None:
    """Pods and their state."""
    for name, state in Pods(get_settings()).status().items():
        console.print(f"{name}: {state}")


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def run(ctx: typer.Context) -> None:
    """The stack's infrastructure, then the pods, run the command after `--`; always tear down."""
    import subprocess

    from dp_cli.stack import control
    from dp_cli.stack.airflow import AIRFLOW_SERVICES
    from dp_cli.stack.services import SERVICES

    if not ctx.args:
        raise typer.BadParameter("give the command after `--`, e.g. dp pods run -- pytest e2e")
    stop_on_sigterm()
    settings = get_settings()
    pods = Pods(settings)
    workloads = set(pods.plan().services)
    # Not Airflow: on a cluster its tasks are pods it starts itself (KubernetesPodOperator),
    # which this target's podman cannot stand in for; the stack target runs it.
    infrastructure = [
        s.name for s in SERVICES if s.name not in workloads and s not in AIRFLOW_SERVICES
    ]
    code = 1
    try:
        control.up(settings, infrastructure, echo=console.print)
        pods.up(echo=console.print)
        code = subprocess.run(ctx.args, check=False).returncode
    except (PodFailed, control.ServiceFailed) as exc:
        console.print(f"[red]{exc}")
    finally:
        console.print(f"removed pods: {', '.join(pods.down()) or 'none'}")
        console.print(f"stopped: {', '.join(control.down(settings, None)) or 'nothing'}")
    raise typer.Exit(code)


@app.command()
def kill(name: str = typer.Argument(..., help="A pod the pods target runs, e.g. stream.")) -> None:
    """SIGKILL a pod's containers (a crash); `up --only <name>` plays it again."""
    Pods(get_settings()).kill(name)


@app.command()
def flow() -> None:
    """The batch flow as the cluster runs it: each Job in order, then the report `dp run` writes
    (rows, suites, model, sample predictions through the API pod) to runs/latest/report.json."""
    from dp_cli.api_process import sample_requests, send_samples, wait_ready
    from dp_cli.main import run_step, summary
    from dp_cli.pods.runner import FLOW_JOBS
    from dp_cli.report import build_report, print_summary, write_report
    from dp_core.api_keys import api_headers
    from dp_core.resources import Resources

    settings = get_settings()
    pods = Pods(settings)
    results: dict[str, dict[str, object]] = {}
    seconds: dict[str, float] = {}
    for job_name, steps in FLOW_JOBS.items():
        with console.status(f"[bold]job {job_name}"):
            result = pods.job(job_name)
        if result.exit_code != 0:
            console.print(result.logs[-3000:], markup=False, highlight=False)
            console.print(f"[red]job {job_name} exited {result.exit_code}")
            raise typer.Exit(1)
        summaries = result.summaries()
        if len(summaries) != len(steps):
            console.print(f"[red]job {job_name} printed {len(summaries)} summaries for {steps}")
            raise typer.Exit(1)
        results |= dict(zip(steps, summaries, strict=True))
        seconds[job_name] = round(result.seconds, 1)
        console.print(f"[green]✓[/] job {job_name} ({result.seconds:.1f}s)")
    with Resources(settings) as resources:
        # The promotion runs where the delivery pipeline runs it (a CI agent reaching the
        # cluster): the challenger is gated on the serving pod, with an API process of its own.
        with console.status("[bold]promote"):
            started = time.perf_counter()
            results["promote"] = summary(run_step("promote", resources))
            seconds["promote"] = round(time.perf_counter() - started, 1)
        console.print(f"[green]✓[/] promote ({seconds['promote']:.1f}s)")
        base_url = settings.endpoints.url("api")
        wait_ready(f"{base_url}/readyz", None)
        predictions = send_samples(base_url, sample_requests(resources), api_headers(resources))
        report = build_report(resources, results, seconds) | {"predictions": predictions}
        path = write_report(report, settings.runs_dir)
        print_summary(report, console)
        console.print(f"report: {path}")

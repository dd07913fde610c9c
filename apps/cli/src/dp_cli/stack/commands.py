"""The `dp stack` subcommands."""

from __future__ import annotations

import typer

from dp_cli.signals import stop_on_sigterm
from dp_cli.stack import control
from dp_core.progress import console
from dp_core.settings import Target, get_settings

app = typer.Typer(help="The stack target's services as local processes.", no_args_is_help=True)

ONLY = typer.Option(None, "--only", help="Limit to these services (repeatable).")


def _settings():  # type: ignore[no-untyped-def]
    settings = get_settings()
    if settings.target is not Target.STACK:
        raise typer.BadParameter("run with --target stack (or DP_TARGET=stack)")
    return settings


@app.command()
def up(only: list[str] | None = ONLY) -> None:
    """Start every service (install them first with `make stack-setup`)."""
    try:
        rows = control.up(_settings(), only, echo=console.print)
    except (control.ServiceFailed, RuntimeError) as exc:
        console.print(f"[red]{exc}")
        raise typer.Exit(1) from exc
    console.print(control.status_table(rows))


@app.command()
def down(only: list[str] | None = ONLY) -> None:
    """Stop what `up` started; data stays until `make clean`."""
    stopped = control.down(_settings(), only)
    console.print(f"stopped: {', '.join(stopped) or 'nothing was running'}")


@app.command()
def restart(services: list[str] = typer.Argument(..., help="Services to restart.")) -> None:
    """Stop and start these services (after a code or settings change)."""
    settings = _settings()
    control.down(settings, services)
    up(services)


@app.command("publish-dags")
def publish_dags() -> None:
    """Publish `dags/` as a commit on the DAGs repository settings name (a local bare repo)."""
    from pathlib import Path

    from dp_cli.stack.dags_repo import publish_dags as publish

    airflow = _settings().airflow
    if not airflow.dags_repo.startswith("file://"):
        raise typer.BadParameter(f"{airflow.dags_repo} is a remote: push to it with git")
    bare = Path(airflow.dags_repo.removeprefix("file://"))
    commit = publish(Path("dags").resolve(), bare, airflow.dags_ref)
    console.print(f"published dags/ to {airflow.dags_repo} ({airflow.dags_ref} at {commit[:12]})")


@app.command()
def status() -> None:
    """A table of services, URLs and health; exits 1 when any is unhealthy."""
    rows = control.status(_settings())
    console.print(control.status_table(rows))
    if not all(r.healthy for r in rows):
        raise typer.Exit(1)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def run(ctx: typer.Context) -> None:
    """Start the stack, run the command after `--` against it, and always stop the stack."""
    import subprocess

    if not ctx.args:
        raise typer.BadParameter("give the command after `--`, e.g. dp stack run -- pytest e2e")
    stop_on_sigterm()
    settings = _settings()
    try:
        up(None)
        code = subprocess.run(ctx.args, check=False).returncode
    finally:
        stopped = control.down(settings, None)
        console.print(f"stopped: {', '.join(stopped) or 'nothing was running'}")
    raise typer.Exit(code)

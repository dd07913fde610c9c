"""`dp`: one subcommand per step of the data platform; `dp run` runs them all.

This is the composition root: it builds the target's `Resources` once per command, hands them to
the step, and closes them when the step ends. Steps take the resources and their own spec.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import time
from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime
from importlib import import_module
from typing import Any

import typer

from dp_cli.pods.commands import app as pods_app
from dp_cli.settings_commands import app as settings_app
from dp_cli.stack.commands import app as stack_app
from dp_core.errors import explain
from dp_core.logs import configure_logging
from dp_core.progress import console
from dp_core.resources import Resources
from dp_core.settings import Target, get_settings

app = typer.Typer(
    help="The data platform's steps. Settings come from DP_* variables.", no_args_is_help=True
)
app.add_typer(stack_app, name="stack")
app.add_typer(settings_app, name="settings")
app.add_typer(pods_app, name="pods")

DEFAULT_ROWS = 200_000
DEFAULT_DAYS = 30
ROWS = typer.Option(DEFAULT_ROWS, min=100, help="Rows before defects.")
DAYS = typer.Option(DEFAULT_DAYS, min=1, help="Days of activity.")


@app.callback()
def main(
    ctx: typer.Context,
    target: Target | None = typer.Option(None, help="Target to run against (sets DP_TARGET)."),
    log_level: str = typer.Option("WARNING", envvar="DP_LOG_LEVEL", help="Log level."),
    preflight: bool = typer.Option(
        False, "--preflight", help="Check that the subcommand can run here (imports, tools); exit."
    ),
) -> None:
    if target is not None:
        os.environ["DP_TARGET"] = target.value
        get_settings.cache_clear()
    configure_logging(log_level)
    if preflight:
        from dp_cli.preflight import check

        _print(check(ctx.invoked_subcommand or ""))
        raise typer.Exit(0)


def summary(result: Any) -> dict[str, Any]:
    """A step's result as a JSON-able dict."""
    if hasattr(result, "to_dict"):
        return result.to_dict()
    if is_dataclass(result) and not isinstance(result, type):
        return asdict(result)
    return dict(result)


def _print(result: Any) -> None:
    """A step's summary as JSON on stdout (progress and logs go to stderr): indented for a
    terminal, one line otherwise, so an orchestrator that keeps a task's last line (Airflow's
    BashOperator) keeps the whole summary."""
    indent = 2 if sys.stdout.isatty() else None
    typer.echo(json.dumps(summary(result), indent=indent, default=str))


# The batch flow in order, as `module:function`; each imported only when it runs, so an image
# with one app's extra runs that app's steps. Every step takes the resources (generate its spec).
BATCH_FLOW = {
    "generate": "dp_pipeline.generate:generate",
    "ingest": "dp_pipeline.ingest:ingest",
    "stage": "dp_pipeline.stage:stage",
    "validate": "dp_pipeline.validate:validate",
    "curate": "dp_pipeline.curate:curate",
    "features": "dp_features.steps:run_features",
    "train": "dp_training.train:train",
    "promote": "dp_cli.promotion.promote:promote",
}


def run_step(
    name: str, resources: Resources, rows: int = DEFAULT_ROWS, days: int = DEFAULT_DAYS
) -> Any:
    module, function = BATCH_FLOW[name].split(":")
    step = getattr(import_module(module), function)
    if name == "generate":
        from dp_pipeline.generate import GenerateSpec

        return step(resources, GenerateSpec(rows=rows, days=days, seed=resources.settings.seed))
    return step(resources)


def _register_step(name: str, doc: str) -> None:
    def command() -> None:
        with Resources(get_settings()) as resources:
            _print(run_step(name, resources))

    command.__doc__ = doc
    app.command(name=name)(command)


@app.command()
def generate(rows: int = ROWS, days: int = DAYS) -> None:
    """Synthetic transactions with defects into the landing folder."""
    with Resources(get_settings()) as resources:
        _print(run_step("generate", resources, rows, days))


for _name, _doc in {
    "ingest": "Land the generated files in the raw zone.",
    "stage": "Parse, type and deduplicate raw rows into staging (Spark).",
    "validate": "Run the staging suite; failing rows go to quarantine with their reason.",
    "curate": "Customer-level windowed aggregates into curated, checked by the curated suite.",
    "features": "Apply the Feast repo and materialise the online store.",
    "train": "Train, log, register; promote to champion when better.",
}.items():
    _register_step(_name, _doc)


@app.command()
def produce(
    count: int = typer.Option(1_000, min=1, help="Messages to send."),
    rate: float = typer.Option(200.0, min=0.1, help="Messages per second."),
    bad_every: int = typer.Option(0, min=0, help="Every Nth message is broken (0: none)."),
    customers: int = typer.Option(1_000, min=1, help="Distinct customers (c-0000000 …)."),
    seed: int = typer.Option(1, help="Seed; transaction ids are st-<seed>-<n>."),
) -> None:
    """Send generated transactions to Kafka (acks=all, idempotent producer)."""
    from dp_pipeline.produce import ProduceSpec
    from dp_pipeline.produce import produce as run

    spec = ProduceSpec(count=count, rate=rate, bad_every=bad_every, customers=customers, seed=seed)
    with Resources(get_settings()) as resources:
        _print(run(resources, spec))


dlq_app = typer.Typer(help="The dead-letter topic.", no_args_is_help=True)
app.add_typer(dlq_app, name="dlq")


@dlq_app.command("replay")
def dlq_replay(
    reason: str = typer.Option(..., help="Replay the letters with this reason (e.g. too_late)."),
    since: datetime | None = typer.Option(None, help="Only letters written at or after this."),
) -> None:
    """Re-publish dead letters with one reason to the transactions topic (original key, bytes)."""
    from dp_pipeline.dlq import ReplaySpec, replay

    when = None if since is None else (since if since.tzinfo else since.replace(tzinfo=UTC))
    with Resources(get_settings()) as resources:
        _print(replay(resources, ReplaySpec(reason=reason, since=when)))


check_app = typer.Typer(
    help="Checks after a release (the orchestrator runs them).", no_args_is_help=True
)
app.add_typer(check_app, name="check")


@check_app.command("serving")
def check_serving() -> None:
    """The model server serves the champion, with the registry's scores (v2 REST)."""
    from dp_cli.checks import check_serving as run

    with Resources(get_settings()) as resources:
        _print(run(resources))


@check_app.command("api")
def check_api() -> None:
    """`/v1/predict` answers known, unknown and invalid requests with the champion."""
    from dp_cli.checks import check_api as run

    with Resources(get_settings()) as resources:
        _print(run(resources))


@app.command()
def promote(
    rollback: bool = typer.Option(
        False, "--rollback", help="Move the champion back to the version it replaced."
    ),
) -> None:
    """Promote the challenger if it passes every gate (promotion.gates); exit 2 if refused."""
    from dp_cli.promotion import promote as promotion

    with Resources(get_settings()) as resources:
        run = promotion.rollback if rollback else promotion.promote
        _print(run(resources))


@app.command()
def stream() -> None:
    """Run the streaming job: transactions → raw zone, dead letters, online features."""
    from dp_pipeline.stream import run_stream

    with Resources(get_settings()) as resources:
        run_stream(resources)


@app.command()
def serve() -> None:
    """Run the model server (KServe, Open Inference Protocol v2) in the foreground."""
    from dp_serving.server import serve as run

    with Resources(get_settings()) as resources:
        run(resources)


@app.command()
def api() -> None:
    """Run the API in the foreground."""
    import uvicorn

    from dp_api.app import create_app

    with Resources(get_settings()) as resources:
        settings = resources.settings
        uvicorn.run(
            create_app(resources),
            host=settings.api.host,
            port=settings.endpoints.port("api"),
            log_level="warning",
            access_log=False,  # warnings only anyway; this skips the per-request logging call
        )


@app.command()
def run(
    rows: int = ROWS,
    days: int = DAYS,
    serve_api: bool = typer.Option(False, "--serve", envvar="SERVE", help="Leave the API up."),
) -> None:
    """Every step in order, then the API with sample predictions; writes runs/latest/report.json."""
    from dp_cli.api_process import running_api, sample_requests, send_samples
    from dp_cli.report import build_report, print_summary, write_report
    from dp_core.api_keys import api_headers

    with Resources(get_settings()) as resources:
        results: dict[str, dict[str, Any]] = {}
        seconds: dict[str, float] = {}
        for name in BATCH_FLOW:
            started = time.perf_counter()
            with console.status(f"[bold]{name}"):
                results[name] = summary(run_step(name, resources, rows, days))
            seconds[name] = round(time.perf_counter() - started, 2)
            console.print(f"[green]✓[/] {name} ({seconds[name]:.1f}s)")

        started = time.perf_counter()
        with running_api(resources, keep=serve_api) as base_url:
            predictions = send_samples(base_url, sample_requests(resources), api_headers(resources))
            seconds["api"] = round(time.perf_counter() - started, 2)
            report = build_report(resources, results, seconds) | {"predictions": predictions}
            path = write_report(report, resources.settings.runs_dir)
            print_summary(report, console)
            console.print(f"report: {path}")
            if serve_api:
                console.print(f"API up at {base_url} (docs at {base_url}/docs); Ctrl-C stops it")


def cli() -> None:
    """The `dp` entry point: known, user-fixable failures exit 2 with one clear line."""
    try:
        try:
            app()
        except Exception as exc:
            message = explain(exc, get_settings())
            if message is None:
                raise
            console.print(f"[red]error:[/] {message}")
            raise SystemExit(2) from None
    except SystemExit as done:
        leave(done.code)


def leave(code: object) -> None:
    """Exit with `code` after the atexit handlers, skipping the interpreter's finalization.

    Every command closes its resources itself, so finalization has nothing left to do but tear
    down native libraries, and that can abort: `dp validate` ended in `terminate called without
    an active exception` (SIGABRT, a native thread still joinable at teardown) after it had
    printed its result, about once in 20 runs on a loaded machine; Arrow has the same report
    (apache/arrow#34314). The atexit handlers still run (Spark's gateway, MLflow's queues), then
    the streams are flushed and the process ends.
    """
    if code is None:
        code = 0
    elif not isinstance(code, int):  # `SystemExit("message")`: Python prints it and exits 1
        print(code, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    cli()

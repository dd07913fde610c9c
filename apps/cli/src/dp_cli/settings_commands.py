"""`dp settings show`: the resolved settings of a target and where each value came from."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from dp_core.progress import console
from dp_core.settings import Settings, Target
from dp_core.settings_report import describe

app = typer.Typer(help="The settings of a target.", no_args_is_help=True)


@app.command()
def show(
    target: Target | None = typer.Option(None, help="Target (default: DP_TARGET, .env, embedded)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per setting."),
) -> None:
    """Every resolved setting, its value (secrets masked) and its source."""
    rows = describe(Settings(target=target) if target else Settings())
    if as_json:
        for key, value, source in rows:
            typer.echo(json.dumps({"key": key, "value": value, "source": source}))
        return
    table = Table(box=None)
    for column in ("setting", "value", "source"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    console.print(table)

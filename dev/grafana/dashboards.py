"""The platform's Grafana dashboards as code (grafana-foundation-sdk), one per area.

    python dev/grafana/dashboards.py          # writes k8s/base/grafana/dashboards/<area>.json
    python dev/grafana/dashboards.py --check  # exits 1 when a committed file differs

Grafana's provisioning on kind and oci loads the written JSON (k8s/base/grafana); every query's
metrics are checked against the stack's live Prometheus by the e2e suite
(e2e/tests/test_prometheus.py), so a panel that would show nothing fails the build.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import DataSourceRef

OUT = Path(__file__).parents[2] / "k8s/base/grafana/dashboards"
PROMETHEUS = DataSourceRef(type_val="prometheus", uid="prometheus")  # datasources.yaml's uid


@dataclass(frozen=True)
class Panel:
    title: str
    queries: dict[str, str]  # legend → PromQL
    unit: str = "short"
    kind: str = "timeseries"
    description: str = ""


@dataclass(frozen=True)
class Board:
    uid: str
    title: str
    description: str
    rows: dict[str, list[Panel]] = field(default_factory=dict)


PREDICT = 'route="/v1/predict"'


def per_second(metric: str, by: str = "", selector: str = "") -> str:
    """A counter's rate over 5 minutes, summed by `by` (or not at all)."""
    series = f"rate({metric}{{{selector}}}[5m])" if selector else f"rate({metric}[5m])"
    return f"sum by ({by}) ({series})" if by else series


def last_day(metric: str, by: str) -> str:
    return f"sum by ({by}) (increase({metric}[1d]))"


def quantiles(metric: str, selector: str) -> dict[str, str]:
    """p50, p95 and p99 of a histogram over 5 minutes."""
    buckets = per_second(f"{metric}_bucket", by="le", selector=selector)
    return {f"p{q}": f"histogram_quantile(0.{q}, {buckets})" for q in (50, 95, 99)}


BOARDS = [
    Board(
        uid="dp-api",
        title="data-platform / API",
        description="POST /v1/predict: traffic, errors by kind, latency, cold starts, events.",
        rows={
            "Traffic": [
                Panel(
                    "Requests per second by status",
                    {"{{status}}": per_second("dp_api_request_seconds_count", "status", PREDICT)},
                    unit="reqps",
                ),
                Panel(
                    "Decisions per second",
                    {"{{decision}}": per_second("dp_api_predictions_total", "decision")},
                    unit="reqps",
                ),
                Panel("Scrape target up", {"{{app}}": 'up{app="api"}'}, kind="stat"),
            ],
            "Errors and latency": [
                Panel(
                    "Errors per second by kind",
                    {"{{kind}}": per_second("dp_api_errors_total", "kind")},
                    unit="reqps",
                    description="4xx (invalid_request, …) and the dependencies' 503s.",
                ),
                Panel("Latency quantiles", quantiles("dp_api_request_seconds", PREDICT), unit="s"),
                Panel(
                    "Cold starts per second",
                    {"cold starts": per_second("dp_api_cold_starts_total")},
                    unit="reqps",
                    description="Customers without online features (scored with the defaults).",
                ),
            ],
            "Prediction events (Kafka)": [
                Panel(
                    "Events sent and dropped",
                    {
                        "sent": per_second("dp_api_prediction_events_sent_total"),
                        "dropped {{reason}}": per_second(
                            "dp_api_prediction_events_dropped_total", "reason"
                        ),
                    },
                    unit="reqps",
                ),
            ],
        },
    ),
    Board(
        uid="dp-serving",
        title="data-platform / model server",
        description="The KServe model server (Open Inference Protocol v2).",
        rows={
            "Model server": [
                Panel("Scrape target up", {"{{instance}}": 'up{app="serving"}'}, kind="stat"),
                Panel(
                    "Inferences per second",
                    {"{{model_name}}": per_second("request_predict_seconds_count", "model_name")},
                    unit="reqps",
                ),
                Panel(
                    "Predict latency quantiles",
                    quantiles("request_predict_seconds", 'app="serving"'),
                    unit="s",
                ),
                Panel(
                    "Model latency seen by the API",
                    quantiles("dp_api_request_seconds", PREDICT),
                    unit="s",
                    description="The API's /v1/predict latency, which includes the model server.",
                ),
            ],
        },
    ),
    Board(
        uid="dp-streaming",
        title="data-platform / streaming",
        description="The stream job: consumer lag, micro-batches, freshness, dead letters.",
        rows={
            "Stream": [
                Panel("Active", {"active": "dp_stream_active"}, kind="stat"),
                Panel("Consumer lag (messages)", {"lag": "dp_stream_lag_messages"}),
                Panel(
                    "Seconds since the last micro-batch",
                    {"freshness": "time() - dp_stream_progress_timestamp_seconds"},
                    unit="s",
                ),
                Panel(
                    "Micro-batches per second",
                    {"batches": per_second("dp_stream_batches_total")},
                    unit="ops",
                ),
                Panel(
                    "Rows per second by outcome",
                    {"{{outcome}}": per_second("dp_stream_rows_total", "outcome")},
                    unit="rowsps",
                    description="Streamed to the raw zone and the online store, or dead letters.",
                ),
            ],
        },
    ),
    Board(
        uid="dp-pipelines",
        title="data-platform / pipelines and training",
        description="Airflow's runs of transactions_daily and fraud_model: durations, failures.",
        rows={
            "DAG runs": [
                Panel(
                    "Run duration by DAG and outcome",
                    {
                        "{{dag_id}} {{state}}": 'airflow_dagrun_duration_seconds{quantile="0.5"}',
                    },
                    unit="s",
                ),
                Panel(
                    "Finished runs in the last day",
                    {
                        "{{dag_id}} {{state}}": last_day(
                            "airflow_dagrun_duration_seconds_count", "dag_id, state"
                        ),
                    },
                ),
                Panel(
                    "DAG files that fail to import",
                    {"import errors": "airflow_dag_import_errors"},
                    kind="stat",
                ),
            ],
            "Steps": [
                Panel(
                    "Step duration (median)",
                    {"{{dag_id}}.{{task_id}}": 'airflow_task_duration_seconds{quantile="0.5"}'},
                    unit="s",
                    description="The batch steps and the release checks.",
                ),
                Panel(
                    "Finished tasks by outcome in the last day",
                    {
                        "{{task_id}} {{state}}": last_day(
                            "airflow_task_finished_total", "task_id, state"
                        ),
                    },
                ),
                Panel(
                    "Scheduler heartbeats per second",
                    {"heartbeats": per_second("airflow_scheduler_heartbeat_total")},
                    unit="ops",
                ),
            ],
        },
    ),
    Board(
        uid="dp-stores",
        title="data-platform / stores",
        description="Redis (the online store), Postgres (MLflow, Feast's registry, Airflow) "
        "and the free space of the stores' volumes.",
        rows={
            "Redis (online store)": [
                Panel("Up", {"{{app}}": "redis_up"}, kind="stat"),
                Panel(
                    "Memory used and maxmemory",
                    {"used": "redis_memory_used_bytes", "maxmemory": "redis_memory_max_bytes"},
                    unit="bytes",
                    description="At maxmemory, writes fail (noeviction).",
                ),
                Panel(
                    "Commands per second",
                    {"commands": per_second("redis_commands_processed_total")},
                    unit="ops",
                ),
                Panel("Keys", {"{{db}}": "redis_db_keys > 0"}),
                Panel("Connected clients", {"clients": "redis_connected_clients"}),
                Panel(
                    "Lookups per second: hits and misses",
                    {
                        "hits": per_second("redis_keyspace_hits_total"),
                        "misses": per_second("redis_keyspace_misses_total"),
                    },
                    unit="ops",
                    description="Misses are customers without online features (cold starts).",
                ),
            ],
            "Postgres": [
                Panel("Up", {"{{app}}": "pg_up"}, kind="stat"),
                Panel(
                    "Connections and max_connections",
                    {
                        "{{datname}}": "sum by (datname) (pg_stat_activity_count)",
                        "max_connections": "pg_settings_max_connections",
                    },
                ),
                Panel(
                    "Database size",
                    {"{{datname}}": 'pg_database_size_bytes{datname!~"template.*"}'},
                    unit="bytes",
                ),
                Panel(
                    "Commits per second by database",
                    {"{{datname}}": per_second("pg_stat_database_xact_commit", "datname")},
                    unit="ops",
                ),
            ],
            "Volumes": [
                Panel(
                    "Free space by volume",
                    {"{{volume}}": "dp:volume_free:ratio"},
                    unit="percentunit",
                    description="Each claim on clusters (kubelet); the state dir's filesystem "
                    "on the stack. VolumeNearlyFull pages under 10 %.",
                ),
            ],
        },
    ),
]


def _panel(panel: Panel) -> db.Panel:
    builder = (stat.Panel() if panel.kind == "stat" else timeseries.Panel()).title(panel.title)
    builder = builder.datasource(PROMETHEUS).unit(panel.unit).height(8).span(8)
    if panel.description:
        builder = builder.description(panel.description)
    for i, (legend, expr) in enumerate(panel.queries.items()):
        query = prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(chr(ord("A") + i))
        builder = builder.with_target(query)
    return builder


def render(board: Board) -> str:
    builder = (
        db.Dashboard(board.title)
        .uid(board.uid)
        .description(board.description)
        .tags(["data-platform"])
        .refresh("30s")
        .time("now-6h", "now")
        .timezone("utc")
    )
    for row, panels in board.rows.items():
        builder = builder.with_row(db.Row(row))
        for panel in panels:
            builder = builder.with_panel(_panel(panel))
    return json.dumps(builder.build(), cls=JSONEncoder, indent=2, sort_keys=True) + "\n"


def main() -> int:
    check = "--check" in sys.argv[1:]
    stale = []
    for board in BOARDS:
        path = OUT / f"{board.uid.removeprefix('dp-')}.json"
        text = render(board)
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(str(path))
        else:
            path.write_text(text)
            print(f"wrote {path}")
    if stale:
        print("stale (run `make dashboards`): " + ", ".join(stale))
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())

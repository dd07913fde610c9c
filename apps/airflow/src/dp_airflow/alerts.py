"""Deadline alerts: a DAG run that misses its deadline is logged and counted for Prometheus.

DAGs name this callback by its path (`dp_airflow.alerts.deadline_missed`); it runs in the
triggerer, which has this package, never the DAGs repository's code.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("dp_airflow.alerts")


async def deadline_missed(context: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """Log the missed deadline and increment `dp.deadline_missed.<dag_id>` (StatsD).

    Airflow passes `context` with the run as its REST API shows it (`dag_run`: a dict).
    """
    from airflow.stats import Stats

    dag_run = (context or {}).get("dag_run") or {}
    dag_id, run_id = dag_run.get("dag_id", "unknown"), dag_run.get("dag_run_id", "unknown")
    Stats.incr(f"dp.deadline_missed.{dag_id}")
    log.warning("deadline_missed dag_id=%s run_id=%s", dag_id, run_id)

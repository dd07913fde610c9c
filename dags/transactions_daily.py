"""transactions_daily: the day's transactions from the source to the curated zone.

generate (the source system's export) → ingest → stage (Spark) → validate (Great Expectations;
quarantined rows counted in the task's output) → curate (Spark). Each zone a task writes is an
Asset, so the curated zone's update schedules `fraud_model`.
"""

from __future__ import annotations

from airflow.sdk import Param, chain
from platform_interface import CURATED, RAW, STAGING, platform_dag, schedule, step

with platform_dag(
    "transactions_daily",
    "Transactions: source → raw → staging → checks → curated",
    schedule=schedule("@daily"),
    tags=["pipeline"],
    # The source's export: how many transactions over how many days (a run's conf overrides).
    params={
        "rows": Param(200_000, type="integer", minimum=100),
        "days": Param(30, type="integer", minimum=1),
    },
) as dag:
    chain(
        step("generate", "generate", "--rows", "{{ params.rows }}", "--days", "{{ params.days }}"),
        step("ingest", "ingest", outlets=[RAW]),
        step("stage", "stage", outlets=[STAGING]),
        step("validate", "validate"),
        step("curate", "curate", outlets=[CURATED]),
    )

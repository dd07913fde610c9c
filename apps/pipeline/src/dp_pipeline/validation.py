"""Run a suite on a frame with Great Expectations and split rows into passing and quarantined."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import great_expectations as gx
import pandas as pd
from great_expectations.data_context.types.base import ProgressBarsConfig

REASON_SEPARATOR = ";"


@dataclass(frozen=True)
class SuiteRun:
    """A suite's outcome: the stored summary and, per row index, the reasons it failed."""

    summary: dict[str, Any]
    failures: dict[int, list[str]]

    @property
    def success(self) -> bool:
        return bool(self.summary["success"])


def run_suite(suite: gx.ExpectationSuite, frame: pd.DataFrame) -> SuiteRun:
    """Validate `frame` (indexed 0..n-1) against `suite` in an ephemeral GX context."""
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (
        context.data_sources.add_pandas("frames")
        .add_dataframe_asset(suite.name)
        .add_batch_definition_whole_dataframe("whole")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    suite = context.suites.add(suite)
    result = batch.validate(suite, result_format={"result_format": "COMPLETE"}).to_json_dict()
    failures: dict[int, list[str]] = {}
    for outcome in result["results"]:
        config = outcome["expectation_config"]
        reason = (config.get("meta") or {}).get("reason", config["type"])
        for index in outcome["result"].get("unexpected_index_list") or []:
            failures.setdefault(int(index), []).append(reason)
    return SuiteRun(summary=summarise(result, len(frame)), failures=failures)


def summarise(result: dict[str, Any], rows: int) -> dict[str, Any]:
    """What is stored beside the data: per expectation its outcome and counts, not every row."""
    expectations = []
    for outcome in result["results"]:
        config = outcome["expectation_config"]
        detail = outcome["result"]
        expectations.append(
            {
                "type": config["type"],
                "kwargs": {k: v for k, v in config["kwargs"].items() if k != "batch_id"},
                "reason": (config.get("meta") or {}).get("reason"),
                "success": outcome["success"],
                "unexpected_count": detail.get("unexpected_count", 0),
                "observed_value": detail.get("observed_value"),
                "partial_unexpected_list": (detail.get("partial_unexpected_list") or [])[:10],
            }
        )
    return {
        "suite": result["suite_name"],
        "success": result["success"],
        "rows": rows,
        "statistics": result["statistics"],
        "expectations": expectations,
    }


def split(frame: pd.DataFrame, run: SuiteRun) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows with no failure, and the others with a `reason` column (codes joined by ';')."""
    failed = pd.Series(
        {i: REASON_SEPARATOR.join(sorted(set(r))) for i, r in run.failures.items()}, dtype=object
    )
    bad_mask = frame.index.isin(failed.index)
    quarantined = frame[bad_mask].assign(reason=failed.reindex(frame.index[bad_mask]).to_numpy())
    return frame[~bad_mask], quarantined

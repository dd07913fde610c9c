"""raw → curated on the object store, checked with the store's own clients."""

from __future__ import annotations

import json
from typing import Any

import pyarrow.dataset as ds
import pytest

from dp_core.resources import Resources
from dp_core.storage import Zone

DATASETS = {
    Zone.RAW: "transactions",
    Zone.STAGING: "transactions",
    Zone.QUARANTINE: "transactions",
    Zone.CURATED: "customer_features",
}


def _rows(resources: Resources, zone: Zone) -> int:
    store = resources.store
    uri = store.uri(zone, DATASETS[zone])
    fmt = "csv" if zone is Zone.RAW else "parquet"
    files = store.list_files(uri, f".{fmt}")
    return ds.dataset(files, format=fmt, filesystem=store.fs).count_rows()


def test_row_counts_per_zone_match_the_report(flow: dict[str, Any], resources: Resources) -> None:
    rows = flow["rows"]
    assert _rows(resources, Zone.RAW) == rows["raw"]
    assert _rows(resources, Zone.STAGING) == rows["staging"]
    assert _rows(resources, Zone.QUARANTINE) == rows["quarantined"]
    assert _rows(resources, Zone.CURATED) == rows["curated"] == rows["staging"]
    assert rows["raw"] == rows["staging"] + rows["quarantined"] + rows["duplicates"]
    assert rows["duplicates"] > 0


def test_every_defect_the_generator_injected_is_accounted_for(
    flow: dict[str, Any], resources: Resources
) -> None:
    """Expected from the generator's contract, not from the validation's own counts: 2 % of the
    rows are defects, split evenly over five kinds; a replayed id is a duplicate, the four other
    kinds (missing field, negative amount, bad currency, unparsable time) are quarantined."""
    generated = flow["generated"]
    per_kind = int(generated["clean_rows"] * 0.02) // 5
    assert generated["defects_per_kind"] == per_kind
    assert _rows(resources, Zone.RAW) == generated["clean_rows"] + per_kind
    assert _rows(resources, Zone.QUARANTINE) == 4 * per_kind
    assert _rows(resources, Zone.STAGING) == generated["clean_rows"] - 4 * per_kind


def test_every_quarantined_row_has_a_known_reason(
    flow: dict[str, Any], resources: Resources
) -> None:
    store = resources.store
    quarantine = store.read_parquet(store.uri(Zone.QUARANTINE, "transactions"), columns=["reason"])
    reasons = quarantine["reason"].str.split(";").explode().value_counts().to_dict()
    assert reasons == flow["quarantine_reasons"]
    assert {
        "negative_amount",
        "unknown_currency",
        "unparsable_timestamp",
        "missing_customer_id",
    } <= set(reasons)


@pytest.mark.requires("s3")
def test_zones_are_buckets_with_date_partitions(flow: dict[str, Any], resources: Resources) -> None:
    from minio import Minio

    keys = resources.s3_credentials
    endpoint = resources.settings.storage.endpoint_url or ""
    client = Minio(endpoint.split("://")[-1], keys["access_key"], keys["secret_key"], secure=False)
    raw = [
        o.object_name for o in client.list_objects("dp-raw", prefix="transactions/", recursive=True)
    ]
    # One file per generated day (the stack's flow generates 14, the kind overlay's Job 30).
    days = flow["generated"]["days"]
    assert len(raw) == days
    assert len({name.split("/")[1] for name in raw}) == days
    assert all(name.split("/")[1].startswith("date=2026-") for name in raw)
    curated = list(client.list_objects("dp-curated", prefix="customer_features/", recursive=True))
    assert any(o.object_name.endswith(".parquet") for o in curated)


def test_expectation_results_are_stored_beside_the_data(
    flow: dict[str, Any], resources: Resources
) -> None:
    store = resources.store
    staging = json.loads(
        store.read_text(store.uri(Zone.STAGING, "transactions", "_validation", "staging.json"))
    )
    curated = json.loads(
        store.read_text(store.uri(Zone.CURATED, "customer_features", "_validation", "curated.json"))
    )
    assert staging["suite"] == "staging"
    assert not staging["success"]
    failed = {
        e["reason"]: e["unexpected_count"] for e in staging["expectations"] if not e["success"]
    }
    assert sum(failed.values()) >= flow["rows"]["quarantined"]
    assert curated["success"]
    assert curated["statistics"]["evaluated_expectations"] == len(curated["expectations"])

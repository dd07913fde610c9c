"""Land generated files in the raw zone, keeping their date partitions."""

from __future__ import annotations

from typing import Any

from dp_core.progress import progress
from dp_core.resources import Resources
from dp_core.storage import Zone
from dp_pipeline.generate import landing_dir
from dp_pipeline.schema import TRANSACTIONS


def ingest(resources: Resources) -> dict[str, Any]:
    """Replace `raw/transactions` with the landed files; says how many files were copied."""
    landed = landing_dir(resources) / TRANSACTIONS
    files = sorted(landed.glob("date=*/*.csv"))
    if not files:
        raise FileNotFoundError(f"nothing to ingest under {landed}; run generate")
    store = resources.store
    target = store.uri(Zone.RAW, TRANSACTIONS)
    store.remove(target)
    with progress() as bar:
        task = bar.add_task("ingest → raw", total=len(files))
        for file in files:
            store.put_file(str(file), f"{target}/{file.parent.name}/{file.name}")
            bar.advance(task)
    return {"files": len(files)}

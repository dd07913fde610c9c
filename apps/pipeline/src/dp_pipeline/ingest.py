"""Land generated files in the raw zone, keeping their date partitions."""

from __future__ import annotations

from pathlib import Path

from dp_core.progress import progress
from dp_core.storage import ObjectStore, Zone
from dp_pipeline.schema import TRANSACTIONS


def ingest(landing_dir: Path, store: ObjectStore) -> int:
    """Replace `raw/transactions` with the landed files; returns how many files were copied."""
    files = sorted((landing_dir / TRANSACTIONS).glob("date=*/*.csv"))
    if not files:
        raise FileNotFoundError(
            f"nothing to ingest under {landing_dir / TRANSACTIONS}; run generate"
        )
    target = store.uri(Zone.RAW, TRANSACTIONS)
    store.remove(target)
    with progress() as bar:
        task = bar.add_task("ingest → raw", total=len(files))
        for file in files:
            store.put_file(str(file), f"{target}/{file.parent.name}/{file.name}")
            bar.advance(task)
    return len(files)

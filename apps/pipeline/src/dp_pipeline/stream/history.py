"""The transactions the stream computes online features over: the batch flow's and the streamed.

A customer's online state after the stream must be what training sees: the curated definition
(`curate.transform`) over all of that customer's transactions, those the batch flow staged and
those streamed since. `History` holds both (deduplicated by transaction id), knows which
transactions it has already taken (a replayed or re-sent event changes nothing), where the
event-time watermark stands, and which rows decide a customer's state after its latest event.
"""

from __future__ import annotations

import time

import pandas as pd

from dp_core.storage import ObjectStore, Zone
from dp_pipeline.curate import WINDOWS
from dp_pipeline.schema import TRANSACTIONS
from dp_pipeline.validate import results_uri

COLUMNS = ["transaction_id", "customer_id", "merchant_id", "amount", "event_timestamp"]
STREAM_DATASET = "transactions_stream"
LONGEST_WINDOW = pd.Timedelta(seconds=max(WINDOWS.values()))


class History:
    def __init__(self, batch: pd.DataFrame, streamed: pd.DataFrame) -> None:
        self._batch = _events([batch])
        self._streamed = _events([streamed])
        self._ids = set(self._batch["transaction_id"]) | set(self._streamed["transaction_id"])
        stamps = self._streamed["event_timestamp"]
        self.newest_streamed: pd.Timestamp | None = stamps.max() if len(stamps) else None

    @classmethod
    def load(cls, store: ObjectStore) -> History:
        """Staging's transactions (the batch flow's) and the stream's raw zone, where present."""
        return cls(_read(store, Zone.STAGING, TRANSACTIONS), _read(store, Zone.RAW, STREAM_DATASET))

    def __len__(self) -> int:
        return len(self._batch) + len(self._streamed)

    def replace_batch(self, batch: pd.DataFrame) -> None:
        """The batch flow staged its transactions again: take them in place of the old ones."""
        self._batch = _events([batch])
        self._ids = set(self._batch["transaction_id"]) | set(self._streamed["transaction_id"])

    def known(self, transaction_ids: pd.Series) -> pd.Series:
        """True where a transaction is already in the history."""
        return transaction_ids.isin(self._ids)

    def too_late(self, stamps: pd.Series, lateness: pd.Timedelta) -> pd.Series:
        """True where an event is older than the newest streamed one by more than `lateness`."""
        if self.newest_streamed is None:
            return pd.Series(False, index=stamps.index)
        return stamps < self.newest_streamed - lateness

    def add(self, rows: pd.DataFrame) -> None:
        """Take streamed transactions the history does not hold yet."""
        new = _events([rows])
        new = new[~self.known(new["transaction_id"])]
        if new.empty:
            return
        self._streamed = _events([self._streamed, new])
        self._ids.update(new["transaction_id"])
        newest = new["event_timestamp"].max()
        if self.newest_streamed is None or newest > self.newest_streamed:
            self.newest_streamed = newest

    def deciding(self, customers: set[str]) -> pd.DataFrame:
        """Each customer's rows that decide its state after its latest event: those within the
        longest window before that event, and the one before them (for the gap since it)."""
        rows = _events([f[f["customer_id"].isin(customers)] for f in (self._batch, self._streamed)])
        rows = rows.sort_values(["customer_id", "event_timestamp"])
        latest = rows.groupby("customer_id")["event_timestamp"].transform("max")
        inside = rows["event_timestamp"] > latest - LONGEST_WINDOW
        before = inside.groupby(rows["customer_id"]).shift(-1, fill_value=False) & ~inside
        return rows[inside | before].reset_index(drop=True)


class BatchWatch:
    """Tells when the batch flow staged its transactions again (the staging suite's results file,
    rewritten by every `dp validate`, changed), looking at most every `every_s` seconds."""

    def __init__(self, store: ObjectStore, every_s: float = 10.0) -> None:
        self.store = store
        self.every_s = every_s
        self._marker = results_uri(store, Zone.STAGING, TRANSACTIONS, "staging")
        self._seen = self._version()
        self._checked = time.monotonic()

    def changed(self) -> bool:
        if time.monotonic() - self._checked < self.every_s:
            return False
        self._checked = time.monotonic()
        version = self._version()
        if version == self._seen:
            return False
        self._seen = version
        return True

    def read(self) -> pd.DataFrame:
        return _read(self.store, Zone.STAGING, TRANSACTIONS)

    def _version(self) -> str | None:
        if not self.store.exists(self._marker):
            return None
        return str(self.store.fs.checksum(self.store.path(self._marker)))


def _events(frames: list[pd.DataFrame]) -> pd.DataFrame:
    usable = [f[COLUMNS] for f in frames if not f.empty]
    if not usable:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS}).assign(
            event_timestamp=pd.Series(dtype="datetime64[us, UTC]")
        )
    events = pd.concat(usable, ignore_index=True).drop_duplicates("transaction_id")
    return events.assign(event_timestamp=pd.to_datetime(events["event_timestamp"], utc=True))


def _read(store: ObjectStore, zone: Zone, dataset: str) -> pd.DataFrame:
    uri = store.uri(zone, dataset)
    if not store.list_files(uri, ".parquet"):
        return pd.DataFrame(columns=COLUMNS)
    return store.read_parquet(uri, columns=COLUMNS)

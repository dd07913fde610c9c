"""The object store: zones as logical locations, one fsspec filesystem for every target."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any

import fsspec
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


class Zone(StrEnum):
    """The lake's zones, in the order data moves through them."""

    RAW = "raw"
    STAGING = "staging"
    CURATED = "curated"
    QUARANTINE = "quarantine"


@dataclass(frozen=True)
class ObjectStore:
    """Zones on a local folder (`file://`) or an S3 server (`s3://`), addressed the same way."""

    zone_uri: str
    storage_options: dict[str, Any]

    def uri(self, zone: Zone, *parts: str) -> str:
        """The URI of `parts` inside `zone`, e.g. `uri(Zone.RAW, "transactions")`."""
        return "/".join([self.zone_uri.format(zone=zone.value), *parts])

    def spark_uri(self, zone: Zone, *parts: str) -> str:
        """The same location as Spark's Hadoop filesystems name it (s3a for S3)."""
        uri = self.uri(zone, *parts)
        return "s3a://" + uri.removeprefix("s3://") if uri.startswith("s3://") else uri

    @cached_property
    def fs(self) -> fsspec.AbstractFileSystem:
        """The filesystem behind every zone."""
        protocol = fsspec.utils.get_protocol(self.zone_uri)
        return fsspec.filesystem(protocol, **self.storage_options)

    def path(self, uri: str) -> str:
        """A URI without its scheme, as fsspec and pyarrow filesystems take it."""
        return str(fsspec.core.strip_protocol(uri))

    def exists(self, uri: str) -> bool:
        # Other processes write the zones: never answer from a cached listing.
        self.fs.invalidate_cache()
        return bool(self.fs.exists(self.path(uri)))

    def remove(self, uri: str) -> None:
        """Delete a file or folder if it exists (steps overwrite their outputs whole)."""
        if self.exists(uri):
            self.fs.rm(self.path(uri), recursive=True)

    def put_file(self, local_path: str, uri: str) -> None:
        self.fs.makedirs(self.path(uri).rsplit("/", 1)[0], exist_ok=True)
        self.fs.put_file(local_path, self.path(uri))

    def write_text(self, uri: str, text: str) -> None:
        self.fs.makedirs(self.path(uri).rsplit("/", 1)[0], exist_ok=True)
        with self.fs.open(self.path(uri), "w") as handle:
            handle.write(text)

    def read_text(self, uri: str) -> str:
        with self.fs.open(self.path(uri), "r") as handle:
            return str(handle.read())

    def list_files(self, uri: str, suffix: str = "") -> list[str]:
        """Every file below `uri` whose name ends with `suffix`, sorted."""
        if not self.exists(uri):
            return []
        found = self.fs.find(self.path(uri))
        return sorted(
            p for p in found if p.endswith(suffix) and p.rsplit("/", 1)[-1][0] not in "_."
        )

    def read_parquet(self, uri: str, columns: list[str] | None = None) -> pd.DataFrame:
        """A (hive-partitioned) parquet dataset as one frame."""
        self.fs.invalidate_cache()
        table = pq.read_table(self.path(uri), filesystem=self.fs, columns=columns)
        return table.to_pandas()

    def write_parquet(self, frame: pd.DataFrame, uri: str, partition_by: list[str]) -> None:
        """Replace the dataset at `uri` with `frame`, hive-partitioned by `partition_by`."""
        self.remove(uri)
        table = pa.Table.from_pandas(frame, preserve_index=False)
        pq.write_to_dataset(
            table,
            self.path(uri),
            partition_cols=partition_by,
            filesystem=self.fs,
            basename_template="part-{i}.parquet",
            coerce_timestamps="us",
            allow_truncated_timestamps=True,
        )

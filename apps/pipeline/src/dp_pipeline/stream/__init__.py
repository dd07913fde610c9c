"""Stream (Spark Structured Streaming): transactions → raw zone, dead letters, online features.

Each micro-batch (`foreachBatch`, `batch.StreamJob.process`):
1. parses the JSON messages (schema version 1, `parse`); what does not parse goes to the
   dead-letter topic;
2. types and deduplicates them with the batch `stage` transform and checks them with the batch
   `staging` suite; failing rows go to the dead-letter topic with their reasons;
3. writes valid rows to `raw/transactions_stream/date=…/batch-<id>.parquet` (a replayed batch
   rewrites the same files, so the zone holds each event exactly once);
4. recomputes the affected customers' features with the batch `curate` transform over their
   streamed events and pushes them to the online store through Feast's push source.
The checkpoint lives on the object store, so a restarted job resumes where the last one committed.
`health` serves `/healthz` with the last batch and the lag; `query` wires it all to Kafka.
"""

from dp_pipeline.stream.query import run_stream

__all__ = ["run_stream"]

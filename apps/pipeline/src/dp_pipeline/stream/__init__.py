"""Stream (Spark Structured Streaming): transactions → raw zone, dead letters, online features.

Each micro-batch (`foreachBatch`, `batch.StreamJob.process`):
1. parses the JSON messages (schema version 1, `parse`); what does not parse goes to the
   dead-letter topic;
2. types and deduplicates them with the batch `stage` transform and checks them with the batch
   `staging` suite; failing rows go to the dead-letter topic with their reasons, and so do events
   older than the newest streamed one by more than `kafka.stream_allowed_lateness_s`
   (`too_late`); a transaction already taken (a replay, a re-send) is counted and dropped;
3. recomputes the affected customers' features with the batch `curate` transform over their
   whole history — the batch flow's staged transactions plus the streamed ones (`history`) — and
   writes each one's current state to the online store, replacing what is there;
4. writes the valid rows to `raw/transactions_stream/date=…/part-<topic>-<partition>-<first
   offset>.parquet`; a transaction is written once, so no file is ever written twice;
5. sends the dead letters: the original key and bytes, with reason and source in headers.
The checkpoint lives on the object store, so a restarted job resumes where the last one committed.
`health` serves `/healthz` with the last batch, the phase of the current one and the lag;
`query` wires it all to Kafka; `dp dlq replay` re-publishes dead letters (`dp_pipeline.dlq`).
"""

from dp_pipeline.stream.query import run_stream

__all__ = ["run_stream"]

"""The API's Prometheus metrics, in a registry of its own."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, values


def use_in_process_values() -> None:
    """Keep metric values in memory, per process.

    Importing Feast sets PROMETHEUS_MULTIPROC_DIR, which makes prometheus_client keep values in
    shared mmap files: every registry in the process then sees the sum of all same-named metrics.
    The API runs one process per pod and scrapes it directly, so it wants plain values.
    """
    values.ValueClass = values.MutexValue


class ApiMetrics:
    def __init__(self) -> None:
        use_in_process_values()
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "dp_api_request_seconds",
            "Request latency by route and status.",
            ["method", "route", "status"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=self.registry,
        )
        self.predictions = Counter(
            "dp_api_predictions", "Predictions by decision.", ["decision"], registry=self.registry
        )
        self.errors = Counter(
            "dp_api_errors", "Error answers by kind.", ["kind"], registry=self.registry
        )
        self.events_sent = Counter(
            "dp_api_prediction_events_sent",
            "Prediction events Kafka acknowledged.",
            registry=self.registry,
        )
        self.events_dropped = Counter(
            "dp_api_prediction_events_dropped",
            "Prediction events not delivered (Kafka down, queue full).",
            ["reason"],
            registry=self.registry,
        )
        self.cold_starts = Counter(
            "dp_api_cold_starts",
            "Predictions for customers without features.",
            registry=self.registry,
        )
        self.model_batch_rows = Histogram(
            "dp_api_model_batch_rows",
            "Rows per request to the model server (concurrent predictions scored together).",
            buckets=(1, 2, 4, 8, 16, 32, 64),
            registry=self.registry,
        )

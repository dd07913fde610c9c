"""The platform's services, declared once: name, port and how a client addresses them.

Everything that needs a port reads it from here, directly or through settings: the settings of
every target (`Settings.endpoints`), the stack supervisor, the e2e targets, the load-test defaults.
What cannot import Python (the Kubernetes manifests' `platform.env` and Service ports) is checked
against this table by `tests/test_endpoints.py`. The name is the workload's name everywhere: the
stack service, the Kubernetes Service and Deployment, the Tilt resource.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Scheme = Literal["http", "grpc", "postgresql", "redis", "kafka", "udp"]


@dataclass(frozen=True)
class Endpoint:
    name: str
    port: int
    scheme: Scheme
    what: str

    def address(self, host: str, port: int | None = None) -> str:
        return f"{host}:{port or self.port}"

    def url(self, host: str, port: int | None = None) -> str:
        return f"{self.scheme}://{self.address(host, port)}"


ENDPOINTS: dict[str, Endpoint] = {
    e.name: e
    for e in (
        Endpoint("openbao", 18200, "http", "secrets (Vault API)"),
        Endpoint("seaweedfs", 18333, "http", "object store (S3 API)"),
        Endpoint("postgres", 18432, "postgresql", "MLflow's and Feast's databases"),
        Endpoint("redis", 18379, "redis", "Feast's online store"),
        Endpoint("redis-exporter", 18121, "http", "Redis's metrics (exporter)"),
        Endpoint("postgres-exporter", 18187, "http", "Postgres's metrics (exporter)"),
        Endpoint("node-exporter", 18100, "http", "the state dir's filesystem (stack only)"),
        Endpoint("kafka", 19092, "kafka", "event streaming (broker listener)"),
        Endpoint("kafka-controller", 19093, "kafka", "Kafka's KRaft controller (stack only)"),
        Endpoint("kafka-external", 19094, "kafka", "Kafka's listener for port-forwarded clients"),
        Endpoint("kafka-2", 19192, "kafka", "the stack's second broker (`kafka.brokers`)"),
        Endpoint("kafka-2-controller", 19193, "kafka", "its KRaft controller (stack only)"),
        Endpoint("kafka-3", 19292, "kafka", "the stack's third broker (`kafka.brokers`)"),
        Endpoint("kafka-3-controller", 19293, "kafka", "its KRaft controller (stack only)"),
        Endpoint("mlflow", 18500, "http", "tracking server and model registry"),
        Endpoint("prometheus", 18090, "http", "metrics"),
        Endpoint("alertmanager", 18093, "http", "alert routing (Prometheus's alerts)"),
        Endpoint("grafana", 18300, "http", "dashboards (cluster only)"),
        Endpoint("serving", 18080, "http", "model server (Open Inference Protocol v2)"),
        Endpoint("serving-grpc", 18081, "grpc", "model server's v2 gRPC (`model_server.grpc`)"),
        Endpoint("api", 18000, "http", "backend API"),
        Endpoint("stream", 18091, "http", "streaming job's health"),
        Endpoint("airflow", 18070, "http", "orchestrator (Airflow api-server: UI and REST API)"),
        Endpoint("airflow-metrics", 18102, "http", "Airflow's metrics (StatsD exporter)"),
        Endpoint("airflow-statsd", 18125, "udp", "Airflow's StatsD sink (the exporter's input)"),
    )
}

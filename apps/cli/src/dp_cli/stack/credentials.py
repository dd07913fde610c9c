"""Dev credentials: generated once per state directory, never committed, seeded into OpenBao.

The OpenBao dev server keeps secrets in memory, so the generated values also live in
`<state>/stack/credentials.json` (mode 0600) and are written to OpenBao at every `dp stack up`.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Credentials:
    bao_token: str
    s3_access_key: str
    s3_secret_key: str
    postgres_user: str
    postgres_password: str
    api_key_dev: str = field(default_factory=lambda: new_api_key())
    redis_reader_password: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    redis_writer_password: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    # Postgres: each database's own role (the MLflow server; Feast's registry, written by `dp
    # features`), and a read-only role for the registry's other readers.
    postgres_mlflow_password: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    postgres_feast_password: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    postgres_feast_reader_password: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    # The stores' exporters: Redis's `metrics` user, Postgres's `metrics` role (pg_monitor).
    redis_metrics_password: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    postgres_metrics_password: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    # Kafka's SASL users: `admin` (super user: the brokers, topics, the operator's `dp`), one per
    # workload that talks to Kafka; `controller` is the brokers' own login to the KRaft quorum.
    kafka_admin_password: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    kafka_controller_password: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    kafka_api_password: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    kafka_stream_password: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    airflow_admin_password: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    airflow_db_password: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    airflow_fernet_key: str = field(
        default_factory=lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    )
    airflow_jwt_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    airflow_api_secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    def kv(self) -> dict[str, dict[str, str]]:
        """The secrets as OpenBao paths (under the KV mount) and their key/value pairs."""
        return {
            "s3": {"access_key": self.s3_access_key, "secret_key": self.s3_secret_key},
            # Feast's registry: `feast` owns it (dp features), `feast_reader` reads it.
            "postgres/feast": {"user": "feast", "password": self.postgres_feast_password},
            "postgres/feast-reader": {
                "user": "feast_reader",
                "password": self.postgres_feast_reader_password,
            },
            # The API's clients: `dev` is the developer's own (samples, e2e, load tests).
            "api-keys": {"dev": self.api_key_dev},
            # Redis ACL users: the API reads, materialisation and the stream write.
            "redis/reader": {"password": self.redis_reader_password},
            "redis/writer": {"password": self.redis_writer_password},
            # Kafka SCRAM users (ACLs in k8s/base/kafka/acls.txt).
            "kafka/admin": {"password": self.kafka_admin_password},
            "kafka/api": {"password": self.kafka_api_password},
            "kafka/stream": {"password": self.kafka_stream_password},
            # Airflow's runtime: its admin user, its database user, its own keys.
            "airflow": {
                "admin_password": self.airflow_admin_password,
                "db_password": self.airflow_db_password,
                "fernet_key": self.airflow_fernet_key,
                "jwt_secret": self.airflow_jwt_secret,
                "api_secret_key": self.airflow_api_secret_key,
            },
        }

    def postgres_roles(self) -> dict[str, str]:
        """Every login role but the admin's, with its password."""
        return {
            "mlflow": self.postgres_mlflow_password,
            "feast": self.postgres_feast_password,
            "feast_reader": self.postgres_feast_reader_password,
            "metrics": self.postgres_metrics_password,
        }


def new_api_key() -> str:
    return f"dpk_{secrets.token_urlsafe(32)}"


def load_or_create(folder: Path) -> Credentials:
    path = folder / "credentials.json"
    if path.exists():
        loaded = Credentials(**json.loads(path.read_text()))
        path.write_text(json.dumps(asdict(loaded), indent=2))  # values added since are kept
        return loaded
    folder.mkdir(parents=True, exist_ok=True)
    created = Credentials(
        bao_token=f"dev-{secrets.token_hex(16)}",
        s3_access_key=f"dp{secrets.token_hex(8)}",
        s3_secret_key=secrets.token_urlsafe(30),
        postgres_user="dp",
        postgres_password=secrets.token_urlsafe(24),
    )
    path.touch(mode=0o600)
    path.write_text(json.dumps(asdict(created), indent=2))
    token = folder / "bao-token"
    token.touch(mode=0o600)
    token.write_text(created.bao_token)
    return created

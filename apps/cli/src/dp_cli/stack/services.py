"""The stack's services: how each is prepared, started, checked and bootstrapped."""

from __future__ import annotations

import base64
import json
import os
import shutil
import stat
import sys
import uuid
from pathlib import Path
from typing import Any

from dp_cli.stack.airflow import AIRFLOW_SERVICES
from dp_cli.stack.base import (
    MissingTool,
    Service,
    StackContext,
    StateMismatch,
    as_service_user,
    http_ok,
    tcp_open,
    tool,
)
from dp_cli.stack.credentials import Credentials
from dp_cli.stack.kafka_access import apply_kafka_access, read_acls
from dp_cli.stack.openbao import mint_token, token_file, write_policies
from dp_core.kafka import SCRAM
from dp_core.resources import Resources
from dp_core.settings import kafka_brokers

REDIS_MAXMEMORY = "384mb"  # as k8s/base/redis: its pod's limit is 512 MiB
BUCKETS = ("dp-raw", "dp-staging", "dp-curated", "dp-quarantine", "dp-mlflow")
DATABASES = ("mlflow", "feast")


# --- OpenBao ---------------------------------------------------------------------------------

OUR_SERVICES = ("serving", "api", "stream")


def _openbao_seed(ctx: StackContext) -> None:
    """The secrets, every workload's policy, and a token per service of ours with its policy."""
    import hvac

    client = hvac.Client(url=ctx.url("openbao"), token=ctx.creds.bao_token)
    for path, values in ctx.creds.kv().items():
        client.secrets.kv.v2.create_or_update_secret(
            path=path, secret=values, mount_point=ctx.settings.secrets.mount
        )
    write_policies(client, ctx.repo)
    for service in OUR_SERVICES:
        held = token_file(ctx.root, service)
        held.parent.mkdir(parents=True, exist_ok=True)
        held.touch(mode=0o600)
        held.write_text(mint_token(client, service))


OPENBAO = Service(
    name="openbao",
    url=lambda ctx: ctx.url("openbao"),
    command=lambda ctx: [
        tool("bao"),
        "server",
        "-dev",
        f"-dev-root-token-id={ctx.creds.bao_token}",
        f"-dev-listen-address=127.0.0.1:{ctx.port('openbao')}",
    ],
    healthy=lambda ctx: http_ok(f"{ctx.url('openbao')}/v1/sys/health"),
    bootstrap=_openbao_seed,
)

# --- SeaweedFS (S3) --------------------------------------------------------------------------


def _seaweedfs_config(ctx: StackContext) -> Path:
    identity = {
        "name": "data-platform",
        "credentials": [
            {"accessKey": ctx.creds.s3_access_key, "secretKey": ctx.creds.s3_secret_key}
        ],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }
    path = ctx.root / "seaweedfs-s3.json"
    path.touch(mode=0o600)
    path.write_text(json.dumps({"identities": [identity]}))
    return path


def _seaweedfs_command(ctx: StackContext) -> list[str]:
    s3 = ctx.port("seaweedfs")
    return [
        tool("weed"),
        "mini",
        f"-dir={ctx.data('seaweedfs')}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-master.port={s3 + 1000}",
        f"-volume.port={s3 + 1001}",
        f"-filer.port={s3 + 1002}",
        f"-s3.port={s3}",
        f"-s3.config={_seaweedfs_config(ctx)}",
        "-webdav=false",
        "-admin.ui=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
    ]


def _create_buckets(ctx: StackContext) -> None:
    from minio import Minio

    client = Minio(
        f"127.0.0.1:{ctx.port('seaweedfs')}",
        access_key=ctx.creds.s3_access_key,
        secret_key=ctx.creds.s3_secret_key,
        secure=False,
    )
    for bucket in BUCKETS:
        if not client.bucket_exists(bucket):
            client.make_bucket(bucket)


def _s3_healthy(ctx: StackContext) -> bool:
    s3 = ctx.url("seaweedfs")
    return http_ok(f"{s3}/healthz") or (tcp_open(ctx.port("seaweedfs")) and http_ok(f"{s3}/status"))


SEAWEEDFS = Service(
    name="seaweedfs",
    url=lambda ctx: ctx.url("seaweedfs"),
    command=_seaweedfs_command,
    healthy=_s3_healthy,
    bootstrap=_create_buckets,
    start_timeout_s=90,
)

# --- Postgres --------------------------------------------------------------------------------


def _postgres_bin(name: str) -> str:
    return tool(name, f"/usr/lib/postgresql/*/bin/{name}")


def _postgres_prepare(ctx: StackContext) -> None:
    import subprocess

    data = ctx.data("postgres")
    sockets = ctx.data("postgres-sockets")
    if os.geteuid() == 0:
        _let_others_traverse(ctx.root)
        for path in (data, sockets, ctx.root / "data"):
            shutil.chown(path, "postgres", "postgres")
    if (data / "PG_VERSION").exists():
        return
    pwfile = ctx.root / "pg-password"
    pwfile.write_text(ctx.creds.postgres_password)
    if os.geteuid() == 0:
        shutil.chown(pwfile, "postgres", "postgres")
    pwfile.chmod(0o600)
    try:
        subprocess.run(
            as_service_user(
                [
                    _postgres_bin("initdb"),
                    "-D",
                    str(data),
                    f"--username={ctx.creds.postgres_user}",
                    f"--pwfile={pwfile}",
                    "--auth=scram-sha-256",
                    "--encoding=UTF8",
                ]
            ),
            check=True,
            capture_output=True,
        )
    finally:
        pwfile.unlink()


def _let_others_traverse(folder: Path) -> None:
    """Postgres runs as its own user: it must be able to pass through every folder above its
    data (a clone under `mktemp -d` sits in a 0700 folder). Adds search permission only, never
    read, to the folders that lack it."""
    for path in (folder, *folder.parents):
        mode = path.stat().st_mode
        if not mode & stat.S_IXOTH:
            path.chmod(mode | stat.S_IXOTH)


def _postgres_databases(ctx: StackContext) -> None:
    """One login role per client, least privilege: each database is owned by its own role (the
    MLflow server's `mlflow`; `feast`, with which `dp features` writes Feast's registry) and
    reachable by no other role but `feast_reader`, which may only read the registry; `metrics`
    reads statistics views only. The admin role is this bootstrap's alone."""
    import psycopg
    from psycopg import sql

    admin = ctx.postgres_uri("postgres").replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(admin, autocommit=True) as conn:
        roles = {row[0] for row in conn.execute("SELECT rolname FROM pg_roles")}
        for role, password in ctx.creds.postgres_roles().items():
            conn.execute(
                sql.SQL("{} ROLE {} LOGIN PASSWORD {}").format(
                    sql.SQL("ALTER" if role in roles else "CREATE"),
                    sql.Identifier(role),
                    sql.Literal(password),
                )
            )
        conn.execute("GRANT pg_monitor TO metrics")
        existing = {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
        for database in DATABASES:
            name = sql.Identifier(database)
            if database not in existing:
                conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(name, name))
            conn.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(name, name))
            conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(name))
        conn.execute("GRANT CONNECT ON DATABASE feast TO feast_reader")
    for database in DATABASES:
        with psycopg.connect(admin.rsplit("/", 1)[0] + f"/{database}", autocommit=True) as conn:
            _hand_over(conn, ctx.creds.postgres_user, database)
            if database == "feast":
                conn.execute("GRANT USAGE ON SCHEMA public TO feast_reader")
                conn.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO feast_reader")
                conn.execute(
                    "ALTER DEFAULT PRIVILEGES FOR ROLE feast IN SCHEMA public "
                    "GRANT SELECT ON TABLES TO feast_reader"
                )


def _hand_over(conn: Any, admin: str, owner: str) -> None:
    """Tables, sequences and views the admin role created before (a state folder from before
    per-client roles) now belong to the database's own role."""
    from psycopg import sql

    owned = conn.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'S', 'v', 'm') "
        "AND pg_get_userbyid(c.relowner) = %s AND NOT EXISTS (SELECT 1 FROM pg_depend d "
        "WHERE d.objid = c.oid AND d.deptype IN ('a', 'i'))",
        (admin,),
    ).fetchall()
    for (relation,) in owned:
        conn.execute(
            sql.SQL("ALTER TABLE {} OWNER TO {}").format(
                sql.Identifier(relation), sql.Identifier(owner)
            )
        )


def _postgres_healthy(ctx: StackContext) -> bool:
    import psycopg

    uri = ctx.postgres_uri("postgres").replace("postgresql+psycopg", "postgresql")
    try:
        with psycopg.connect(uri, connect_timeout=2) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.OperationalError:
        return False


POSTGRES = Service(
    name="postgres",
    url=lambda ctx: ctx.url("postgres"),
    command=lambda ctx: as_service_user(
        [
            _postgres_bin("postgres"),
            "-D",
            str(ctx.data("postgres")),
            "-p",
            str(ctx.port("postgres")),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"unix_socket_directories={ctx.data('postgres-sockets')}",
        ]
    ),
    healthy=_postgres_healthy,
    prepare=_postgres_prepare,
    bootstrap=_postgres_databases,
)

POSTGRES_EXPORTER = Service(
    name="postgres-exporter",
    url=lambda ctx: ctx.url("postgres-exporter"),
    command=lambda ctx: [
        tool("prometheus-postgres-exporter"),
        f"--web.listen-address=127.0.0.1:{ctx.port('postgres-exporter')}",
    ],
    env=lambda ctx: {
        "DATA_SOURCE_URI": f"127.0.0.1:{ctx.port('postgres')}/postgres?sslmode=disable",
        "DATA_SOURCE_USER": "metrics",
        "DATA_SOURCE_PASS": ctx.creds.postgres_metrics_password,
    },
    healthy=lambda ctx: http_ok(f"{ctx.url('postgres-exporter')}/metrics"),
)

# --- Redis -----------------------------------------------------------------------------------


def _redis_acl(ctx: StackContext) -> Path:
    """Redis's users: no default user; `reader` may read (the API), `writer` may write but run
    nothing dangerous (materialisation, the stream). Passwords from the stack's credentials."""
    path = ctx.root / "redis-users.acl"
    path.touch(mode=0o600)
    creds = ctx.creds
    path.write_text(
        redis_acl(
            creds.redis_reader_password, creds.redis_writer_password, creds.redis_metrics_password
        )
    )
    return path


# What the exporter runs: INFO and the server's limits, slow log and latency; never a key.
REDIS_METRICS_COMMANDS = "-@all +@connection +info +config|get +slowlog +latency +client|list"


def redis_acl(reader_password: str, writer_password: str, metrics_password: str) -> str:
    return (
        "user default off\n"
        f"user reader on >{reader_password} ~* &* -@all +@read +@connection\n"
        f"user writer on >{writer_password} ~* &* +@all -@dangerous\n"
        f"user metrics on >{metrics_password} {REDIS_METRICS_COMMANDS}\n"
    )


def _redis_healthy(ctx: StackContext) -> bool:
    import redis

    client = redis.Redis(
        port=ctx.port("redis"),
        username="writer",
        password=ctx.creds.redis_writer_password,
        socket_timeout=1,
    )
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


REDIS = Service(
    name="redis",
    url=lambda ctx: ctx.url("redis"),
    command=lambda ctx: [
        tool("redis-server"),
        "--port",
        str(ctx.port("redis")),
        "--bind",
        "127.0.0.1",
        "--dir",
        str(ctx.data("redis")),
        "--save",
        "60 100",
        # Writes fail loudly past this (noeviction), long before the pod's memory limit.
        "--maxmemory",
        REDIS_MAXMEMORY,
        "--aclfile",
        str(_redis_acl(ctx)),
        "--daemonize",
        "no",
    ],
    healthy=_redis_healthy,
)


REDIS_EXPORTER = Service(
    name="redis-exporter",
    url=lambda ctx: ctx.url("redis-exporter"),
    command=lambda ctx: [
        tool("prometheus-redis-exporter"),
        f"-redis.addr=redis://127.0.0.1:{ctx.port('redis')}",
        f"-web.listen-address=127.0.0.1:{ctx.port('redis-exporter')}",
    ],
    env=lambda ctx: {"REDIS_USER": "metrics", "REDIS_PASSWORD": ctx.creds.redis_metrics_password},
    healthy=lambda ctx: http_ok(f"{ctx.url('redis-exporter')}/health"),
)

# The stack's volumes are folders of the state dir: their free space is its filesystem's.
NODE_EXPORTER = Service(
    name="node-exporter",
    url=lambda ctx: ctx.url("node-exporter"),
    command=lambda ctx: [
        tool("prometheus-node-exporter"),
        "--collector.disable-defaults",
        "--collector.filesystem",
        f"--web.listen-address=127.0.0.1:{ctx.port('node-exporter')}",
    ],
    healthy=lambda ctx: http_ok(f"{ctx.url('node-exporter')}/"),
)


def mount_point(path: Path) -> Path:
    """The mount point of the filesystem that holds `path`."""
    path = path.resolve()
    while not os.path.ismount(path):
        path = path.parent
    return path


# --- Kafka (KRaft: one node, or three with `kafka.brokers`) ----------------------------------

KAFKA_JARS = Path(".cache/jars/kafka")
KAFKA_ACLS = Path("k8s/base/kafka/acls.txt")


def _kafka_replication(ctx: StackContext) -> tuple[int, int]:
    """Replication factor and min.insync.replicas: with three brokers an acknowledged write is
    on two of them, so one can die (or restart) without losing it or refusing writes."""
    replicas = min(ctx.settings.kafka.brokers, 3)
    return replicas, 2 if replicas >= 3 else 1


def _kafka_properties(ctx: StackContext, node: int) -> Path:
    name = kafka_brokers(node)[-1]
    controller = f"{name}-controller"
    voters = ",".join(
        f"{i}@127.0.0.1:{ctx.port(f'{broker}-controller')}"
        for i, broker in enumerate(kafka_brokers(ctx.settings.kafka.brokers), start=1)
    )
    replicas, min_isr = _kafka_replication(ctx)
    props = {
        "process.roles": "broker,controller",
        "node.id": str(node),
        "controller.quorum.voters": voters,
        "listeners": f"BROKER://127.0.0.1:{ctx.port(name)},CONTROLLER://127.0.0.1:{ctx.port(controller)}",
        "advertised.listeners": f"BROKER://127.0.0.1:{ctx.port(name)}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "BROKER",
        **_kafka_auth_properties(ctx.creds),
        "log.dirs": str(ctx.data(name)),
        "num.partitions": "3",
        "default.replication.factor": str(replicas),
        "min.insync.replicas": str(min_isr),
        "offsets.topic.replication.factor": str(replicas),
        "transaction.state.log.replication.factor": str(replicas),
        "transaction.state.log.min.isr": str(min_isr),
        "share.coordinator.state.topic.replication.factor": str(replicas),
        "share.coordinator.state.topic.min.isr": str(min_isr),
        "group.initial.rebalance.delay.ms": "0",
        "auto.create.topics.enable": "false",
    }
    path = ctx.root / f"{name}.properties"
    path.touch(mode=0o600)  # it holds the brokers' own passwords
    path.chmod(0o600)
    path.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
    return path


def _kafka_auth_properties(creds: Credentials) -> dict[str, str]:
    """Every client authenticates (SASL/SCRAM on the broker listener, users in KRaft's metadata)
    and is authorised by ACLs; the brokers reach the quorum as `controller` (SASL/PLAIN: KRaft's
    controllers cannot read SCRAM users, which live in the metadata they serve)."""
    scram = "org.apache.kafka.common.security.scram.ScramLoginModule required"
    plain = "org.apache.kafka.common.security.plain.PlainLoginModule required"
    controller = creds.kafka_controller_password
    return {
        "listener.security.protocol.map": "BROKER:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT",
        "sasl.enabled.mechanisms": SCRAM,
        "sasl.mechanism.inter.broker.protocol": SCRAM,
        "sasl.mechanism.controller.protocol": "PLAIN",
        "listener.name.broker.scram-sha-512.sasl.jaas.config": (
            f'{scram} username="admin" password="{creds.kafka_admin_password}";'
        ),
        "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
        "listener.name.controller.plain.sasl.jaas.config": (
            f'{plain} username="controller" password="{controller}" user_controller="{controller}";'
        ),
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "super.users": "User:admin;User:controller",
        "allow.everyone.if.no.acl.found": "false",
    }


def _kafka_classpath(ctx: StackContext) -> str:
    jars = ctx.repo / KAFKA_JARS
    if not any(jars.glob("kafka_2.13-*.jar")):
        raise MissingTool(f"Kafka jars are missing under {jars}; run `make stack-setup`")
    return f"{jars}/*"


def _java(ctx: StackContext, main: str, *args: str) -> list[str]:
    log4j = ctx.repo / "dev" / "stack" / "kafka-log4j2.yaml"
    return [
        tool("java"),
        "-Xmx512m",
        f"-Dlog4j2.configurationFile={log4j}",
        "-cp",
        _kafka_classpath(ctx),
        main,
        *args,
    ]


def new_kafka_cluster_id() -> str:
    """A random id as Kafka's `Uuid.randomUuid()` makes one: URL-safe base64 of 16 bytes,
    never starting with `-` (a command line would read it as an option)."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def _kafka_cluster_id(ctx: StackContext) -> str:
    """One id for every node of the stack's cluster, made once."""
    path = ctx.root / "kafka-cluster-id"
    if not path.exists():
        path.write_text(new_kafka_cluster_id())
    return path.read_text().strip()


def _kafka_prepare(ctx: StackContext, node: int) -> None:
    """Format the node's log directory once, for the quorum of `kafka.brokers` nodes (recorded
    beside it: a quorum cannot change under formatted data)."""
    import subprocess

    properties = _kafka_properties(ctx, node)
    data = ctx.data(kafka_brokers(node)[-1])
    quorum = ctx.root / "kafka-brokers"
    brokers = ctx.settings.kafka.brokers
    if (data / "meta.properties").exists():
        formatted = int(quorum.read_text()) if quorum.exists() else 1
        if not (ctx.root / "kafka-scram").exists():
            raise StateMismatch(
                f"Kafka's data under {data.parent} was formatted before its clients had to "
                "authenticate (SASL/SCRAM): `dp stack down` and remove "
                f"{data.parent}/kafka* (the topics' messages)"
            )
        if formatted != brokers:
            raise StateMismatch(
                f"Kafka's data under {data.parent} was formatted for {formatted} broker(s) and "
                f"kafka.brokers is {brokers}: `dp stack down` and remove {data.parent}/kafka* "
                f"(the topics' messages), or keep kafka.brokers at {formatted}"
            )
        return
    quorum.write_text(str(brokers))
    subprocess.run(
        _java(
            ctx,
            "kafka.tools.StorageTool",
            "format",
            # One argument: an id of an older state folder may still start with `-`.
            f"--cluster-id={_kafka_cluster_id(ctx)}",
            "-c",
            str(properties),
            # The brokers' own SCRAM user must exist before they start; the others are added by
            # the bootstrap (and re-set there at every start: a changed password takes effect).
            "--add-scram",
            f"{SCRAM}=[name=admin,password={ctx.creds.kafka_admin_password}]",
        ),
        check=True,
        capture_output=True,
    )
    (ctx.root / "kafka-scram").touch()


def _kafka_bootstrap(ctx: StackContext) -> None:
    """The platform's topics, the workloads' SCRAM users and their ACLs (as the kafka-topics
    Job on clusters), through the admin client as `admin`."""
    from confluent_kafka.admin import NewTopic

    kafka = ctx.settings.kafka
    replicas, min_isr = _kafka_replication(ctx)
    with Resources(ctx.settings) as resources:
        admin = resources.kafka_admin
        existing = set(admin.list_topics(timeout=30).topics)
        wanted = [kafka.transactions_topic, kafka.dlq_topic, kafka.predictions_topic]
        missing = [
            NewTopic(
                t,
                num_partitions=3,
                replication_factor=replicas,
                config={"min.insync.replicas": str(min_isr)},
            )
            for t in wanted
            if t not in existing
        ]
        for future in admin.create_topics(missing).values() if missing else ():
            future.result(timeout=30)
        passwords = {"api": ctx.creds.kafka_api_password, "stream": ctx.creds.kafka_stream_password}
        apply_kafka_access(admin, passwords, read_acls(ctx.repo / KAFKA_ACLS))


def _kafka_node_healthy(ctx: StackContext, node: int) -> bool:
    """A node's broker listener opens once a quorum of controllers elected a leader, so all but
    the last node are up when their controller listens; the last when every broker does."""
    brokers = kafka_brokers(ctx.settings.kafka.brokers)
    if node < len(brokers):
        return tcp_open(ctx.port(f"{brokers[node - 1]}-controller"))
    return all(tcp_open(ctx.port(broker)) for broker in brokers)


def kafka_node(node: int) -> Service:
    """Broker (and controller) `node` of the stack's cluster; the last one up creates the topics."""
    name = kafka_brokers(node)[-1]
    return Service(
        name=name,
        url=lambda ctx: ctx.url(name),
        command=lambda ctx: _java(ctx, "kafka.Kafka", str(_kafka_properties(ctx, node))),
        healthy=lambda ctx: _kafka_node_healthy(ctx, node),
        enabled=lambda ctx: ctx.settings.kafka.brokers >= node,
        prepare=lambda ctx: _kafka_prepare(ctx, node),
        bootstrap=lambda ctx: _kafka_bootstrap(ctx) if node == ctx.settings.kafka.brokers else None,
        start_timeout_s=90,
    )


KAFKA_NODES = tuple(kafka_node(node) for node in (1, 2, 3))

# --- MLflow ----------------------------------------------------------------------------------

MLFLOW = Service(
    name="mlflow",
    url=lambda ctx: ctx.url("mlflow"),
    command=lambda ctx: [
        tool("mlflow"),
        "server",
        "--backend-store-uri",
        ctx.postgres_uri("mlflow", role="mlflow"),
        "--artifacts-destination",
        "s3://dp-mlflow/artifacts",
        "--host",
        "127.0.0.1",
        "--port",
        str(ctx.port("mlflow")),
        "--workers",
        "1",
    ],
    # As in k8s/base/mlflow: no server-side job runner (unused; its workers cost memory).
    env=lambda ctx: ctx.s3_env() | {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"},
    healthy=lambda ctx: http_ok(f"{ctx.url('mlflow')}/health"),
    start_timeout_s=120,
)

# --- Alertmanager ----------------------------------------------------------------------------

ALERTMANAGER = Service(
    name="alertmanager",
    url=lambda ctx: ctx.url("alertmanager"),
    command=lambda ctx: [
        tool("prometheus-alertmanager", "/usr/bin/alertmanager"),
        f"--config.file={ctx.repo / 'k8s/base/prometheus/alertmanager.yml'}",
        f"--storage.path={ctx.data('alertmanager')}",
        f"--web.listen-address=127.0.0.1:{ctx.port('alertmanager')}",
        "--cluster.listen-address=",  # one instance: no gossip port
    ],
    healthy=lambda ctx: http_ok(f"{ctx.url('alertmanager')}/-/ready"),
)

# --- Prometheus ------------------------------------------------------------------------------


def _prometheus_config(ctx: StackContext) -> Path:
    template = (ctx.repo / "dev" / "stack" / "prometheus.yml").read_text()
    at = ctx.settings.endpoints
    config = template.format(
        api=at.address("api"),
        serving=at.address("serving"),
        prometheus=at.address("prometheus"),
        stream=at.address("stream"),
        airflow_metrics=at.address("airflow-metrics"),
        redis_exporter=at.address("redis-exporter"),
        postgres_exporter=at.address("postgres-exporter"),
        node_exporter=at.address("node-exporter"),
        state_mount=mount_point(ctx.root),
        alertmanager=at.address("alertmanager"),
        rules=ctx.repo / "k8s/base/prometheus/alerts.yml",
    )
    path = ctx.root / "prometheus.yml"
    path.write_text(config)
    return path


PROMETHEUS = Service(
    name="prometheus",
    url=lambda ctx: ctx.url("prometheus"),
    command=lambda ctx: [
        tool("prometheus"),
        f"--config.file={_prometheus_config(ctx)}",
        f"--storage.tsdb.path={ctx.data('prometheus')}",
        f"--web.listen-address=127.0.0.1:{ctx.port('prometheus')}",
    ],
    healthy=lambda ctx: http_ok(f"{ctx.url('prometheus')}/-/ready"),
)

# --- Our own services ------------------------------------------------------------------------


def dp_service(
    name: str, subcommand: str, health_path: str, env: dict[str, str] | None = None
) -> Service:
    """One of this repository's services: a `dp` subcommand on the stack target."""
    return Service(
        name=name,
        url=lambda ctx: ctx.url(name),
        command=lambda ctx: [sys.executable, "-m", "dp_cli", subcommand],
        # Its own token (its workload's policy), never the operator's root token.
        env=lambda ctx: (
            ctx.dp_env() | {"BAO_TOKEN": token_file(ctx.root, name).read_text()} | (env or {})
        ),
        healthy=lambda ctx: http_ok(ctx.url(name) + health_path),
        start_timeout_s=120,
    )


SERVING = dp_service("serving", "serve", "/v2/health/live")
API = dp_service(
    "api", "api", "/healthz", env={"DP_FEAST__REDIS_USER": "reader", "DP_KAFKA__USER": "api"}
)
STREAM = dp_service("stream", "stream", "/healthz", env={"DP_KAFKA__USER": "stream"})

SERVICES = (
    OPENBAO,
    SEAWEEDFS,
    POSTGRES,
    POSTGRES_EXPORTER,
    REDIS,
    REDIS_EXPORTER,
    NODE_EXPORTER,
    *KAFKA_NODES,
    MLFLOW,
    ALERTMANAGER,
    PROMETHEUS,
    SERVING,
    API,
    STREAM,
    *AIRFLOW_SERVICES,
)

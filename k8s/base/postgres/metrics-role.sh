#!/bin/sh
# Run once by the image's entrypoint on an empty data directory, after databases.sql: the
# exporter's role reads Postgres's statistics views (pg_monitor) and no table.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v password="$POSTGRES_METRICS_PASSWORD" <<'SQL'
CREATE ROLE metrics LOGIN PASSWORD :'password';
GRANT pg_monitor TO metrics;
SQL

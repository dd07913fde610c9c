#!/bin/sh
# Run once by the image's entrypoint on an empty data directory (the stack's bootstrap does the
# same at every `dp stack up`): one login role per client, least privilege. Each database belongs
# to its own role and admits no other, except Feast's registry, which `feast_reader` may read;
# `metrics` reads statistics views only. The admin role (POSTGRES_USER) stays this script's.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v mlflow="$POSTGRES_MLFLOW_PASSWORD" -v feast="$POSTGRES_FEAST_PASSWORD" \
  -v feast_reader="$POSTGRES_FEAST_READER_PASSWORD" -v airflow="$POSTGRES_AIRFLOW_PASSWORD" \
  -v metrics="$POSTGRES_METRICS_PASSWORD" <<'SQL'
CREATE ROLE mlflow LOGIN PASSWORD :'mlflow';
CREATE ROLE feast LOGIN PASSWORD :'feast';
CREATE ROLE feast_reader LOGIN PASSWORD :'feast_reader';
CREATE ROLE airflow LOGIN PASSWORD :'airflow';
CREATE ROLE metrics LOGIN PASSWORD :'metrics';
GRANT pg_monitor TO metrics;
CREATE DATABASE mlflow OWNER mlflow;
CREATE DATABASE feast OWNER feast;
CREATE DATABASE airflow OWNER airflow;
REVOKE ALL ON DATABASE mlflow FROM PUBLIC;
REVOKE ALL ON DATABASE feast FROM PUBLIC;
REVOKE ALL ON DATABASE airflow FROM PUBLIC;
GRANT CONNECT ON DATABASE feast TO feast_reader;
\connect feast
GRANT USAGE ON SCHEMA public TO feast_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE feast IN SCHEMA public GRANT SELECT ON TABLES TO feast_reader;
SQL

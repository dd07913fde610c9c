#!/usr/bin/env bash
# Dev credentials for the kind overlay: random values written once to a gitignored env file that
# the overlay's secretGenerator reads. Re-running keeps existing values.
set -euo pipefail
out="${1:-$(dirname "$0")/../../k8s/overlays/kind/secrets.env}"
airflow="$(dirname "$out")/airflow-secrets.env"
admin="$(dirname "$out")/airflow-passwords.json"
umask 077
random() { python3 -c 'import secrets; print(secrets.token_urlsafe(24))'; }
# Airflow's own keys and its admin password (Airflow reads them as its settings and a file).
if [ ! -s "$airflow" ]; then
  cat >"$airflow" <<VALUES
AIRFLOW__CORE__FERNET_KEY=$(python3 -c 'import base64, secrets; print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())')
AIRFLOW__API_AUTH__JWT_SECRET=$(random)
AIRFLOW__API__SECRET_KEY=$(random)
VALUES
  echo "wrote $airflow"
fi
if [ ! -s "$admin" ]; then
  printf '{"admin": "%s"}\n' "$(random)" >"$admin"
  echo "wrote $admin"
fi
# Each key once: an existing file keeps its values and gains the keys added since.
touch "$out"
add() { grep -q "^$1=" "$out" || { echo "$1=$2" >>"$out" && echo "added $1 to $out"; }; }
add openbao-token "dev-$(random)"
add s3-access-key "dp$(python3 -c 'import secrets; print(secrets.token_hex(8))')"
add s3-secret-key "$(random)"
add postgres-user dp
add postgres-password "$(random)"
add grafana-admin-password "$(random)"
add api-key-dev "dpk_$(random)"
add redis-reader-password "$(random)"
add redis-writer-password "$(random)"
add redis-metrics-password "$(random)"
add postgres-metrics-password "$(random)"
add postgres-mlflow-password "$(random)"
add postgres-feast-password "$(random)"
add postgres-feast-reader-password "$(random)"
add postgres-airflow-password "$(random)"
add kafka-admin-password "$(random)"
add kafka-controller-password "$(random)"
add kafka-api-password "$(random)"
add kafka-stream-password "$(random)"

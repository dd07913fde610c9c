#!/usr/bin/env bash
# Dev credentials for the kind overlay: random values written once to a gitignored env file that
# the overlay's secretGenerator reads. Re-running keeps existing values.
set -euo pipefail
out="${1:-$(dirname "$0")/../../k8s/overlays/kind/secrets.env}"
[ -s "$out" ] && exit 0
umask 077
random() { python3 -c 'import secrets; print(secrets.token_urlsafe(24))'; }
cat >"$out" <<VALUES
openbao-token=dev-$(random)
s3-access-key=dp$(python3 -c 'import secrets; print(secrets.token_hex(8))')
s3-secret-key=$(random)
postgres-user=dp
postgres-password=$(random)
grafana-admin-password=$(random)
api-key-dev=dpk_$(random)
redis-reader-password=$(random)
redis-writer-password=$(random)
VALUES
echo "wrote $out"

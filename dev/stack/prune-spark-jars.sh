#!/usr/bin/env bash
# Drops from a jar directory the artifacts pyspark already ships (Hadoop, Scala, codecs), so Spark
# keeps its own copies. Used by dev/stack/install.sh and by the pipeline image.
#   prune-spark-jars.sh <jar dir> <python with pyspark>
set -euo pipefail
out="$1"
bundled="$("$2" -c 'import os, pyspark; print(os.path.join(os.path.dirname(pyspark.__file__), "jars"))')"
for jar in "$out"/*.jar; do
  artifact="$(basename "$jar" | sed -E 's/-[0-9][^-]*(-[A-Za-z]+)?\.jar$//')"
  if compgen -G "$bundled/$artifact-[0-9]*.jar" >/dev/null; then rm "$jar"; fi
done

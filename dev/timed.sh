#!/usr/bin/env bash
# Runs one stage of `make test` (or any target) and prints how long it took, pass or fail.
# Usage: dev/timed.sh <stage name> <command...>
set -uo pipefail
name="$1"
shift
start=$(date +%s)
echo "==> $name"
"$@"
rc=$?
echo "<== $name: $(($(date +%s) - start)) s$([ $rc -eq 0 ] || echo " (FAILED, exit $rc)")"
exit $rc

#!/usr/bin/env bash
# OpenTofu from its Go source: the Go module proxy serves it (release downloads are not reachable
# here). Its go.mod has replace directives, so `go install …@version` refuses it: it is built as
# the main module from the module cache's copy. Idempotent: rebuilt only when VERSION changes.
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION=v1.12.6
bin="$PWD/.cache/bin/tofu"
mkdir -p "$PWD/.cache/bin"
# One build at a time: `make test` starts one in the background; a second caller waits for it.
exec 9>"$PWD/.cache/tofu.lock"
flock 9
[ -x "$bin" ] && [ "$(cat "$bin.version" 2>/dev/null)" = "$VERSION" ] && exit 0
echo "building OpenTofu $VERSION from source (a few minutes the first time)"
src="$(go mod download -json "github.com/opentofu/opentofu@$VERSION" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')"
work="$PWD/.cache/tofu-src"
rm -rf "$work" && mkdir -p "$work" && cp -r "$src/." "$work" && chmod -R u+w "$work"
(cd "$work" && GOFLAGS=-mod=mod go build -trimpath -o "$bin" ./cmd/tofu)
echo "$VERSION" >"$bin.version"
echo "built $(env -u TF_CLI_CONFIG_FILE "$bin" version | sed -n 1p)"

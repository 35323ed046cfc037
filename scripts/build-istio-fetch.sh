#!/usr/bin/env bash
# Builds tools/istio-fetch (Istio's own Wasm image fetcher, from the istio.io/istio module that
# tools/istio-fetch/go.mod pins, downloaded through the Go module proxy) and prints the binary's
# path. The binary is cached in ${MESHWASM_CACHE:-~/.cache/meshwasm}, keyed by the program's
# sources and the Go version, so only the first run pays for the download (~90 MB of modules) and
# the compile (a few minutes on two cores); Go's own build and module caches are reused too.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$root/tools/istio-fetch"
cache="${MESHWASM_CACHE:-$HOME/.cache/meshwasm}"

if ! command -v go >/dev/null 2>&1; then
  echo "build-istio-fetch: the go command is missing (Go 1.26+ is needed to build Istio's fetcher)" >&2
  exit 1
fi

key="$(cat "$src/go.mod" "$src/go.sum" "$src/main.go" <(go version) | sha256sum | cut -c1-16)"
bin="$cache/istio-fetch-$key"
if [[ -x "$bin" ]]; then
  echo "$bin"
  exit 0
fi

mkdir -p "$cache"
echo "build-istio-fetch: building $bin (first run: Go modules download, then compile)" >&2
start=$SECONDS
(cd "$src" && go build -mod=readonly -trimpath -o "$bin.tmp" .)
mv "$bin.tmp" "$bin"
# Older builds (other sources or Go versions) are dropped.
find "$cache" -maxdepth 1 -name 'istio-fetch-*' ! -name "$(basename "$bin")" -delete
echo "build-istio-fetch: built in $((SECONDS - start)) s" >&2
echo "$bin"

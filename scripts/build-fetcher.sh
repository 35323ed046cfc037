#!/usr/bin/env bash
# Builds one of the Wasm image fetchers kept in tools/ and prints the binary's path:
#   istio-fetch          Istio's own (pkg/wasm of the istio.io/istio module, what istio-agent runs)
#   envoy-gateway-fetch  Envoy Gateway's own (internal/wasm of github.com/envoyproxy/gateway)
# Each tool's go.mod pins the module; the Go module proxy serves it. The binary is cached in
# the meshwasm cache folder ($MESHWASM_CACHE_DIR, else $XDG_CACHE_HOME/meshwasm, else
# ~/.cache/meshwasm), keyed by the tool's sources and the Go version, so only
# the first run pays for the module download (about 90 MB each) and the compile (several
# minutes on two cores); Go's own module and build caches are reused as well.
set -euo pipefail

tool="${1:-}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$root/tools/$tool"
cache="${MESHWASM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/meshwasm}"

if [[ -z "$tool" || ! -f "$src/go.mod" ]]; then
  echo "build-fetcher: usage: build-fetcher.sh <istio-fetch|envoy-gateway-fetch> (got '${tool}')" >&2
  exit 2
fi
if ! command -v go >/dev/null 2>&1; then
  echo "build-fetcher: the go command is missing (Go 1.26+ builds the fetchers)" >&2
  exit 1
fi

key="$(cat "$src/go.mod" "$src/go.sum" "$src/main.go" <(go version) | sha256sum | cut -c1-16)"
bin="$cache/$tool-$key"
mkdir -p "$cache"
# One build at a time per tool: `npm test` starts this in the background early, and the test
# that needs the binary then waits here for that build instead of starting a second one.
exec 9>"$cache/$tool.lock"
flock 9
if [[ -x "$bin" ]]; then
  echo "$bin"
  exit 0
fi

echo "build-fetcher: building $bin (first run: Go modules download, then compile)" >&2
start=$SECONDS
(cd "$src" && go build -mod=readonly -trimpath -o "$bin.tmp" .)
mv "$bin.tmp" "$bin"
# Older builds of this tool (other sources or Go versions) are dropped.
find "$cache" -maxdepth 1 -name "$tool-*" ! -name "$(basename "$bin")" -delete
echo "build-fetcher: built in $((SECONDS - start)) s" >&2
echo "$bin"

#!/usr/bin/env bash
# Fetches the CRDs the generated manifests are checked against, through the Go module proxy
# (`go mod download`, checked against the Go checksum database), and prints the folder holding:
#   istio-api-<v>.crds.yaml             istio.io/api <v>: kubernetes/customresourcedefinitions.gen.yaml
#                                       (TrafficExtension, WasmPlugin, ...)
#   envoy-gateway-<v>.eep.yaml          github.com/envoyproxy/gateway <v>: the generated
#                                       EnvoyExtensionPolicy CRD of its Helm chart
# Cached in <the meshwasm cache folder>/crds ($MESHWASM_CACHE_DIR, else $XDG_CACHE_HOME/meshwasm,
# else ~/.cache/meshwasm).
set -euo pipefail

istio_api="v1.32.0"
envoy_gateway="v1.9.1"
cache="${MESHWASM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/meshwasm}/crds"
istio_out="$cache/istio-api-$istio_api.crds.yaml"
eg_out="$cache/envoy-gateway-$envoy_gateway.eep.yaml"

if [[ -s "$istio_out" && -s "$eg_out" ]]; then
  echo "$cache"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "fetch-crds: the go command is missing (it downloads the CRD modules)" >&2
  exit 1
fi
mkdir -p "$cache"
module_dir() {
  # `go mod download -json` prints the module's extracted folder as "Dir".
  GOFLAGS=-mod=mod go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}
dir="$(cd "$cache" && module_dir "istio.io/api@$istio_api")"
cp "$dir/kubernetes/customresourcedefinitions.gen.yaml" "$istio_out.tmp"
dir="$(cd "$cache" && module_dir "github.com/envoyproxy/gateway@$envoy_gateway")"
cp "$dir/charts/gateway-helm/charts/crds/crds/generated/gateway.envoyproxy.io_envoyextensionpolicies.yaml" "$eg_out.tmp"
chmod 644 "$istio_out.tmp" "$eg_out.tmp"
mv "$istio_out.tmp" "$istio_out"
mv "$eg_out.tmp" "$eg_out"
echo "$cache"

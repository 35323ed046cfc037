#!/usr/bin/env bash
# What the rate-limit filter's cluster-wide tests and bench need, installed when missing and
# cached between runs:
#   - Redis: Debian's `redis-server` (its own service kept from starting during the install by
#     a temporary policy-rc.d; the tests start their own Redis on a Unix socket)
#   - Envoy's rate limit service (envoyproxy/ratelimit's service_cmd) at a pinned version,
#     built with `go install` from the Go module proxy into the meshwasm cache folder
# Prints two lines, `redis-server=<path>` and `ratelimit=<path>`, last. Idempotent. Needs root
# (or sudo) for the Debian package and Go on PATH (or in /usr/local/go) for the build.
set -euo pipefail

VERSION="v1.4.1-0.20260122083618-3fb702589d36"
MODULE="github.com/envoyproxy/ratelimit/src/service_cmd"

cache="${MESHWASM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/meshwasm}"
bin_dir="$cache/ratelimit-$VERSION"
service="$bin_dir/service_cmd"

if ! command -v redis-server >/dev/null 2>&1; then
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  echo "setup-ratelimit: installing redis-server from Debian's packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  policy=/usr/sbin/policy-rc.d
  if [[ ! -e $policy ]]; then
    # 101: "action forbidden by policy"; invoke-rc.d then starts no service.
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod +x "$policy"
    trap '$sudo rm -f "$policy"' EXIT
  fi
  # Another install may hold the package lock for a while (tests of other areas install too).
  $sudo apt-get -o DPkg::Lock::Timeout=300 update -qq
  $sudo apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends redis-server >/dev/null
fi
if ! command -v redis-server >/dev/null 2>&1; then
  echo "setup-ratelimit: redis-server is still missing after the install" >&2
  exit 1
fi

# One build at a time: `npm test` starts this script in the background early, and the test
# that needs the service then waits here for that build instead of starting a second one.
mkdir -p "$cache"
exec 9>"$bin_dir.lock"
flock 9
if [[ ! -x $service ]]; then
  go_bin="$(command -v go || true)"
  if [[ -z $go_bin && -x /usr/local/go/bin/go ]]; then go_bin=/usr/local/go/bin/go; fi
  if [[ -z $go_bin ]]; then
    echo "setup-ratelimit: Go is needed to build the rate limit service and is not installed" >&2
    exit 1
  fi
  echo "setup-ratelimit: building $MODULE@$VERSION (several minutes the first time)" >&2
  mkdir -p "$bin_dir"
  # Built into a temporary folder and moved into place, so an interrupted build leaves nothing
  # that looks finished; Go's module and build caches are kept (the next build reuses them).
  tmp="$(mktemp -d "$bin_dir/.build.XXXXXX")"
  if ! GOBIN="$tmp" GOFLAGS="${GOFLAGS:+$GOFLAGS }-buildvcs=false" "$go_bin" install "$MODULE@$VERSION" >&2; then
    rm -rf "$tmp"
    echo "setup-ratelimit: go install $MODULE@$VERSION failed" >&2
    exit 1
  fi
  mv "$tmp/service_cmd" "$service"
  rm -rf "$tmp"
fi

echo "redis-server=$(command -v redis-server)"
echo "ratelimit=$service"

#!/usr/bin/env bash
# Installs Debian's `prometheus` when missing: the telemetry filter's tests start their own
# Prometheus (127.0.0.1, a generated configuration, a temporary data directory) against real
# Envoy. The package's own service is kept from starting during the install (a temporary
# policy-rc.d): the tests never use it. Idempotent; prints the version. Needs root (or sudo).
set -euo pipefail

if ! command -v prometheus >/dev/null 2>&1; then
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  echo "setup-prometheus: installing prometheus from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  policy=/usr/sbin/policy-rc.d
  if [[ ! -e $policy ]]; then
    # 101: "action forbidden by policy"; invoke-rc.d then starts no service.
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod +x "$policy"
    trap '$sudo rm -f "$policy"' EXIT
  fi
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi

if ! command -v prometheus >/dev/null 2>&1; then
  echo "setup-prometheus: prometheus is still missing after the install" >&2
  exit 1
fi
echo "setup-prometheus: $(prometheus --version 2>&1 | head -1)"

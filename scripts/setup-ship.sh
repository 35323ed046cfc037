#!/usr/bin/env bash
# Installs the Debian packages the shipping tools and their tests use, when missing:
#   skopeo           `meshwasm push` runs it to copy an image layout to a registry
#   docker-registry  the local OCI registry the packaging tests push to and pull from
#   docker-compose   validates envoy/docker-compose.yaml (`docker-compose config`; no engine needed)
# Idempotent; prints one line per tool. Needs root (or sudo) and Debian's package lists.
set -euo pipefail

missing=()
for pair in skopeo:skopeo docker-registry:docker-registry docker-compose:docker-compose; do
  cmd="${pair%%:*}"
  pkg="${pair##*:}"
  command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
done

if ((${#missing[@]} > 0)); then
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  echo "setup-ship: installing ${missing[*]} from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

for cmd in skopeo docker-registry docker-compose; do
  if ! command -v "$cmd" >/dev/null 2>&1; then
    echo "setup-ship: $cmd is still missing after the install" >&2
    exit 1
  fi
done
echo "setup-ship: $(skopeo --version); docker-registry $(docker-registry --version 2>&1 | awk '{print $3}'); $(docker-compose version --short 2>/dev/null | head -1 | sed 's/^/docker-compose /')"

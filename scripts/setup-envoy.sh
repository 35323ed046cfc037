#!/usr/bin/env bash
# Installs the pinned Envoy (envoy/ENVOY_VERSION) into the user-level cache
# (~/.cache/meshwasm by default), or checks the binary named by ENVOY_BIN: the same as
# `meshwasm envoy setup`, which it runs from the TypeScript sources.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
exec npx tsx src/cli/main.ts envoy setup

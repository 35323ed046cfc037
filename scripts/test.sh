#!/usr/bin/env bash
# `npm test`: every suite, in order, with one closing line "N passed, N failed".
#
#   1. Envoy (pinned, in the user cache) installed if missing
#   2. TypeScript types and lint (one counted check)
#   3. every example and filter built to build/ (the module check reads them), and the chain
#   4. AssemblyScript unit tests (as-pect)
#   5. vitest: module-surface check, host emulator, conformance suite, real-Envoy tests
#
# A suite that fails does not stop the others; the exit status is non-zero if any failed.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mkdir -p test/.tmp
passed=0
failed=0
status=0

npx tsx src/cli/main.ts envoy setup || { echo "test: Envoy set-up failed" >&2; exit 1; }

# The Go programs some tests run (envoyproxy/ratelimit, Istio's and Envoy Gateway's image
# fetchers) take minutes to build on a machine that never built them. On a whole run they are
# built in the background, at the lowest priority, while the suites below run; each test that
# needs one waits on its script's lock and then finds it built (or builds it itself and reports
# the error if this background build failed). A run of chosen vitest files (arguments given)
# skips this.
prebuild_pid=""
if [[ $# -eq 0 ]] && command -v go >/dev/null 2>&1 && command -v setsid >/dev/null 2>&1; then
  # Its own session (setsid), so the trap below stops the Go compilers with it.
  setsid bash -c '
    nice -n 19 bash scripts/setup-ratelimit.sh
    nice -n 19 bash scripts/build-fetcher.sh istio-fetch
    nice -n 19 bash scripts/build-fetcher.sh envoy-gateway-fetch
  ' >test/.tmp/prebuild.log 2>&1 &
  prebuild_pid=$!
fi
# Stopped if the run is interrupted (each script builds into a temporary file, so nothing
# half-built is left looking finished).
trap '[[ -n $prebuild_pid ]] && kill -- "-$prebuild_pid" 2>/dev/null' EXIT

echo "== typecheck and lint (npm run check)"
if npx tsc --noEmit -p tsconfig.json && npx biome check .; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
  status=1
fi

echo "== build"
if npx tsx src/cli/main.ts build; then passed=$((passed + 1)); else failed=$((failed + 1)); status=1; fi
# The four production filters as one module (demo/chain.json's sections name the chain).
if npx tsx src/cli/main.ts build --chain-config demo/chain.json -o build/chain.wasm; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
  status=1
fi

echo "== as-pect (AssemblyScript unit tests)"
aspect_log="test/.tmp/aspect.log"
npx asp --config as-pect.config.cjs 2>&1 | tee "$aspect_log"
aspect_status=${PIPESTATUS[0]}
# The summary line reads "[Tests]: <passed> / <total>" (colour codes stripped first).
tests_line="$(sed 's/\x1b\[[0-9;]*m//g' "$aspect_log" | grep -E '^\s*\[Tests\]:' | tail -1)"
if [[ "$tests_line" =~ ([0-9]+)\ /\ ([0-9]+) ]]; then
  passed=$((passed + BASH_REMATCH[1]))
  failed=$((failed + BASH_REMATCH[2] - BASH_REMATCH[1]))
else
  failed=$((failed + 1))
fi
[[ $aspect_status -eq 0 ]] || status=1

echo "== vitest"
vitest_json="test/.tmp/vitest.json"
rm -f "$vitest_json"
npx vitest run --reporter=default --reporter=json --outputFile.json="$vitest_json" "$@"
vitest_status=$?
if [[ -f "$vitest_json" ]]; then
  read -r vp vf < <(node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    // A file that failed with none of its tests marked failed (it did not load, or a
    // beforeAll threw and its tests were skipped) counts as one failure.
    const broken = r.testResults.filter(
      (f) => f.status === "failed" && !f.assertionResults.some((a) => a.status === "failed"),
    ).length;
    console.log(r.numPassedTests, r.numFailedTests + broken);
  ' "$vitest_json")
  passed=$((passed + vp))
  failed=$((failed + vf))
else
  failed=$((failed + 1))
fi
if [[ $vitest_status -ne 0 ]]; then
  status=1
  # vitest failed but its report named no failure: still one failure, never "0 failed".
  [[ -f "$vitest_json" && ${vf:-0} -gt 0 ]] || failed=$((failed + 1))
fi
[[ $failed -eq 0 ]] || status=1

echo "$passed passed, $failed failed"
exit $status

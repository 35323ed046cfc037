// The benchmark harness in smoke mode: every scenario is built, started in real Envoy, serves a
// check request and gets measured once. No figure is asserted; this only keeps the harness
// from rotting. Peers whose toolchain or SDK cannot be had are reported as not built with the
// error (the full run quotes it in RESULTS.md); our own SDK, native and Lua must always run.

import { beforeAll, describe, expect, it } from "vitest";
import { type BenchResult, runBench } from "../../bench/bench.ts";
import { scenarios } from "../../bench/scenarios.ts";
import { unavailableReason } from "./unavailable.ts";

const MUST_RUN = new Set(["floor", "meshwasm", "native", "lua"]);

describe("bench smoke", () => {
  let bench: BenchResult;
  const lines: string[] = [];

  beforeAll(async () => {
    bench = await runBench({ smoke: true, log: (line) => lines.push(line) });
  }, 900_000);

  it.each(scenarios.map((s) => [s.name, s] as const))(
    "%s starts, serves and is measured",
    (name, s) => {
      const result = bench.results.find((r) => r.scenario.name === name);
      expect(result, `no result for ${name}`).toBeDefined();
      if (!result) return;
      if (result.status === "not-applicable") return;
      if (result.status === "not-built" && !MUST_RUN.has(s.peer)) {
        expect(
          unavailableReason(result.reason),
          `${name} did not build for a reason other than an unavailable toolchain or SDK:\n${result.reason ?? "(no reason)"}`,
        ).toBe(true);
        return;
      }
      expect(result.status, `${name}: ${result.reason ?? ""}\n${lines.join("\n")}`).toBe(
        "measured",
      );
      expect(result.rounds).toHaveLength(1);
      const round = result.rounds[0];
      expect(round?.requests).toBeGreaterThan(0);
      expect(round?.errors).toBe(0);
      expect(round?.pacedErrors).toBe(0);
      expect(round?.cpuPer10k).toBeGreaterThan(0);
      expect(round?.p99).toBeGreaterThan(0);
      expect(result.rssMiB).toBeGreaterThan(0);
      if (s.peer !== "floor" && MUST_RUN.has(s.peer) && s.peer === "meshwasm") {
        expect(result.moduleBytes).toBeGreaterThan(0);
      }
    },
  );
});

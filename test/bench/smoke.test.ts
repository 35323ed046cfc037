// The benchmark harness in smoke mode: every scenario is built, started in real Envoy, serves a
// check request and gets measured once. No figure is asserted; this only keeps the harness
// from rotting. Peers whose toolchain or SDK cannot be had are reported as not built with the
// error (the full run quotes it in RESULTS.md); our own SDK, native and Lua must always run.

import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type BenchResult, runBench } from "../../bench/bench.ts";
import { benchDir } from "../../bench/lib/peers.ts";
import { renderResults } from "../../bench/lib/report.ts";
import { scenarios } from "../../bench/scenarios.ts";
import { unavailableReason } from "./unavailable.ts";

const MUST_RUN = new Set(["floor", "meshwasm", "native", "lua"]);

/** Every file under bench/ but its scratch folder, with a hash of its content. */
function benchTree(dir = benchDir, out = new Map<string, string>()): Map<string, string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (path !== join(benchDir, ".work")) benchTree(path, out);
    } else {
      out.set(
        relative(benchDir, path),
        createHash("sha1").update(readFileSync(path)).digest("hex"),
      );
    }
  }
  return out;
}

describe("bench smoke", () => {
  let bench: BenchResult;
  const lines: string[] = [];
  let before: Map<string, string>;
  let after: Map<string, string>;

  beforeAll(async () => {
    before = benchTree();
    bench = await runBench({ smoke: true, log: (line) => lines.push(line) });
    after = benchTree();
  }, 900_000);

  it("writes nothing outside bench/.work (installs and builds leave the sources as they were)", () => {
    expect([...after.entries()].sort()).toEqual([...before.entries()].sort());
  });

  it("states the run's own settings in the report's method", () => {
    const markdown = renderResults(bench, "--smoke");
    const o = bench.options;
    expect(markdown).toContain(`wrk closed loop, ${o.connections} connections, ${o.seconds} s.`);
    expect(markdown).toContain(
      `wrk paced, ${o.pacedConnections} connections each waiting ${o.pacedIntervalMs} ms`,
    );
    // No template placeholder left unexpanded anywhere in the text.
    expect(markdown).not.toMatch(/\$[A-Za-z{]/);
  });

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

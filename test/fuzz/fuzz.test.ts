// The fuzz short run (10,000 generated inputs per target, fixed seed) and the corpus replay:
// every input a fuzz run saved under test/fuzz/corpus must pass on a fresh host. The short run
// tolerates nothing: any trap, host error or disagreement fails it.

import { describe, expect, it } from "vitest";
import { caseToJson } from "./case.ts";
import { fuzzTarget, loadCorpus, replay } from "./fuzz.ts";
import { allTargets } from "./targets.ts";

const RUNS = Number(process.env.MESHWASM_FUZZ_RUNS ?? 10_000);
const SEED = Number(process.env.MESHWASM_FUZZ_SEED ?? 20_260_101);
const targets = await allTargets();

describe.each(targets.map((t) => [t.name, t] as const))("fuzz %s", (name, target) => {
  it(`runs ${RUNS} generated inputs (seed ${SEED}) without a trap, a host error or a disagreement`, async () => {
    const report = await fuzzTarget(target, { seed: SEED, runs: RUNS });
    const described = report.findings.map(
      (f) =>
        `${f.signature} (${f.count}x)\n${f.entry.message}\ninput: ${JSON.stringify(caseToJson(f.entry.case))}`,
    );
    expect(described).toEqual([]);
    expect(report.runs).toBe(RUNS);
    // No failure that only shows after earlier inputs on the same VM either.
    expect(report.historyExample).toBeNull();
  }, 900_000);

  const saved = loadCorpus("test/fuzz/corpus", name);
  it.each(saved.map((s) => [s.file.split("/").pop(), s] as const))(
    "replays the saved input %s",
    async (_file, { entry }) => {
      const verdict = await replay(target, entry.case);
      expect(verdict.message).toBe("");
      expect(verdict.ok).toBe(true);
    },
  );
});

// npm run fuzz [-- --seed N] [--runs N] [--target NAME] [--save DIR] [--replay DIR]
//
// Fuzzes every target (or one) with `--runs` inputs each (default 100,000), from `--seed`
// (default: random, printed so the run can be repeated). Each distinct failure is minimised
// and saved under `--save` (default test/fuzz/corpus, which `npm test` replays); the exit
// status is non-zero when anything failed. `--replay DIR` instead replays saved inputs and
// reports which still fail.

import { parseArgs } from "node:util";
import { fuzzTarget, loadCorpus, replay, saveFinding } from "./fuzz.ts";
import { allTargets } from "./targets.ts";

const { values } = parseArgs({
  options: {
    seed: { type: "string" },
    runs: { type: "string", default: "100000" },
    target: { type: "string" },
    save: { type: "string", default: "test/fuzz/corpus" },
    replay: { type: "string" },
  },
});

function integer(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n))
    throw new Error(`--${name}: expected a whole number, got ${JSON.stringify(text)}`);
  return n;
}

const targets = await allTargets();
const chosen =
  values.target === undefined ? targets : targets.filter((t) => t.name === values.target);
if (chosen.length === 0) {
  console.error(
    `--target: no target ${JSON.stringify(values.target)}; targets: ${targets.map((t) => t.name).join(", ")}`,
  );
  process.exit(2);
}

let failed = false;
if (values.replay !== undefined) {
  for (const target of chosen) {
    for (const { file, entry } of loadCorpus(values.replay, target.name)) {
      const v = await replay(target, entry.case);
      console.log(
        `${v.ok ? "passes" : "FAILS "} ${file}${v.ok ? "" : `\n  ${v.signature}\n  ${v.message.split("\n").join("\n  ")}`}`,
      );
      failed ||= !v.ok;
    }
  }
  process.exit(failed ? 1 : 0);
}

const seed =
  values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : integer("seed", values.seed);
const runs = integer("runs", values.runs);
console.log(`fuzz: seed ${seed}, ${runs} inputs per target (repeat with --seed ${seed})`);
for (const target of chosen) {
  const report = await fuzzTarget(target, {
    seed,
    runs,
    progress: (n) => process.stderr.write(`\r${target.name}: ${n} inputs`),
  });
  process.stderr.write("\r");
  const rate = Math.round(report.runs / (report.ms / 1000));
  console.log(
    `${target.name}: ${report.runs} inputs in ${(report.ms / 1000).toFixed(1)} s (${rate}/s), ` +
      `${report.traps} traps, ${report.hostErrors} host errors, ${report.disagreements} disagreements` +
      (report.dependsOnHistory > 0
        ? `, ${report.dependsOnHistory} failures only after earlier inputs`
        : ""),
  );
  for (const f of report.findings) {
    const file = saveFinding(values.save, f.entry);
    console.log(`  ${f.signature} (${f.count}x), minimised input saved to ${file}`);
    console.log(`    ${f.entry.message.split("\n").slice(0, 6).join("\n    ")}`);
    failed = true;
  }
  if (report.historyExample)
    console.log(
      `  first failure only after earlier inputs:\n    ${report.historyExample.split("\n").join("\n    ")}`,
    );
  failed ||= report.dependsOnHistory > 0;
}
process.exit(failed ? 1 : 0);

// `npm run bench` — the full benchmark; writes bench/RESULTS.md, bench/cpu-per-request.svg and
// bench/.work/results.json. `npm run bench -- --smoke` runs the short check instead, and
// `--only REGEX` a subset; both print their table and write bench/.work/results.md, leaving
// RESULTS.md alone unless --write. Options: --rounds N, --seconds S, --only REGEX, --write,
// --baseline PATH (repeatable: another build of the meshwasm module, measured beside each
// selected meshwasm scenario as `<scenario>@<file name>`; a before/after run, printed).

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { compileFilter } from "../src/build/compile.ts";
import { baselineProblem, runBench } from "./bench.ts";
import { benchArgs, numberOption, patternOption, refuse } from "./lib/cli.ts";
import { benchDir, workDir } from "./lib/peers.ts";
import { ratioWithIqr, renderChart, renderResults, summarize } from "./lib/report.ts";
import { keepSections } from "./lib/sections.ts";

const me = import.meta.url;
const { values } = benchArgs(me, () =>
  parseArgs({
    options: {
      smoke: { type: "boolean", default: false },
      write: { type: "boolean", default: false },
      rounds: { type: "string" },
      seconds: { type: "string" },
      only: { type: "string" },
      baseline: { type: "string", multiple: true, default: [] },
    },
  }),
);
const only = patternOption(me, "only", values.only);
const baselineRefusal = baselineProblem(only, values.baseline ?? []);

if ((values.baseline ?? []).length > 0 && (values.only === undefined || values.write)) {
  refuse(
    me,
    "--baseline needs --only and no --write (a before/after run is a subset, never RESULTS.md)",
  );
}
if (baselineRefusal !== undefined) refuse(me, baselineRefusal);

const argv = [
  "npm",
  "run",
  "bench",
  ...(process.argv.length > 2 ? ["--", ...process.argv.slice(2)] : []),
];
const result = await runBench({
  smoke: values.smoke,
  rounds: numberOption(me, "rounds", values.rounds, undefined, { min: 1, integer: true }),
  seconds: numberOption(me, "seconds", values.seconds, undefined, { min: 0.1 }),
  only,
  baselines: values.baseline,
});

mkdirSync(workDir, { recursive: true });
// The module-size target: examples/hello at the default build (`meshwasm build`), after the
// rounds so the compile takes no CPU from them.
if (!values.smoke) {
  const built = await compileFilter({
    entry: join(benchDir, "..", "examples", "hello", "assembly", "index.ts"),
    outFile: join(workDir, "hello.wasm"),
  });
  result.helloBytes = built.bytes;
}
writeFileSync(join(workDir, "results.json"), JSON.stringify(result, null, 2));
const markdown = renderResults(result, argv.join(" "));
// A partial run (smoke or --only) never replaces the full run's results by accident.
const partial = values.smoke || values.only !== undefined;
if (!partial || values.write) {
  // The profile's and the full chain's sections come from their own runs (npm run
  // bench:profile -- --write, npm run bench:chain): kept as they are.
  const resultsPath = join(benchDir, "RESULTS.md");
  const previous = existsSync(resultsPath) ? readFileSync(resultsPath, "utf8") : "";
  writeFileSync(resultsPath, keepSections(markdown, previous));
  writeFileSync(join(benchDir, "cpu-per-request.svg"), renderChart(result));
  console.log("wrote bench/RESULTS.md and bench/cpu-per-request.svg");
} else {
  writeFileSync(join(workDir, "results.md"), markdown);
  console.log(markdown);
  console.log(
    "wrote bench/.work/results.md (RESULTS.md unchanged: a partial run; --write to replace it)",
  );
}
// A before/after run: each scenario's added CPU against each baseline's, round by round.
if ((values.baseline ?? []).length > 0) {
  const summaries = summarize(result);
  for (const r of result.results) {
    const at = r.scenario.name.indexOf("@");
    if (at < 0) continue;
    const own = r.scenario.name.slice(0, at);
    console.log(`${own} ÷ ${r.scenario.name}: ${ratioWithIqr(summaries, own, r.scenario.name)}`);
  }
}
const broken = result.results.filter((r) => r.status === "failed");
process.exitCode = broken.length > 0 ? 1 : 0;

// `npm run bench` — the full benchmark; writes bench/RESULTS.md, bench/cpu-per-request.svg and
// bench/.work/results.json. `npm run bench -- --smoke` runs the short check instead, and
// `--only REGEX` a subset; both print their table and write bench/.work/results.md, leaving
// RESULTS.md alone unless --write. Options: --rounds N, --seconds S, --only REGEX, --write.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { runBench } from "./bench.ts";
import { benchDir, workDir } from "./lib/peers.ts";
import { renderChart, renderResults } from "./lib/report.ts";

const { values } = parseArgs({
  options: {
    smoke: { type: "boolean", default: false },
    write: { type: "boolean", default: false },
    rounds: { type: "string" },
    seconds: { type: "string" },
    only: { type: "string" },
  },
});

const argv = [
  "npm",
  "run",
  "bench",
  ...(process.argv.length > 2 ? ["--", ...process.argv.slice(2)] : []),
];
const result = await runBench({
  smoke: values.smoke,
  rounds: values.rounds === undefined ? undefined : Number(values.rounds),
  seconds: values.seconds === undefined ? undefined : Number(values.seconds),
  only: values.only === undefined ? undefined : new RegExp(values.only),
});

mkdirSync(workDir, { recursive: true });
writeFileSync(join(workDir, "results.json"), JSON.stringify(result, null, 2));
const markdown = renderResults(result, argv.join(" "));
// A partial run (smoke or --only) never replaces the full run's results by accident.
const partial = values.smoke || values.only !== undefined;
if (!partial || values.write) {
  // The full chain's section comes from its own run (npm run bench:chain): kept as it is.
  const resultsPath = join(benchDir, "RESULTS.md");
  const previous = existsSync(resultsPath) ? readFileSync(resultsPath, "utf8") : "";
  const chain = /<!-- chain:start -->[\s\S]*<!-- chain:end -->/.exec(previous)?.[0];
  writeFileSync(resultsPath, chain ? `${markdown.trimEnd()}\n\n${chain}\n` : markdown);
  writeFileSync(join(benchDir, "cpu-per-request.svg"), renderChart(result));
  console.log("wrote bench/RESULTS.md and bench/cpu-per-request.svg");
} else {
  writeFileSync(join(workDir, "results.md"), markdown);
  console.log(markdown);
  console.log(
    "wrote bench/.work/results.md (RESULTS.md unchanged: a partial run; --write to replace it)",
  );
}
const broken = result.results.filter((r) => r.status === "failed");
process.exitCode = broken.length > 0 ? 1 : 0;

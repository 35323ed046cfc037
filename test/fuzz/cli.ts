// npm run fuzz [-- --seed N] [--runs N] [--jobs N] [--target NAME] [--save DIR] [--replay DIR]
//
// Fuzzes every target (or one) with `--runs` inputs each (default 100,000), from `--seed`
// (default: random, printed so the run can be repeated). Each distinct failure is minimised
// and saved under `--save` (default test/fuzz/corpus, which `npm test` replays); the exit
// status is non-zero when anything failed. `--replay DIR` instead replays saved inputs and
// reports which still fail. `--jobs N` splits each target's inputs over N processes (job k
// runs from seed + k) and adds up their figures: a long run uses every core.

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { type Finding, fuzzTarget, loadCorpus, type Report, replay, saveFinding } from "./fuzz.ts";
import { allTargets } from "./targets.ts";

const { values } = parseArgs({
  options: {
    seed: { type: "string" },
    runs: { type: "string", default: "100000" },
    target: { type: "string" },
    save: { type: "string", default: "test/fuzz/corpus" },
    replay: { type: "string" },
    jobs: { type: "string", default: "1" },
    // Internal: a job of a --jobs run writes its figures here.
    "job-report": { type: "string" },
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
const jobs = integer("jobs", values.jobs);
if (jobs < 1 || runs < 0) throw new Error(`--jobs: expected 1 or more, got ${values.jobs}`);
console.log(
  `fuzz: seed ${seed}, ${runs} inputs per target${jobs > 1 ? ` over ${jobs} jobs (seeds ${seed}..${seed + jobs - 1})` : ""} (repeat with --seed ${seed}${jobs > 1 ? ` --jobs ${jobs}` : ""})`,
);
for (const target of chosen) {
  const report =
    jobs > 1
      ? await inJobs(target.name, seed, runs, jobs)
      : await fuzzTarget(target, {
          seed,
          runs,
          progress: (n) => process.stderr.write(`\r${target.name}: ${n} inputs`),
        });
  if (values["job-report"] !== undefined) {
    writeFileSync(values["job-report"], JSON.stringify(report));
    process.exit(0);
  }
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

/** Runs `runs` inputs of one target over `jobs` processes and adds up what they report. */
async function inJobs(target: string, seed: number, runs: number, jobs: number): Promise<Report> {
  const dir = mkdtempSync(join(tmpdir(), "meshwasm-fuzz-"));
  const cli = fileURLToPath(import.meta.url);
  const started = performance.now();
  const done = new Array<number>(jobs).fill(0);
  try {
    const reports = await Promise.all(
      Array.from({ length: jobs }, (_, k) => {
        const share = Math.floor(runs / jobs) + (k < runs % jobs ? 1 : 0);
        const file = join(dir, `job-${k}.json`);
        const args = [...process.execArgv, cli, "--target", target, "--runs", String(share)];
        args.push("--seed", String(seed + k), "--job-report", file);
        return new Promise<Report>((resolve, reject) => {
          const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
          child.stderr.setEncoding("utf8");
          child.stderr.on("data", (text: string) => {
            const m = /(\d+) inputs\s*$/.exec(text);
            if (m) done[k] = Number(m[1]);
            else if (!text.startsWith("\r")) process.stderr.write(text);
            process.stderr.write(`\r${target}: ${done.reduce((a, b) => a + b, 0)} inputs`);
          });
          child.on("error", reject);
          child.on("exit", (code) => {
            if (code !== 0)
              reject(new Error(`${target}: fuzz job ${k} (seed ${seed + k}) exited with ${code}`));
            else resolve(JSON.parse(readFileSync(file, "utf8")) as Report);
          });
        });
      }),
    );
    const sum = (f: (r: Report) => number) => reports.reduce((a, r) => a + f(r), 0);
    return {
      target,
      seed,
      runs: sum((r) => r.runs),
      ms: Math.round(performance.now() - started),
      traps: sum((r) => r.traps),
      hostErrors: sum((r) => r.hostErrors),
      disagreements: sum((r) => r.disagreements),
      dependsOnHistory: sum((r) => r.dependsOnHistory),
      historyExample: reports.find((r) => r.historyExample !== null)?.historyExample ?? null,
      findings: mergeFindings(reports.flatMap((r) => r.findings)),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A failure several jobs found is one finding, counted once per input. */
function mergeFindings(all: Finding[]): Finding[] {
  const bySignature = new Map<string, Finding>();
  for (const f of all) {
    const seen = bySignature.get(f.signature);
    if (seen) seen.count += f.count;
    else bySignature.set(f.signature, { ...f });
  }
  return [...bySignature.values()];
}

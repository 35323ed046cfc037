// The fuzz loop: fast-check generates inputs from a seed, the engine judges each one, and a
// failure is shrunk by fast-check (smaller header sets, bodies, chunks, configurations) to a
// minimal input that still fails the same way, then saved to the corpus. The run goes on past
// a failure: a failure already known is counted, not shrunk again, so one run reports every
// distinct failure with how often it occurred.

import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { type CorpusEntry, caseFromJson, caseToJson, type FuzzCase } from "./case.ts";
import { compile, HostPool, runCase, type Verdict } from "./engine.ts";
import { fuzzCase } from "./generate.ts";
import type { FuzzTarget } from "./target.ts";

export interface Finding {
  signature: string;
  kind: Verdict["kind"];
  /** Inputs that failed this way. */
  count: number;
  entry: CorpusEntry;
}

export interface Report {
  target: string;
  seed: number;
  runs: number;
  ms: number;
  traps: number;
  hostErrors: number;
  disagreements: number;
  /** Failures seen on a reused host that a fresh host did not reproduce. */
  dependsOnHistory: number;
  /** The first such failure: what the reused host said. */
  historyExample: string | null;
  findings: Finding[];
}

export interface FuzzOptions {
  seed: number;
  runs: number;
  /** Called now and then with the inputs run so far. */
  progress?: (done: number) => void;
}

/** Fuzzes one target; returns the figures and each distinct failure, minimised. */
export async function fuzzTarget(target: FuzzTarget, options: FuzzOptions): Promise<Report> {
  const compiled = await compile(await target.module());
  const arbitrary = fuzzCase(target.vocabulary);
  const pool = new HostPool();
  const findings = new Map<string, Finding>();
  const report: Report = {
    target: target.name,
    seed: options.seed,
    runs: 0,
    ms: 0,
    traps: 0,
    hostErrors: 0,
    disagreements: 0,
    dependsOnHistory: 0,
    historyExample: null,
    findings: [],
  };
  const count = (v: Verdict) => {
    if (v.kind === "trap") report.traps++;
    else if (v.kind === "host error") report.hostErrors++;
    else if (v.kind === "disagreement") report.disagreements++;
  };
  const started = performance.now();
  let round = 0;
  let shrinking = false;
  let done = 0;
  while (report.runs < options.runs) {
    const seed = (options.seed + round * 0x9e3779b1) | 0;
    shrinking = false;
    const property = fc.asyncProperty(arbitrary, async (input) => {
      if (!shrinking && ++done % 1_000 === 0) options.progress?.(done);
      const reused = await runCase(target, compiled, input, pool);
      if (reused.ok) return true;
      // A failure already known is counted as it is (replaying it on a fresh host costs a VM).
      const seen = findings.get(reused.signature);
      if (seen && !shrinking) {
        seen.count++;
        count(reused);
        return true;
      }
      const fresh = await runCase(target, compiled, input, null);
      if (fresh.ok) {
        if (!shrinking) report.dependsOnHistory++;
        report.historyExample ??= `${reused.signature}\n${reused.message}`;
        return true;
      }
      const known = findings.get(fresh.signature);
      if (known) {
        if (!shrinking) {
          known.count++;
          count(fresh);
        }
        return true;
      }
      shrinking = true;
      return false;
    });
    const result = await fc.check(property, { seed, numRuns: options.runs - report.runs });
    if (!result.failed || result.counterexample === null) {
      report.runs = options.runs;
      break;
    }
    report.runs += result.numRuns;
    const minimal = result.counterexample[0] as FuzzCase;
    const verdict = await runCase(target, compiled, minimal, null);
    count(verdict);
    findings.set(verdict.signature, {
      signature: verdict.signature,
      kind: verdict.kind,
      count: 1,
      entry: {
        target: target.name,
        signature: verdict.signature,
        message: verdict.message,
        found: `npm run fuzz -- --target ${target.name} --seed ${options.seed} --runs ${options.runs}`,
        case: minimal,
      },
    });
    round++;
  }
  report.ms = Math.round(performance.now() - started);
  report.findings = [...findings.values()];
  return report;
}

// ---- the corpus: saved failures, replayed as regression tests -------------------------------

/** Writes a finding to `dir/<target>/<hash>.json`; returns the file's path. */
export function saveFinding(dir: string, entry: CorpusEntry): string {
  const body = { ...entry, case: caseToJson(entry.case) };
  const text = `${JSON.stringify(body, null, 2)}\n`;
  const hash = createHash("sha256").update(JSON.stringify(body.case)).digest("hex").slice(0, 12);
  const folder = join(dir, entry.target);
  mkdirSync(folder, { recursive: true });
  const file = join(folder, `${hash}.json`);
  writeFileSync(file, text);
  return file;
}

/** Every saved entry under `dir` (for one target, or all), with its file name. */
export function loadCorpus(
  dir: string,
  target?: string,
): Array<{ file: string; entry: CorpusEntry }> {
  const out: Array<{ file: string; entry: CorpusEntry }> = [];
  let targets: string[];
  try {
    targets = readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  } catch {
    return out;
  }
  for (const t of targets.sort()) {
    if (target !== undefined && t !== target) continue;
    for (const name of readdirSync(join(dir, t)).sort()) {
      if (!name.endsWith(".json")) continue;
      const file = join(dir, t, name);
      const raw = JSON.parse(readFileSync(file, "utf8")) as CorpusEntry;
      out.push({ file, entry: { ...raw, case: caseFromJson(raw.case) } });
    }
  }
  return out;
}

/** Replays one saved input on a fresh host. */
export async function replay(target: FuzzTarget, input: FuzzCase): Promise<Verdict> {
  return runCase(target, await compile(await target.module()), input, null);
}

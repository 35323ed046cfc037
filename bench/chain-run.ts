// `npm run bench:chain`: the full chain against Envoy's native filters, in real Envoy at 1 and 2
// workers (bench/chain-scenarios.ts), rounds interleaved; writes its section of RESULTS.md
// (between the chain markers; the rest of the file is left as it is) and prints it.
// Options: --rounds N (default 6), --seconds S (default 2), --smoke (one short round, print only),
// --baseline PATH (another chain.wasm measured beside this one: a before/after run; printed, not
// written), --baseline-section FILTER=JSON (merged into the baseline's configuration, repeatable:
// the cost of one feature, with --baseline build/chain.wasm), --workers 1|2 (only that worker
// count; printed, not written).

import { readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { filterModules } from "../src/demo/modules.ts";
import { type EnvoyProcess, startEnvoy } from "../src/envoy/index.ts";
import {
  type ChainModules,
  type ChainScenario,
  chainRequest,
  chainScenarioBootstrap,
  chainScenarios,
  parseSectionChanges,
} from "./chain-scenarios.ts";
import { benchChainModule } from "./lib/chain-module.ts";
import { benchArgs, numberOption, refuse } from "./lib/cli.ts";
import { runWrk } from "./lib/load.ts";
import { benchDir, projectDir } from "./lib/peers.ts";
import { cpuSeconds, rssMiB } from "./lib/proc.ts";
import { withSection } from "./lib/sections.ts";
import { ensureEnvoy, ensureLoadTools } from "./lib/tools.ts";

const me = import.meta.url;
const { values } = benchArgs(me, () =>
  parseArgs({
    options: {
      rounds: { type: "string" },
      seconds: { type: "string" },
      smoke: { type: "boolean", default: false },
      baseline: { type: "string" },
      // FILTER=JSON merged into the baseline's configuration (repeatable): the same module with
      // one feature changed, measured beside the chain (--baseline build/chain.wasm).
      "baseline-section": { type: "string", multiple: true, default: [] },
      workers: { type: "string" },
    },
  }),
);
const smoke = values.smoke ?? false;
const baseline = values.baseline === undefined ? undefined : resolve(values.baseline);
const baselineChanges = parseSectionChanges(values["baseline-section"] ?? []);
if (baseline === undefined && Object.keys(baselineChanges).length > 0) {
  refuse(me, "--baseline-section needs --baseline (the module to run with that configuration)");
}
const onlyWorkers = numberOption(me, "workers", values.workers, undefined, {
  min: 1,
  integer: true,
});
if (onlyWorkers !== undefined && onlyWorkers > 2) {
  refuse(me, `--workers must be 1 or 2, got ${JSON.stringify(values.workers)}`);
}
// A run with a baseline or one worker count is a comparison: printed, RESULTS.md left alone.
const write = !smoke && baseline === undefined && onlyWorkers === undefined;
const selected: ChainScenario[] = [
  ...chainScenarios,
  ...(baseline === undefined
    ? []
    : [1, 2].map((workers) => ({
        name: `chain-${workers}w/baseline`,
        variant: "baseline" as const,
        workers,
      }))),
].filter((s) => onlyWorkers === undefined || s.workers === onlyWorkers);
const workerCounts = [1, 2].filter((w) => onlyWorkers === undefined || w === onlyWorkers);
const rounds = smoke ? 1 : numberOption(me, "rounds", values.rounds, 6, { min: 1, integer: true });
const seconds = smoke ? 1 : numberOption(me, "seconds", values.seconds, 2, { min: 0.1 });
const connections = 16;
const log = (line: string) => console.error(line);

interface Sample {
  rps: number;
  cpuPer10k: number;
  errors: number;
}
interface Live {
  scenario: ChainScenario;
  envoy: EnvoyProcess;
  samples: Sample[];
  rss: number;
}

function quantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const at = (s.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (at - lo);
}
const fmt = (v: number, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : "–");
const mq = (values: number[], d = 2) =>
  `${fmt(quantile(values, 0.5), d)} (IQR ${fmt(quantile(values, 0.25), d)}–${fmt(quantile(values, 0.75), d)})`;

async function start(s: ChainScenario, modules: ChainModules): Promise<Live> {
  const envoy = await startEnvoy({
    config: chainScenarioBootstrap(s, modules, s.variant === "baseline" ? baselineChanges : {}),
    concurrency: s.workers,
    logLevel: "warning",
    componentLogLevel: "wasm:warning,lua:warning",
    cpuAffinity: 0,
    startTimeoutMs: 60_000,
  });
  const shape = chainRequest();
  const ok = await envoy.request("/bench", { headers: shape.headers });
  await ok.arrayBuffer();
  const bare = await envoy.request("/bench");
  await bare.arrayBuffer();
  const wantBare = s.variant === "floor" || s.variant === "lua" ? 200 : 401;
  if (ok.status !== 200 || bare.status !== wantBare) {
    const tail = envoy.logs().split("\n").slice(-10).join("\n");
    await envoy.stop();
    throw new Error(
      `${s.name}: check requests answered ${ok.status} and ${bare.status} (wanted 200, ${wantBare}):\n${tail}`,
    );
  }
  return { scenario: s, envoy, samples: [], rss: 0 };
}

async function measure(l: Live, secs: number): Promise<Sample> {
  const before = cpuSeconds(l.envoy.pid);
  const r = await runWrk({
    url: `${l.envoy.listenerUrl}/bench`,
    shape: chainRequest(),
    seconds: secs,
    connections,
    cpu: 1,
  });
  const cpu = cpuSeconds(l.envoy.pid) - before;
  return {
    rps: r.rps,
    cpuPer10k: r.requests > 0 ? (cpu / r.requests) * 10_000 : Number.NaN,
    errors: r.errors,
  };
}

ensureLoadTools(log);
ensureEnvoy(projectDir, log);
const load = [loadavg()[0] ?? 0];
const modules: ChainModules = {
  chain: await benchChainModule({}, log),
  filters: await filterModules(),
  ...(baseline === undefined ? {} : { baseline }),
};
const live: Live[] = [];
const startedAt = new Date().toISOString();
try {
  for (const s of selected) {
    live.push(await start(s, modules));
    log(`started ${s.name}`);
  }
  if (!smoke) for (const l of live) await measure(l, 2);
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < live.length; i++) {
      const l = live[(i + round) % live.length] as Live;
      const sample = await measure(l, seconds);
      l.samples.push(sample);
      log(
        `round ${round + 1}/${rounds} ${l.scenario.name}: ${Math.round(sample.rps)} rps, ${sample.cpuPer10k.toFixed(3)} cpu-s/10k${sample.errors ? `, ${sample.errors} errors` : ""}`,
      );
    }
    load.push(loadavg()[0] ?? 0);
  }
  for (const l of live) l.rss = rssMiB(l.envoy.pid);
} finally {
  await Promise.all(live.map((l) => l.envoy.stop()));
}

const by = (workers: number, variant: string) =>
  live.find((l) => l.scenario.workers === workers && l.scenario.variant === variant) as Live;
const added = (l: Live, floor: Live) =>
  l.samples.map((s, i) => (s.cpuPer10k - (floor.samples[i]?.cpuPer10k ?? Number.NaN)) * 100);
const perRound = (a: number[], b: number[]) => a.map((x, i) => x / (b[i] ?? Number.NaN));

const lines: string[] = [];
const targets: string[] = [];
lines.push(
  "<!-- chain:start -->",
  "## The full chain against Envoy's native filters",
  "",
  `Generated by \`npm run bench:chain -- --rounds ${rounds} --seconds ${seconds}\` (bench/chain-run.ts; scenarios in bench/chain-scenarios.ts), ${startedAt}: ${rounds} rounds, interleaved; ${connections} connections, closed loop; Envoy pinned to CPU 0 (both workers share it at 2 workers), wrk to CPU 1. Load average (1 min) over the run: ${load.map((x) => x.toFixed(1)).join(", ")} — the machine was shared, so compare rows of this table only. The work: verify an HS256 JWT and forward its sub as x-user, a per-user rate-limit decision (never refusing), route matching and header rewrites (header-router's shipped rules / native route table + header_mutation), request stats and a JSON access-log line to /dev/null. Added CPU is the scenario's CPU per request minus the floor's at the same workers in the same round; ratios are per round, then median and interquartile range.`,
  "",
  "| scenario | max RPS | × floor RPS | added CPU µs/req | × native | RSS MiB | RSS over floor, MiB per worker |",
  "|---|---|---|---|---|---|---|",
);
for (const workers of workerCounts) {
  const floor = by(workers, "floor");
  const native = by(workers, "native");
  for (const variant of ["floor", "native", "separate", "chain", "lua", "baseline"]) {
    if (variant === "baseline" && baseline === undefined) continue;
    const l = by(workers, variant);
    const rps = l.samples.map((s) => s.rps);
    const vsFloor = perRound(
      rps,
      floor.samples.map((s) => s.rps),
    );
    const add = added(l, floor);
    const vsNative = perRound(add, added(native, floor));
    lines.push(
      `| ${l.scenario.name} | ${mq(rps, 0)} | ${variant === "floor" ? "1" : mq(vsFloor)} | ${variant === "floor" ? "0" : mq(add, 1)} | ${["floor", "native", "lua"].includes(variant) ? "–" : mq(vsNative)} | ${fmt(l.rss, 1)} | ${variant === "floor" ? "–" : fmt((l.rss - floor.rss) / workers, 1)} |`,
    );
    if (variant === "baseline") {
      const vsBase = perRound(added(by(workers, "chain"), floor), add);
      targets.push(
        `- ${workers} worker${workers > 1 ? "s" : ""}: this chain's added CPU is ${mq(vsBase)}× the baseline's (${baseline}).`,
      );
    }
    if (variant === "chain") {
      const ratio = quantile(vsNative, 0.5);
      const share = quantile(vsFloor, 0.5);
      targets.push(
        `- ${workers} worker${workers > 1 ? "s" : ""}: the one-module chain's added CPU is ${fmt(ratio)}× the native chain's (target ≤ 2×: ${ratio <= 2 ? "met" : "not met"}); its RPS is ${fmt(share)}× the floor's (target ≥ 0.70×: ${share >= 0.7 ? "met" : "not met"}); four separate plugins: ${fmt(quantile(perRound(added(by(workers, "separate"), floor), added(native, floor)), 0.5))}× native.`,
      );
    }
  }
}
lines.push("", "Targets (medians):", "", ...targets, "", "<!-- chain:end -->");
const section = lines.join("\n");
console.log(section);
if (write) {
  const path = join(benchDir, "RESULTS.md");
  const next = withSection(readFileSync(path, "utf8"), "chain", section);
  writeFileSync(path, next);
  log("wrote the chain section of bench/RESULTS.md");
}

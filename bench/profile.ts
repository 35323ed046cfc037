// `npm run bench:profile -- --only REGEX [--seconds S] [--requests N] [--wasm PATH] [--write]`: where a scenario's
// Envoy CPU goes, and which host calls its module makes per request. The chain's scenarios
// (bench/chain-scenarios.ts: `chain-1w/chain`, `chain-1w/native`, ...) are selected the same way;
// `--section FILTER=JSON` (repeatable) changes their configuration, e.g. one feature off.
//
// For each selected scenario, one Envoy as the bench starts it (one worker, pinned):
// 1. Host calls per request: the same Envoy with the `wasm` log at trace, N requests, and the
//    trace lines counted: every `[vm->host]` line is one guest→host call (proxy_* import), every
//    `[host->vm]` one host→guest entry (callbacks and the `malloc` the host makes to hand over
//    data). Real Envoy's counts, not the test host's.
// 2. `perf record -e cpu-clock -g` on the Envoy under wrk's closed loop, then each sample
//    classified by its stack: leaf in JIT code (the guest's compiled Wasm and V8's wrappers,
//    anonymous memory: Envoy's V8 writes no perf map), leaf in native code called from JIT
//    frames (the host side of host calls: Envoy's header map, copies, the malloc re-entry), or
//    no JIT frame at all (Envoy's own request work, the kernel). Envoy's release binary is
//    stripped but for its allocator and a few exports, so native frames are named by those
//    where possible and otherwise by module.
// Figures are µs of Envoy CPU per request (samples × period ÷ requests). Output goes to
// stdout and bench/.work/profile/ (perf data). With `--write` (and no --only, the works of the
// SDK's hot path: the floors, empty, header1, headers20, shared-cas, properties5 and body4k for
// meshwasm and the peers that do the same work), the figures also go into RESULTS.md's profile
// section (bench/lib/sections.ts), each work's split set against its floor's.

import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { filterModules } from "../src/demo/modules.ts";
import { type EnvoyProcess, startEnvoy } from "../src/envoy/index.ts";
import {
  chainRequest,
  chainScenarioBootstrap,
  chainScenarios,
  parseSectionChanges,
} from "./chain-scenarios.ts";
import { benchChainModule } from "./lib/chain-module.ts";
import { benchArgs, numberOption, patternOption, refuse } from "./lib/cli.ts";
import { scenarioBootstrap } from "./lib/envoy.ts";
import { runWrk } from "./lib/load.ts";
import { benchDir, builders, rootIdFor, workDir } from "./lib/peers.ts";
import {
  type Calls,
  JIT_LEAF,
  KERNEL,
  NATIVE,
  type Profiled,
  renderProfile,
  type Split,
  UNDER_JIT,
} from "./lib/profile-report.ts";
import { withSection } from "./lib/sections.ts";
import { ensureEnvoy, ensureLoadTools, ensurePerf } from "./lib/tools.ts";
import { isWasmPeer, requestShape, type Scenario, scenarios } from "./scenarios.ts";

const me = import.meta.url;
const { values } = benchArgs(me, () =>
  parseArgs({
    options: {
      only: { type: "string" },
      seconds: { type: "string" },
      requests: { type: "string" },
      // A module to use instead of the scenario's own build (to profile another version of it).
      wasm: { type: "string" },
      // FILTER=JSON, merged into that filter's section of the chain scenarios' configuration
      // (repeatable): a profile of the chain with one feature changed.
      section: { type: "string", multiple: true, default: [] },
      write: { type: "boolean", default: false },
    },
  }),
);
/** What `--write` profiles when no --only is given: the works the hot path's targets name. */
const HOT_PATH =
  /^((none|body4k)\/floor|(empty|header1|headers20|shared-cas|properties5|body4k)\/(meshwasm|rust|lua|native))$/;
const only =
  patternOption(me, "only", values.only) ??
  (values.write
    ? HOT_PATH
    : refuse(me, "--only REGEX is required (profile a few scenarios at a time), or --write"));
const seconds = numberOption(me, "seconds", values.seconds, 8, { min: 0.1 });
const traceRequests = numberOption(me, "requests", values.requests, 50, { min: 1, integer: true });
const outDir = join(workDir, "profile");
mkdirSync(outDir, { recursive: true });
const log = (line: string) => console.log(line);
/** Samples per second: low, since each sample copies the stack for DWARF unwinding (Envoy
 *  has no frame pointers; its .eh_frame survives stripping). */
const FREQ = 1000;

async function bootstrapFor(s: Scenario) {
  if (!isWasmPeer(s.peer)) return scenarioBootstrap(s, undefined);
  const wasmPath = values.wasm ?? (await builders[s.peer]([s.work], log)).get(s.work);
  if (!wasmPath) throw new Error(`${s.name}: no module`);
  return scenarioBootstrap(s, {
    name: s.name.replace("/", "_"),
    rootId: s.rootId ?? rootIdFor(s.peer, s.work),
    vmId: s.name,
    wasmPath,
    failurePolicy: "FAIL_CLOSED",
    ...(s.configuration !== undefined ? { configuration: s.configuration } : {}),
  });
}

/** What a profile needs of a scenario: its name, request and whether it runs Wasm. */
interface Target {
  name: string;
  shape: ReturnType<typeof requestShape>;
  wasm: boolean;
}

async function send(envoy: EnvoyProcess, s: Target, n: number): Promise<void> {
  const shape = s.shape;
  for (let i = 0; i < n; i++) {
    const r = await envoy.request("/bench", {
      method: shape.method,
      headers: shape.headers,
      body: shape.body,
      signal: AbortSignal.timeout(5_000),
    });
    await r.arrayBuffer();
    if (r.status !== 200) throw new Error(`${s.name}: status ${r.status}`);
  }
}

/** Counts `[vm->host] name(` and `[host->vm] name(` trace lines in `text`. */
function countCalls(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of text.matchAll(/\[(vm->host|host->vm)\] (?:env\.)?([A-Za-z0-9_]+)/g)) {
    const key = `${m[1]} ${m[2]}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

async function hostCalls(s: Target, config: Record<string, unknown>): Promise<Calls> {
  const envoy = await startEnvoy({
    config,
    concurrency: 1,
    logLevel: "warning",
    componentLogLevel: "wasm:trace",
  });
  try {
    await send(envoy, s, 3); // warm: first-request set-up is not per-request work
    const before = countCalls(envoy.logs());
    await send(envoy, s, traceRequests);
    await new Promise((r) => setTimeout(r, 300));
    const after = countCalls(envoy.logs());
    const rows = [...after]
      .map(([k, v]) => [k, (v - (before.get(k) ?? 0)) / traceRequests] as const)
      .filter(([, v]) => v > 0)
      .sort((a, b) => b[1] - a[1]);
    const total = (dir: string) =>
      rows.filter(([k]) => k.startsWith(dir)).reduce((sum, [, v]) => sum + v, 0);
    log(
      `${s.name}: per request ${total("vm->host")} guest→host calls, ${total("host->vm")} host→guest entries`,
    );
    for (const [k, v] of rows) log(`  ${v.toFixed(2).padStart(7)}  ${k}`);
    return { toHost: total("vm->host"), toGuest: total("host->vm"), rows };
  } finally {
    await envoy.stop();
  }
}

interface Stack {
  frames: Array<{ sym: string; dso: string }>;
}

function isJit(f: { sym: string; dso: string }): boolean {
  return f.dso === "[unknown]" || f.dso.includes("perf-") || f.dso.includes("memfd");
}

/** Parses `perf script` output into stacks, leaf first. */
function stacks(text: string): Stack[] {
  const out: Stack[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const lines = block.split("\n").filter((l) => /^\s+[0-9a-f]+ /.test(l));
    if (lines.length === 0) continue;
    out.push({
      frames: lines.map((l) => {
        const m = /^\s+[0-9a-f]+ (.*) \((.*)\)\s*$/.exec(l);
        return { sym: m?.[1] ?? "?", dso: (m?.[2] ?? "?").replace(/^.*\//, "") };
      }),
    });
  }
  return out;
}

async function profile(s: Target, config: Record<string, unknown>): Promise<Split> {
  const envoy = await startEnvoy({
    config,
    concurrency: 1,
    logLevel: "warning",
    componentLogLevel: "wasm:warning,lua:warning",
    cpuAffinity: 0,
  });
  const data = join(outDir, `${s.name.replace("/", "_")}.data`);
  try {
    await send(envoy, s, 3);
    const shape = s.shape;
    const url = `${envoy.listenerUrl}/bench`;
    await runWrk({ url, shape, seconds: 2, connections: 16, cpu: 1 }); // warm-up
    const perf = spawn(
      "perf",
      [
        "record",
        "-q",
        "-e",
        "cpu-clock",
        "-F",
        String(FREQ),
        "--call-graph",
        "dwarf,16384",
        "-p",
        String(envoy.pid),
        "-o",
        data,
      ],
      { stdio: "ignore" },
    );
    await new Promise((r) => setTimeout(r, 300));
    const load = await runWrk({ url, shape, seconds, connections: 16, cpu: 1 });
    perf.kill("SIGINT");
    await new Promise((r) => perf.on("close", r));
    const script = spawnSync("perf", ["script", "-i", data, "-F", "ip,sym,dso"], {
      encoding: "utf8",
      maxBuffer: 1 << 30,
    });
    const all = stacks(script.stdout);
    const perReq = (n: number) => ((n / FREQ) * 1e6) / load.requests; // µs per request
    const classes = new Map<string, number>();
    const leaves = new Map<string, number>();
    for (const st of all) {
      const leaf = st.frames[0] ?? { sym: "?", dso: "?" };
      const jitInStack = st.frames.some(isJit);
      let cls: string;
      if (isJit(leaf)) cls = JIT_LEAF;
      else if (jitInStack) cls = UNDER_JIT;
      else if (leaf.dso.includes("kernel")) cls = KERNEL;
      else cls = NATIVE;
      classes.set(cls, (classes.get(cls) ?? 0) + 1);
      const sym = leaf.sym === "[unknown]" || leaf.sym === "?" ? `[${leaf.dso}]` : leaf.sym;
      const key = `${jitInStack ? "under JIT" : "outside"}: ${sym.slice(0, 60)}`;
      leaves.set(key, (leaves.get(key) ?? 0) + 1);
    }
    log(
      `${s.name}: ${load.requests} requests in ${load.seconds.toFixed(1)} s (${Math.round(load.rps)} rps), ` +
        `${all.length} samples = ${perReq(all.length).toFixed(1)} µs CPU/request`,
    );
    for (const [k, v] of [...classes].sort((a, b) => b[1] - a[1])) {
      log(`  ${perReq(v).toFixed(2).padStart(7)} µs  ${k}`);
    }
    log("  top leaves:");
    const top = [...leaves].sort((a, b) => b[1] - a[1]).slice(0, 14);
    for (const [k, v] of top) log(`  ${perReq(v).toFixed(2).padStart(7)} µs  ${k}`);
    return {
      rps: load.rps,
      samples: all.length,
      total: perReq(all.length),
      classes: new Map([...classes].map(([k, v]) => [k, perReq(v)])),
      leaves: top.map(([k, v]) => [k, perReq(v)] as const),
    };
  } finally {
    await envoy.stop();
  }
}

ensureLoadTools(log);
ensurePerf(log);
ensureEnvoy(join(workDir, ".."), log);
const startedAt = new Date().toISOString();
const loads: number[] = [loadavg()[0] ?? 0];
const profiled: Profiled[] = [];
for (const s of scenarios.filter((x) => only.test(x.name))) {
  const config = await bootstrapFor(s);
  const target = { name: s.name, shape: requestShape(s.work), wasm: isWasmPeer(s.peer) };
  const calls = target.wasm ? await hostCalls(target, config) : undefined;
  const split = await profile(target, config);
  profiled.push(calls ? { name: s.name, split, calls } : { name: s.name, split });
  loads.push(loadavg()[0] ?? 0);
}
const chains = chainScenarios.filter((x) => only.test(x.name));
const changes = parseSectionChanges(values.section ?? []);
if (chains.length > 0) {
  const modules = {
    chain: values.wasm ?? (await benchChainModule(changes, log)),
    filters: await filterModules(),
  };
  for (const s of chains) {
    const config = chainScenarioBootstrap(s, modules, changes) as Record<string, unknown>;
    const target = {
      name: s.name,
      shape: chainRequest(),
      wasm: s.variant === "chain" || s.variant === "separate",
    };
    const calls = target.wasm ? await hostCalls(target, config) : undefined;
    const split = await profile(target, config);
    profiled.push(calls ? { name: s.name, split, calls } : { name: s.name, split });
    loads.push(loadavg()[0] ?? 0);
  }
}

if (values.write) {
  const section = renderProfile(profiled, {
    command: ["npm run bench:profile --", ...process.argv.slice(2)].join(" "),
    startedAt,
    loads,
    seconds,
    requests: traceRequests,
  });
  const path = join(benchDir, "RESULTS.md");
  writeFileSync(path, withSection(readFileSync(path, "utf8"), "profile", section));
  log(section);
  log("wrote the profile section of bench/RESULTS.md");
}

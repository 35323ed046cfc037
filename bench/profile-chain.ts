// `npm run bench:guest-chain -- [--requests N] [--only REGEX] [--out DIR] [--src DIR]
// [--section FILTER=JSON]`: what the
// chain's filters do inside the VM per request, each alone (with its section of the bench's chain
// configuration) and all four as one module, on the bench's chain request. Per target it prints
// heap allocations, incremental collection steps, objects marked, host calls by name and VM
// entries (callbacks and the host's `malloc` re-entries) by name (from a
// build with AssemblyScript's runtime hooks, as `bench:guest` does), and the µs per request the
// test host spends on the plain build (guest code plus the test host's own side of each host
// call: a relative figure for comparing versions of the guest, not Envoy's cost).
// `--src DIR` takes the filters and the SDK from another checkout (for before/after figures).

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { asc } from "../src/build/asc.ts";
import { chainEntrySource } from "../src/build/chain.ts";
import { compilerArgs } from "../src/build/compile.ts";
import { createHost } from "../src/testing/index.ts";
import { WA } from "../src/testing/wasm-api.ts";
import { benchChainConfig, chainRequest, parseSectionChanges } from "./chain-scenarios.ts";
import { benchArgs, numberOption, patternOption } from "./lib/cli.ts";
import { projectDir, workDir } from "./lib/peers.ts";
import { hookRuntimeTrace } from "./lib/rtrace.ts";

const me = import.meta.url;
const { values } = benchArgs(me, () =>
  parseArgs({
    options: {
      only: { type: "string", default: "." },
      requests: { type: "string" },
      src: { type: "string" },
      out: { type: "string", default: join(workDir, "guest-chain") },
      // Only the plain build, with function names, run `--requests` times: for `node --cpu-prof
      // --import tsx bench/profile-chain.ts --names`, guest time by function.
      names: { type: "boolean", default: false },
      // Count allocations by the guest function that asked for them (the traced build with
      // names; slow: a stack trace per allocation).
      sites: { type: "boolean", default: false },
      // FILTER=JSON merged into that filter's section (repeatable), as for bench:profile.
      section: { type: "string", multiple: true, default: [] },
    },
  }),
);
const only = patternOption(me, "only", values.only) ?? /./;
const n = numberOption(me, "requests", values.requests, 2000, { min: 1, integer: true });
const src = values.src ?? projectDir;
const outDir = values.out ?? join(workDir, "guest-chain");
const FILTERS = ["telemetry", "auth", "rate-limit", "header-router"] as const;

let hooked = false;
const counts = hookRuntimeTrace(
  () => hooked,
  () => {
    if (recordSites) countSite();
  },
);

let recordSites = false;
if (values.sites === true) Error.stackTraceLimit = 12;
const sites = new Map<string, number>();
// The first guest frames above the runtime's own (allocation, arrays, strings).
const RUNTIME =
  /^(~lib\/rt\/|~lib\/(array|arraybuffer|staticarray|string|map|set|util)|wasm-to-js|rtrace|Hooked)/;
function countSite(): void {
  const frames = (new Error().stack ?? "")
    .split("\n")
    .slice(2)
    .map((l) => /at (\S+)/.exec(l.trim())?.[1] ?? "?")
    .filter((f) => f.includes("/") || f.startsWith("~"));
  const own = frames.findIndex((f) => !RUNTIME.test(f));
  const key =
    own < 0
      ? frames.slice(0, 2).join(" < ")
      : frames.slice(Math.max(0, own - 1), own + 2).join(" < ");
  sites.set(key, (sites.get(key) ?? 0) + 1);
}

const RTRACE = ["--use", "ASC_RTRACE=1", "--use", "ASC_PROFILE=1"];
/** The target's module from `src`: the plain build, or one with the runtime hooks. */
async function build(target: string, traced: boolean): Promise<string> {
  const outFile = join(outDir, `${target}${traced ? ".rtrace" : ""}.wasm`);
  const sdk = join(src, "assembly");
  const members = FILTERS.map((name) => ({
    name,
    entry: join(src, "filters", name, "assembly", "index.ts"),
  }));
  let entry = join(src, "filters", target, "assembly", "index.ts");
  if (target === "chain") {
    entry = join(outDir, ".chain", `chain${traced ? "-rtrace" : ""}.ts`);
    mkdirSync(join(outDir, ".chain"), { recursive: true });
    writeFileSync(entry, chainEntrySource(members, entry, sdk));
  }
  // compileFilter takes no extra compiler flags: asc directly, with the same arguments.
  let output = "";
  const sink = {
    write: (c: string | Uint8Array) => {
      output += String(c);
    },
  };
  const debug = (values.names === true && !traced) || (values.sites === true && traced);
  const args = [
    ...compilerArgs({ entry, outFile, baseDir: src, debug }),
    ...(traced ? RTRACE : []),
  ];
  const r = await asc.main(args, { stdout: sink, stderr: sink });
  if (r.error) throw new Error(`compiling ${entry}: ${output}`);
  return outFile;
}

const config = benchChainConfig(parseSectionChanges(values.section ?? []));
const shape = chainRequest();
const targets = [...FILTERS, "chain"].filter((t) => only.test(t));

async function run(target: string, wasm: string, requests: number) {
  const host = await createHost({
    module: await WA.compile(readFileSync(wasm)),
    rootId: target,
    configuration: (target === "chain" ? config : config[target as keyof typeof config]) as object,
    logLevel: "warn",
  });
  // Alone, rate-limit and header-router see the x-user header auth would have set.
  const extra: Record<string, string> =
    target === "rate-limit" || target === "header-router" ? { "x-user": "user-42" } : {};
  const send = () => {
    const st = host.stream();
    st.requestHeaders(
      {
        ":method": shape.method,
        ":path": "/bench",
        ":authority": "bench",
        ":scheme": "http",
        "user-agent": "wrk",
        ...shape.headers,
        ...extra,
      },
      { endOfStream: true },
    );
    st.responseHeaders({ ":status": "200", "content-length": "2" }, { endOfStream: true });
    st.complete();
  };
  return { host, send, requests };
}

for (const target of targets) {
  if (values.names === true) {
    // Only the timed loop, for a CPU profile of the guest's functions.
    const plain = await run(target, await build(target, false), n);
    for (let i = 0; i < n; i++) plain.send();
    plain.host.close();
    continue;
  }
  hooked = true;
  const traced = await run(target, await build(target, true), n);
  for (let i = 0; i < 200; i++) traced.send();
  const before = { ...counts };
  sites.clear();
  recordSites = values.sites === true;
  const hostBefore = new Map(traced.host.coverage.hostCalls);
  const entriesBefore = new Map(traced.host.coverage.callbacks);
  for (let i = 0; i < n; i++) traced.send();
  const per = (k: keyof typeof counts) => ((counts[k] - before[k]) / n).toFixed(2);
  const calls: string[] = [];
  let total = 0;
  for (const [name, count] of traced.host.coverage.hostCalls) {
    const d = (count - (hostBefore.get(name) ?? 0)) / n;
    if (d > 0 && !name.startsWith("proxy_on_")) {
      total += d;
      calls.push(`${d.toFixed(2).padStart(6)}  ${name}`);
    }
  }
  // VM entries: the callbacks the host ran and its `malloc` re-entries (one per value it
  // hands over), as Envoy's trace log counts them.
  const entries: string[] = [];
  let entryTotal = 0;
  for (const [name, count] of traced.host.coverage.callbacks) {
    const d = (count - (entriesBefore.get(name) ?? 0)) / n;
    if (d > 0) {
      entryTotal += d;
      entries.push(`${d.toFixed(2).padStart(6)}  ${name}`);
    }
  }
  recordSites = false;
  traced.host.close();
  hooked = false;
  if (values.sites === true) {
    for (const [k, v] of [...sites].sort((a, b) => b[1] - a[1]).slice(0, 40)) {
      console.log(`  alloc ${(v / n).toFixed(2).padStart(6)}  ${k}`);
    }
  }
  const plain = await run(target, await build(target, false), n);
  for (let i = 0; i < 500; i++) plain.send();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) plain.send();
  const us = ((performance.now() - t0) * 1000) / n;
  plain.host.close();
  console.log(
    `${target}: per request ${per("alloc")} heap allocations, ${per("interrupt")} collection ` +
      `steps, ${per("visit")} objects marked, ${total.toFixed(2)} host calls, ` +
      `${entryTotal.toFixed(2)} VM entries, ${us.toFixed(1)} µs in the test host`,
  );
  for (const c of calls) console.log(`  ${c}`);
  for (const e of entries) console.log(`  ${e} (entry)`);
}

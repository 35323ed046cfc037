// The benchmark: builds every peer, starts one pinned Envoy per scenario, then measures all
// scenarios in alternating rounds (A B C, B C A, ...) after a warm-up, so drift hits each alike.
//
// Per scenario and round: a closed-loop run (max requests/s, and Envoy CPU seconds per 10,000
// requests from /proc/<pid>/stat across that run) and a paced run (latency p50/p99 at a fixed
// rate below saturation). After the rounds: Envoy's RSS. Envoy runs with one worker on CPU 0,
// wrk with one thread on CPU 1 (when the machine has two or more CPUs).

import { statSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { basename, resolve } from "node:path";
import {
  type RateLimitService,
  startRateLimitService,
} from "../filters/rate-limit/test/rls-service.ts";
import { type EnvoyProcess, startEnvoy } from "../src/envoy/index.ts";
import { scenarioBootstrap } from "./lib/envoy.ts";
import { type LoadResult, runWrk } from "./lib/load.ts";
import {
  builders,
  type Log,
  moduleSource,
  projectDir,
  redactHosts,
  rootIdFor,
} from "./lib/peers.ts";
import { cpuSeconds, rssMiB } from "./lib/proc.ts";
import { ensureEnvoy, ensureLoadTools } from "./lib/tools.ts";
import { startUpstream, type Upstream } from "./lib/upstream.ts";
import {
  scenarios as allScenarios,
  isWasmPeer,
  requestShape,
  type Scenario,
  unsupported,
  type WasmPeer,
  type Work,
} from "./scenarios.ts";
import { RATE_LIMIT_SERVICE_LIMITS } from "./scenarios-rate-limit.ts";

export interface BenchOptions {
  /** A short run that only proves every scenario starts, serves and is measured. */
  smoke?: boolean;
  /** Measured rounds after the warm-up. Default 10 (smoke: 1). */
  rounds?: number;
  /** Seconds of each closed-loop run and of each paced run. Default 2 (smoke: 1). */
  seconds?: number;
  /** Connections of the closed-loop run. Default 16. */
  connections?: number;
  /** Paced run: connections × (1000 / intervalMs) requests/s. Default 10 × 100 = 1000. */
  pacedConnections?: number;
  pacedIntervalMs?: number;
  /** Only scenarios whose name matches. */
  only?: RegExp;
  /** Other builds of the meshwasm module (paths to .wasm files, each built as the bench builds
   *  the scenario's: for its configuration): each selected meshwasm scenario is measured once
   *  more per module, as `<scenario>@<file name>`, in the same rounds. */
  baselines?: string[];
  log?: Log;
}

export interface RoundSample {
  maxRps: number;
  requests: number;
  errors: number;
  cpuPer10k: number;
  pacedRps: number;
  p50: number;
  p99: number;
  pacedErrors: number;
}

export type ScenarioStatus = "measured" | "not-built" | "failed" | "not-applicable";

export interface ScenarioResult {
  scenario: Scenario;
  status: ScenarioStatus;
  reason?: string;
  moduleBytes?: number;
  rounds: RoundSample[];
  rssMiB?: number;
  /** From spawning Envoy to its listener serving (includes compiling the module). */
  startMs?: number;
}

export interface BenchResult {
  options: Required<Omit<BenchOptions, "only" | "log" | "baselines">> & { only?: string };
  pinned: boolean;
  startedAt: string;
  finishedAt: string;
  /** The machine's 1-, 5- and 15-minute load averages when the rounds started and ended. */
  loadAverage: { start: number[]; end: number[] };
  results: ScenarioResult[];
  buildErrors: Partial<Record<WasmPeer, string>>;
  /** examples/hello at the default build, in bytes (the module-size target); not measured in
   *  a smoke run. */
  helloBytes?: number;
}

function firstLines(text: string, n: number): string {
  return text.split("\n").slice(0, n).join("\n");
}

async function buildAll(
  list: Scenario[],
  log: Log,
): Promise<{ modules: Map<string, string>; errors: Partial<Record<WasmPeer, string>> }> {
  const byPeer = new Map<WasmPeer, Work[]>();
  for (const s of list) {
    if (!isWasmPeer(s.peer) || unsupported[`${s.work}/${s.peer}`]) continue;
    const works = byPeer.get(s.peer) ?? [];
    works.push(s.work);
    byPeer.set(s.peer, works);
  }
  const modules = new Map<string, string>();
  const errors: Partial<Record<WasmPeer, string>> = {};
  for (const [peer, works] of byPeer) {
    try {
      const built = await builders[peer](works, log);
      for (const [work, path] of built) modules.set(`${work}/${peer}`, path);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      errors[peer] = redactHosts(message).split(`${projectDir}/`).join("");
      log(`${peer}: build failed: ${firstLines(errors[peer] ?? "", 6)}`);
    }
  }
  return { modules, errors };
}

interface Live {
  result: ScenarioResult;
  envoy: EnvoyProcess;
}

async function measure(
  live: Live,
  opts: Required<Omit<BenchOptions, "only" | "log" | "smoke" | "rounds" | "baselines">>,
  loadCpu: number | undefined,
): Promise<RoundSample> {
  const { envoy, result } = live;
  const shape = requestShape(result.scenario.work);
  const url = `${envoy.listenerUrl}/bench`;
  const before = cpuSeconds(envoy.pid);
  const max: LoadResult = await runWrk({
    url,
    shape,
    seconds: opts.seconds,
    connections: opts.connections,
    cpu: loadCpu,
  });
  const cpu = cpuSeconds(envoy.pid) - before;
  const paced = await runWrk({
    url,
    shape,
    seconds: opts.seconds,
    connections: opts.pacedConnections,
    intervalMs: opts.pacedIntervalMs,
    cpu: loadCpu,
  });
  return {
    maxRps: max.rps,
    requests: max.requests,
    errors: max.errors,
    cpuPer10k: max.requests > 0 ? (cpu / max.requests) * 10_000 : Number.NaN,
    pacedRps: paced.rps,
    p50: paced.p50,
    p99: paced.p99,
    pacedErrors: paced.errors,
  };
}

/** Runs the whole benchmark (or its smoke version) and returns every measurement. */
/** Why `--baseline` cannot run with this selection, or undefined when it can: a baseline is
 *  one build of one bench module, measured beside each selected meshwasm scenario, so the
 *  selection's meshwasm scenarios must all run that module's source. */
export function baselineProblem(only: RegExp | undefined, baselines: string[]): string | undefined {
  if (baselines.length === 0) return undefined;
  const chosen = allScenarios.filter((s) => s.peer === "meshwasm" && (!only || only.test(s.name)));
  const sources = [...new Set(chosen.map((s) => moduleSource(s.work)))];
  if (sources.length === 1) return undefined;
  const what =
    sources.length === 0 ? "no module" : `${sources.length} modules (${sources.join(", ")})`;
  return `--baseline stands beside one bench module, and --only selects meshwasm scenarios of ${what}: narrow --only to the scenarios of one module`;
}

export async function runBench(options: BenchOptions = {}): Promise<BenchResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const smoke = options.smoke ?? false;
  const opts = {
    smoke,
    rounds: options.rounds ?? (smoke ? 1 : 10),
    seconds: options.seconds ?? (smoke ? 1 : 2),
    connections: options.connections ?? 16,
    pacedConnections: options.pacedConnections ?? 10,
    pacedIntervalMs: options.pacedIntervalMs ?? 10,
  };
  const startedAt = new Date().toISOString();
  ensureLoadTools(log);
  ensureEnvoy(projectDir, log);

  const cpus = availableParallelism();
  const pinned = cpus >= 2;
  const envoyCpu = pinned ? 0 : undefined;
  const loadCpu = pinned ? 1 : undefined;

  const chosen = allScenarios.filter((s) => !options.only || options.only.test(s.name));
  const problem = baselineProblem(options.only, options.baselines ?? []);
  if (problem !== undefined) throw new Error(problem);
  const { modules, errors } = await buildAll(chosen, log);
  const selected = [...chosen];
  for (const path of options.baselines ?? []) {
    const tag = basename(path, ".wasm");
    for (const s of chosen.filter((x) => x.peer === "meshwasm")) {
      const name = `${s.name}@${tag}`;
      modules.set(name, resolve(path));
      selected.push({ ...s, name });
    }
  }

  const results: ScenarioResult[] = [];
  const live: Live[] = [];
  let rateLimitService: RateLimitService | undefined;
  let loadStart = loadavg();
  let upstream: Upstream | undefined;
  try {
    if (selected.some((s) => s.rateLimitService)) {
      log("starting the rate limit service (Redis and envoyproxy/ratelimit)");
      rateLimitService = await startRateLimitService(RATE_LIMIT_SERVICE_LIMITS);
    }
    if (selected.some((s) => s.proxied)) upstream = await startUpstream(loadCpu);
    for (const scenario of selected) {
      const result: ScenarioResult = { scenario, status: "measured", rounds: [] };
      results.push(result);
      const key = `${scenario.work}/${scenario.peer}` as const;
      const notApplicable = unsupported[key];
      if (notApplicable) {
        result.status = "not-applicable";
        result.reason = notApplicable;
        continue;
      }
      let wasm: Parameters<typeof scenarioBootstrap>[1];
      if (isWasmPeer(scenario.peer)) {
        const path = modules.get(scenario.name);
        if (!path) {
          result.status = "not-built";
          result.reason = errors[scenario.peer] ?? "no module";
          continue;
        }
        result.moduleBytes = statSync(path).size;
        wasm = {
          name: scenario.name.replace("/", "_"),
          rootId: scenario.rootId ?? rootIdFor(scenario.peer, scenario.work),
          vmId: scenario.name,
          wasmPath: path,
          failurePolicy: "FAIL_CLOSED",
          ...(scenario.configuration !== undefined
            ? { configuration: scenario.configuration }
            : {}),
        };
      }
      try {
        const started = performance.now();
        const envoy = await startEnvoy({
          config: await scenarioBootstrap(scenario, wasm, rateLimitService?.socket, upstream?.port),
          concurrency: scenario.workers ?? 1,
          logLevel: "warning",
          componentLogLevel: "wasm:warning,lua:warning",
          cpuAffinity: envoyCpu,
        });
        result.startMs = performance.now() - started;
        live.push({ result, envoy });
        const shape = requestShape(scenario.work);
        const response = await envoy.request("/bench", {
          method: shape.method,
          headers: shape.headers,
          body: shape.body,
          signal: AbortSignal.timeout(5_000),
        });
        await response.arrayBuffer();
        if (response.status !== 200) {
          throw new Error(
            `check request answered ${response.status}; Envoy log tail:\n${envoy.logs().split("\n").slice(-15).join("\n")}`,
          );
        }
        log(`started ${scenario.name} (pid ${envoy.pid})`);
      } catch (err) {
        result.status = "failed";
        result.reason = firstLines(err instanceof Error ? err.message : String(err), 20);
        log(`${scenario.name}: ${result.reason}`);
      }
    }

    const running = live.filter((l) => l.result.status === "measured");
    if (!smoke) {
      log("warm-up round");
      for (const l of running) {
        await runWrk({
          url: `${l.envoy.listenerUrl}/bench`,
          shape: requestShape(l.result.scenario.work),
          seconds: 2,
          connections: opts.connections,
          cpu: loadCpu,
        });
      }
    }
    loadStart = loadavg();
    for (let round = 0; round < opts.rounds; round++) {
      // Rotate the order each round so no scenario always runs first or last.
      const order = running.map((_, i) => running[(i + round) % running.length] as Live);
      for (const l of order) {
        try {
          const sample = await measure(l, opts, loadCpu);
          l.result.rounds.push(sample);
          log(
            `round ${round + 1}/${opts.rounds} ${l.result.scenario.name}: ${Math.round(sample.maxRps)} rps, ` +
              `${sample.cpuPer10k.toFixed(3)} cpu-s/10k, p50 ${sample.p50} us, p99 ${sample.p99} us` +
              (sample.errors + sample.pacedErrors > 0
                ? `, ${sample.errors + sample.pacedErrors} errors`
                : ""),
          );
        } catch (err) {
          l.result.status = "failed";
          l.result.reason = firstLines(err instanceof Error ? err.message : String(err), 20);
          log(`${l.result.scenario.name}: ${l.result.reason}`);
        }
      }
    }
    for (const l of live) {
      if (l.result.status === "measured") l.result.rssMiB = rssMiB(l.envoy.pid);
    }
  } finally {
    await Promise.all(live.map((l) => l.envoy.stop()));
    await rateLimitService?.stop();
    await upstream?.stop();
  }

  return {
    options: { ...opts, only: options.only?.source },
    pinned,
    startedAt,
    finishedAt: new Date().toISOString(),
    loadAverage: { start: loadStart, end: loadavg() },
    results,
    buildErrors: errors,
  };
}

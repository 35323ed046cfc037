// The soak: the full chain as one module in real Envoy (two workers by default) under steady
// load for a configured time, with a mix of good and bad requests. Each response is checked
// against what its kind of request should get (an "error" is anything else: a 5xx, a reset, a
// 200 that reached the wrong upstream or without the caller's identity); every window reports
// the rate, errors, latency percentiles, Envoy's RSS and each Wasm VM's linear memory.

import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";
import { chainBootstrap, demoSecret, readChainConfig } from "../../src/demo/chain-envoy.ts";
import { chainModule } from "../../src/demo/modules.ts";
import { demoToken } from "../../src/demo/tour.ts";
import { type NamedUpstream, startNamedUpstream } from "../../src/demo/upstreams.ts";
import { type EnvoyProcess, startEnvoy } from "../../src/envoy/runner.ts";
import { rssMiB } from "./proc.ts";
import { type VmMemory, wasmMemories } from "./vm-memory.ts";

export interface SoakOptions {
  seconds: number;
  /** Length of one reporting window. */
  windowSeconds: number;
  /** Envoy worker threads. */
  concurrency: number;
  /** Client connections, each sending one request at a time. */
  connections: number;
  /** Each connection waits this long between requests (0: as fast as answers come). */
  intervalMs: number;
  /** Called with each window as it closes. */
  onWindow?: (w: SoakWindow) => void;
}

export const DEFAULT_SOAK: SoakOptions = {
  seconds: 600,
  windowSeconds: 30,
  concurrency: 2,
  connections: 8,
  intervalMs: 5,
};

export interface SoakWindow {
  /** Seconds since the load started, at the window's end. */
  t: number;
  requests: number;
  rps: number;
  errors: number;
  /** Responses by request kind and status, e.g. {"no-token 401": 120}. */
  outcomes: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  envoyRssMiB: number;
  vms: VmMemory[];
}

export interface SoakReport {
  options: Omit<SoakOptions, "onWindow">;
  windows: SoakWindow[];
  requests: number;
  errors: number;
  /** The first few errors, described. */
  errorSamples: string[];
  /** p99 of the last window over p99 of the first after warm-up. */
  p99Drift: number;
  /** Per VM (by address): linear memory at the end of the warm-up (the first fifth of the
   *  windows) and of the last window. */
  memory: {
    address: string;
    firstBytes: number;
    lastBytes: number;
    firstRss: number;
    lastRss: number;
  }[];
}

interface Kind {
  name: string;
  headers: (i: number) => Record<string, string>;
  /** Null when the response is as it should be, else what is wrong. */
  check: (
    status: number,
    headers: Record<string, string | string[] | undefined>,
    body: string,
    i: number,
  ) => string | null;
}

const USERS = 2000;

function kinds(secret: Buffer): Kind[] {
  const tokens = Array.from({ length: USERS }, (_, i) => demoToken(secret, `user-${i}`));
  const hot = demoToken(secret, "hot");
  const forged = `${demoToken(secret, "mallory").slice(0, -4)}AAAA`;
  const identity =
    (want: string) =>
    (status: number, h: Record<string, string | string[] | undefined>, body: string) => {
      if (status === 429) return null;
      if (status !== 200) return `status ${status}`;
      const seen = (JSON.parse(body) as { headers: Record<string, string> }).headers["x-user"];
      return seen === want
        ? null
        : `upstream saw x-user ${seen}, wanted ${want} (via ${h["x-upstream"]})`;
    };
  const status = (want: number) => (got: number) =>
    got === want ? null : `status ${got}, wanted ${want}`;
  return [
    {
      name: "good",
      headers: (i) => ({ authorization: `Bearer ${tokens[i % USERS]}` }),
      check: (s, h, b, i) => identity(`user-${i % USERS}`)(s, h, b),
    },
    {
      name: "good",
      headers: (i) => ({ authorization: `Bearer ${tokens[(i * 7) % USERS]}` }),
      check: (s, h, b, i) => identity(`user-${(i * 7) % USERS}`)(s, h, b),
    },
    { name: "no-token", headers: () => ({}), check: status(401) },
    {
      name: "bad-signature",
      headers: () => ({ authorization: `Bearer ${forged}` }),
      check: status(401),
    },
    {
      name: "hot-user",
      headers: () => ({ authorization: `Bearer ${hot}` }),
      check: identity("hot"),
    },
    {
      name: "canary-bad-trace",
      headers: (i) => ({
        authorization: `Bearer ${tokens[(i * 13) % USERS]}`,
        "x-canary": "1",
        traceparent: "00-zz-01",
      }),
      check: (s, h, body, i) => {
        const wrong = identity(`user-${(i * 13) % USERS}`)(s, h, body);
        if (wrong !== null || s !== 200) return wrong;
        if (h["x-upstream"] !== "canary") return `landed on ${h["x-upstream"]}, wanted canary`;
        const tp =
          (JSON.parse(body) as { headers: Record<string, string> }).headers.traceparent ?? "";
        return /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/.test(tp)
          ? null
          : `traceparent not replaced: ${tp}`;
      },
    },
  ];
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** Runs the soak; stops everything it started, even on failure. */
export async function runSoak(opts: SoakOptions): Promise<SoakReport> {
  const wasm = await chainModule();
  let stable: NamedUpstream | undefined;
  let canary: NamedUpstream | undefined;
  let envoy: EnvoyProcess | undefined;
  const agent = new Agent({ keepAlive: true, maxSockets: opts.connections });
  try {
    stable = await startNamedUpstream("stable", 1);
    canary = await startNamedUpstream("canary", 1);
    envoy = await startEnvoy({
      config: chainBootstrap({
        mode: "chain",
        chainWasm: wasm,
        stablePort: stable.port,
        canaryPort: canary.port,
      }),
      concurrency: opts.concurrency,
      logLevel: "warn",
      componentLogLevel: "wasm:warn",
      // V8 compiles the module once per VM: allow for a busy machine.
      startTimeoutMs: 60_000,
    });
    const url = new URL(envoy.listenerUrl);
    const pid = envoy.pid;
    const all = kinds(demoSecret(readChainConfig()));
    const windows: SoakWindow[] = [];
    const errorSamples: string[] = [];
    let latencies: number[] = [];
    let outcomes: Record<string, number> = {};
    let windowRequests = 0;
    let windowErrors = 0;
    let total = 0;
    let totalErrors = 0;
    let next = 0;
    const started = performance.now();
    const deadline = started + opts.seconds * 1000;
    const fail = (what: string) => {
      windowErrors++;
      totalErrors++;
      if (errorSamples.length < 10) errorSamples.push(what);
    };
    const one = (i: number) =>
      new Promise<void>((done) => {
        const kind = all[i % all.length] as Kind;
        const t0 = performance.now();
        const req = request(
          {
            host: url.hostname,
            port: url.port,
            path: `/soak/${i % 97}`,
            headers: kind.headers(i),
            agent,
          },
          (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (c: string) => {
              body += c;
            });
            res.on("end", () => {
              latencies.push(performance.now() - t0);
              windowRequests++;
              total++;
              const key = `${kind.name} ${res.statusCode}`;
              outcomes[key] = (outcomes[key] ?? 0) + 1;
              let wrong: string | null;
              try {
                wrong = kind.check(res.statusCode ?? 0, res.headers, body, i);
              } catch (error) {
                wrong = `unreadable answer: ${(error as Error).message}`;
              }
              if (wrong !== null) fail(`${kind.name} #${i}: ${wrong}`);
              done();
            });
          },
        );
        req.on("error", (error) => {
          fail(`${kind.name} #${i}: ${error.message}`);
          done();
        });
        req.setTimeout(10_000, () => req.destroy(new Error("no answer in 10 s")));
        req.end();
      });
    const loop = async () => {
      while (performance.now() < deadline) {
        await one(next++);
        if (opts.intervalMs > 0) await new Promise((r) => setTimeout(r, opts.intervalMs));
      }
    };
    const closeWindow = () => {
      const sorted = latencies.sort((a, b) => a - b);
      const t = (performance.now() - started) / 1000;
      const previous = windows.at(-1)?.t ?? 0;
      const w: SoakWindow = {
        t: Math.round(t),
        requests: windowRequests,
        rps: Math.round(windowRequests / (t - previous)),
        errors: windowErrors,
        outcomes,
        p50Ms: Number(percentile(sorted, 50).toFixed(2)),
        p99Ms: Number(percentile(sorted, 99).toFixed(2)),
        envoyRssMiB: Number(rssMiB(pid).toFixed(1)),
        vms: wasmMemories(pid),
      };
      windows.push(w);
      opts.onWindow?.(w);
      latencies = [];
      outcomes = {};
      windowRequests = 0;
      windowErrors = 0;
    };
    const timer = setInterval(closeWindow, opts.windowSeconds * 1000);
    try {
      await Promise.all(Array.from({ length: opts.connections }, loop));
    } finally {
      clearInterval(timer);
    }
    // The last, partial window: counted in the totals, reported as a window only when it is
    // at least half a window long.
    const tail = (performance.now() - started) / 1000 - (windows.at(-1)?.t ?? 0);
    if (windows.length === 0 || (windowRequests > 0 && tail >= opts.windowSeconds / 2))
      closeWindow();
    // Memory is compared from the end of the warm-up (the first fifth of the windows, at least
    // one): the runtime's heap grows to its working size first.
    const warmup = Math.max(1, Math.floor(windows.length / 5));
    const first = windows[warmup - 1] as SoakWindow;
    const last = windows.at(-1) as SoakWindow;
    const memory = last.vms.map((vm) => {
      const before = first.vms.find((v) => v.address === vm.address);
      return {
        address: vm.address,
        firstBytes: before?.bytes ?? 0,
        lastBytes: vm.bytes,
        firstRss: before?.rssBytes ?? 0,
        lastRss: vm.rssBytes,
      };
    });
    const { onWindow: _onWindow, ...options } = opts;
    return {
      options,
      windows,
      requests: total,
      errors: totalErrors,
      errorSamples,
      p99Drift: first.p99Ms > 0 ? Number((last.p99Ms / first.p99Ms).toFixed(2)) : 0,
      memory,
    };
  } finally {
    agent.destroy();
    await envoy?.stop();
    await stable?.close();
    await canary?.close();
  }
}

// A real Prometheus for the demo and the tests: Debian's `prometheus` (installed by
// scripts/setup-prometheus.sh when missing), started on 127.0.0.1 with a generated configuration that scrapes one target's
// /stats/prometheus every second, a temporary data directory, and stopped (directory removed)
// by stop(), by process exit, or on a failed start.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { packageRoot } from "../cli/project.ts";

const run = promisify(execFile);

/** Runs the project's set-up script; throws (never skips) when Prometheus cannot be had. */
export async function ensurePrometheus(): Promise<void> {
  await run("bash", [join(packageRoot, "scripts", "setup-prometheus.sh")], { timeout: 600_000 });
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

export interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface PrometheusProcess {
  url: string;
  /** An instant query; the result vector (or scalar wrapped as one sample). */
  query(promql: string): Promise<VectorSample[]>;
  /** Polls `promql` until `accept` holds for its result (or throws after `timeoutMs`). */
  waitFor(
    promql: string,
    accept: (r: VectorSample[]) => boolean,
    timeoutMs?: number,
  ): Promise<VectorSample[]>;
  logs(): string;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/** Starts Prometheus scraping `http://<target><metricsPath>` every second. */
export async function startPrometheus(target: string, metricsPath = "/stats/prometheus") {
  const dir = mkdtempSync(join(tmpdir(), "meshwasm-prometheus-"));
  const port = await freePort();
  const config = [
    "global:",
    "  scrape_interval: 1s",
    "  evaluation_interval: 1s",
    "scrape_configs:",
    "  - job_name: envoy",
    `    metrics_path: ${metricsPath}`,
    "    static_configs:",
    `      - targets: ["${target}"]`,
    "",
  ].join("\n");
  writeFileSync(join(dir, "prometheus.yml"), config);
  const child = spawn(
    "prometheus",
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  live.add(child);
  let output = "";
  child.stdout?.on("data", (d) => {
    output += String(d);
  });
  child.stderr?.on("data", (d) => {
    output += String(d);
  });
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
    live.delete(child);
    rmSync(dir, { recursive: true, force: true });
  };
  const query = async (promql: string): Promise<VectorSample[]> => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as {
      status: string;
      error?: string;
      data?: { resultType: string; result: unknown };
    };
    if (body.status !== "success") throw new Error(`PromQL ${promql}: ${body.error}`);
    const data = body.data as { resultType: string; result: unknown };
    if (data.resultType === "scalar") {
      return [{ metric: {}, value: data.result as [number, string] }];
    }
    return data.result as VectorSample[];
  };
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`prometheus exited: ${output}`);
      const ready = await fetch(`${url}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`prometheus not ready after 30 s: ${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const waitFor = async (
    promql: string,
    accept: (r: VectorSample[]) => boolean,
    timeoutMs = 30_000,
  ) => {
    const deadline = Date.now() + timeoutMs;
    let last: VectorSample[] = [];
    for (;;) {
      last = await query(promql);
      if (accept(last)) return last;
      if (Date.now() > deadline) {
        throw new Error(`${promql} still ${JSON.stringify(last)} after ${timeoutMs} ms`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  return { url, query, waitFor, logs: () => output, stop } satisfies PrometheusProcess;
}

// Runs wrk against one listener and parses what its Lua done() hook prints.
//
// Two shapes of run:
// - max: closed loop, `connections` connections kept busy; gives the capacity (requests/s).
// - paced: each connection waits `intervalMs` between requests (wrk's delay() hook), so the
//   offered rate is about connections × 1000 / intervalMs, well below saturation. This is not
//   wrk2's coordinated-omission correction: a stalled response delays that connection's next
//   request. At a rate far under capacity that queueing is negligible; the report says so.

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** What a request looks like: method, extra headers, body. */
export interface RequestShape {
  method: "GET" | "POST";
  headers: Record<string, string>;
  body?: string;
}

export interface LoadOptions {
  url: string;
  shape: RequestShape;
  seconds: number;
  connections: number;
  /** Pace each connection: wait this long between requests. Omit for a closed loop. */
  intervalMs?: number;
  /** Pin wrk to this CPU with taskset. */
  cpu?: number;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  /** Latency percentiles in microseconds. */
  p50: number;
  p99: number;
  /** Socket errors, timeouts and non-2xx/3xx responses. */
  errors: number;
}

function luaString(s: string): string {
  return JSON.stringify(s); // A JSON string literal is a valid Lua string literal for ASCII.
}

function script(opts: LoadOptions): string {
  const lines = [`wrk.method = ${luaString(opts.shape.method)}`];
  for (const [name, value] of Object.entries(opts.shape.headers)) {
    lines.push(`wrk.headers[${luaString(name)}] = ${luaString(value)}`);
  }
  if (opts.shape.body !== undefined) lines.push(`wrk.body = ${luaString(opts.shape.body)}`);
  if (opts.intervalMs !== undefined) {
    lines.push(`function delay() return ${opts.intervalMs} end`);
  }
  lines.push(
    "function done(summary, latency, requests)",
    "  local e = summary.errors",
    '  io.write(string.format("\\nBENCH {\\"requests\\":%d,\\"micros\\":%d,\\"p50\\":%d,\\"p99\\":%d,\\"errors\\":%d}\\n",',
    "    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),",
    "    e.connect + e.read + e.write + e.status + e.timeout))",
    "end",
  );
  return `${lines.join("\n")}\n`;
}

/** Runs wrk once; rejects when it fails or prints no result line. Bounded by `seconds` + 15 s. */
export async function runWrk(opts: LoadOptions): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), "meshwasm-wrk-"));
  const scriptPath = join(dir, "load.lua");
  writeFileSync(scriptPath, script(opts));
  const wrkArgs = [
    "-t1",
    `-c${opts.connections}`,
    `-d${opts.seconds}s`,
    "--timeout",
    "5s",
    "-s",
    scriptPath,
    opts.url,
  ];
  const [command, args] =
    opts.cpu === undefined
      ? ["wrk", wrkArgs]
      : ["taskset", ["-c", String(opts.cpu), "wrk", ...wrkArgs]];
  try {
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
      let text = "";
      child.stdout.on("data", (c: Buffer) => {
        text += c.toString("utf8");
      });
      child.stderr.on("data", (c: Buffer) => {
        text += c.toString("utf8");
      });
      const timer = setTimeout(() => child.kill("SIGKILL"), (opts.seconds + 15) * 1000);
      child.on("error", reject);
      child.on("close", (code) => {
        clearTimeout(timer);
        if (code === 0) resolve(text);
        else reject(new Error(`wrk exited with ${code}:\n${text}`));
      });
    });
    const line = /^BENCH (\{.*\})$/m.exec(output);
    if (!line?.[1]) throw new Error(`wrk printed no result:\n${output}`);
    const r = JSON.parse(line[1]) as {
      requests: number;
      micros: number;
      p50: number;
      p99: number;
      errors: number;
    };
    const seconds = r.micros / 1e6;
    return {
      requests: r.requests,
      seconds,
      rps: seconds > 0 ? r.requests / seconds : 0,
      p50: r.p50,
      p99: r.p99,
      errors: r.errors,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

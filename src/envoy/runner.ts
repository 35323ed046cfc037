/**
 * Starts real Envoy processes for tests, demos and benchmarks, and guarantees they go away.
 *
 * Each Envoy gets its own temp dir (bootstrap JSON + admin address file), binds admin and
 * listener on 127.0.0.1 port 0, and runs without hot restart so any number can run at once.
 * Every live process is tracked in a module-level set and killed when this process exits or is
 * signalled, so a timed-out test cannot leak one.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { envoyBinary } from "./binary.ts";

export interface StartEnvoyOptions {
  /** A complete v3 bootstrap, e.g. from `buildBootstrap`; written to a temp file as JSON. */
  config: object;
  /** Worker threads (each gets its own Wasm VM). Default 1. */
  concurrency?: number;
  /** `--log-level`. Default "info". */
  logLevel?: string;
  /** `--component-log-level`. Default "wasm:debug", so `proxy_log` output shows. */
  componentLogLevel?: string;
  /** How long to wait for LIVE and a bound listener. Default 15 000 ms. */
  startTimeoutMs?: number;
  /** Pin Envoy to this CPU with `taskset -c N` when taskset is installed (benchmarks). */
  cpuAffinity?: number;
  /** More command-line flags, appended last. */
  extraArgs?: string[];
}

export interface EnvoyExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface EnvoyProcess {
  pid: number;
  /** `http://127.0.0.1:<port>` of the first listener. */
  listenerUrl: string;
  /** `http://127.0.0.1:<port>` of the admin interface. */
  adminUrl: string;
  /** Everything Envoy wrote to stdout and stderr so far (kept in memory: quiet it for long runs). */
  logs(): string;
  /** Resolves with the first match in the logs (past or future); rejects on timeout or exit. */
  waitForLog(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Counters and gauges from `/stats?format=json`, optionally filtered by a regex. */
  stats(filter?: string): Promise<Record<string, number>>;
  /** The `/stats/prometheus` text. */
  prometheus(): Promise<string>;
  /** `fetch` against the listener: `envoy.request("/path", { method: "POST", body })`. */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** SIGTERM, then SIGKILL after 5 s; removes temp files. Safe to call more than once. */
  stop(): Promise<void>;
  /** Settles when the process has exited and its output is fully read. */
  exited: Promise<EnvoyExit>;
}

/** Why `startEnvoy` failed; `logs` holds all Envoy output, the message its last lines. */
export class EnvoyStartError extends Error {
  constructor(
    message: string,
    readonly pid: number | undefined,
    readonly exit: EnvoyExit,
    readonly logs: string,
  ) {
    super(message);
    this.name = "EnvoyStartError";
  }
}

/** A log format that is easy to assert on: `[info][wasm] wasm log: hello`. */
export const ENVOY_LOG_FORMAT = "[%l][%n] %v";

const STOP_GRACE_MS = 5_000;
const TAIL_LINES = 40;

interface Tracked {
  child: ChildProcess;
  dir: string;
}

const live = new Set<Tracked>();
const forwardedSignals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

function killAllNow(): void {
  for (const t of live) {
    t.child.kill("SIGKILL");
    rmSync(t.dir, { recursive: true, force: true });
  }
  live.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  killAllNow();
  untrackHandlers();
  // With our handler gone, re-raising gives the default behaviour unless others still listen.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

let handlersInstalled = false;

function trackHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on("exit", killAllNow);
  for (const s of forwardedSignals) process.on(s, onSignal);
}

function untrackHandlers(): void {
  if (!handlersInstalled) return;
  handlersInstalled = false;
  process.off("exit", killAllNow);
  for (const s of forwardedSignals) process.off(s, onSignal);
}

let tasksetAvailable: boolean | undefined;

function hasTaskset(): boolean {
  tasksetAvailable ??= spawnSync("taskset", ["--version"]).status === 0;
  return tasksetAvailable;
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/** Envoy's `[critical]`/`[error]` lines with their continuation lines, the usual "why". */
function errorLines(text: string): string[] {
  const found: string[] = [];
  let inError = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("[")) inError = /^\[(critical|error)\]/.test(line);
    if (inError) found.push(line);
  }
  return found.slice(-10);
}

function describeExit(exit: EnvoyExit): string {
  return exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
}

async function getText(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return { status: res.status, body: await res.text() };
}

/** Envoy's combined output, with waiters that re-check on every chunk and on exit. */
class LogBuffer {
  text = "";
  private readonly waiters = new Set<() => void>();
  private ended = false;

  append(chunk: string): void {
    this.text += chunk;
    this.notify();
  }

  end(): void {
    this.ended = true;
    this.notify();
  }

  waitFor(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    // A global or sticky regex would carry lastIndex between checks; match from the start.
    const pattern = new RegExp(re.source, re.flags.replace(/[gy]/g, ""));
    return new Promise((resolve, reject) => {
      const settle = (outcome: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        outcome();
      };
      const failWith = (why: string) =>
        settle(() => reject(new Error(`${why}; last lines:\n${tail(this.text, 20)}`)));
      const check = () => {
        const match = pattern.exec(this.text);
        if (match) settle(() => resolve(match));
        else if (this.ended) failWith(`Envoy exited before logging ${re}`);
      };
      const timer = setTimeout(
        () => failWith(`No log line matched ${re} in ${timeoutMs} ms`),
        timeoutMs,
      );
      this.waiters.add(check);
      check();
    });
  }

  private notify(): void {
    for (const check of this.waiters) check();
  }
}

interface StatsJson {
  stats?: Array<{ name?: string; value?: unknown }>;
}

/**
 * Starts Envoy with `opts.config` and resolves once it is LIVE and its listener is bound.
 * On failure it rejects with an `EnvoyStartError` quoting Envoy's last log lines, after making
 * sure the process is gone.
 *
 * @example
 * const envoy = await startEnvoy({ config: buildBootstrap({ upstream: { kind: "direct" } }) });
 * try { await envoy.request("/"); } finally { await envoy.stop(); }
 */
export async function startEnvoy(opts: StartEnvoyOptions): Promise<EnvoyProcess> {
  const binary = envoyBinary();
  const configJson = JSON.stringify(opts.config, null, 2);
  const dir = mkdtempSync(join(tmpdir(), "meshwasm-envoy-"));
  const configPath = join(dir, "bootstrap.json");
  const adminPath = join(dir, "admin-address");
  writeFileSync(configPath, configJson);

  const envoyArgs = [
    "-c",
    configPath,
    "--disable-hot-restart",
    "--admin-address-path",
    adminPath,
    "--concurrency",
    String(opts.concurrency ?? 1),
    "--log-level",
    opts.logLevel ?? "info",
    "--component-log-level",
    opts.componentLogLevel ?? "wasm:debug",
    "--log-format",
    ENVOY_LOG_FORMAT,
    ...(opts.extraArgs ?? []),
  ];
  const pinned = opts.cpuAffinity !== undefined && hasTaskset();
  const [command, args] = pinned
    ? ["taskset", ["-c", String(opts.cpuAffinity), binary, ...envoyArgs]]
    : [binary, envoyArgs];

  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  const tracked: Tracked = { child, dir };
  live.add(tracked);
  trackHandlers();

  const log = new LogBuffer();
  const onOutput = (chunk: Buffer) => log.append(chunk.toString("utf8"));
  child.stdout?.on("data", onOutput);
  child.stderr?.on("data", onOutput);

  let exitInfo: EnvoyExit | undefined;
  const exited = new Promise<EnvoyExit>((resolve) => {
    const done = (exit: EnvoyExit) => {
      if (exitInfo) return;
      exitInfo = exit;
      live.delete(tracked);
      if (live.size === 0) untrackHandlers();
      log.end();
      resolve(exit);
    };
    // 'close' comes after the output streams end, so logs() is complete when this settles.
    child.on("close", (code, signal) => done({ code, signal }));
    child.on("error", (err) => {
      log.append(`\n[meshwasm] could not run ${command}: ${err.message}\n`);
      done({ code: null, signal: null });
    });
  });

  const cleanup = () => rmSync(dir, { recursive: true, force: true });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (!exitInfo) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }
      cleanup();
    })();
    return stopping;
  };

  const fail = async (reason: string): Promise<never> => {
    await stop();
    const exit = exitInfo ?? { code: null, signal: null };
    const errors = errorLines(log.text);
    const said = errors.length > 0 ? `\nEnvoy errors:\n${errors.join("\n")}` : "";
    throw new EnvoyStartError(
      `Envoy failed to start: ${reason}.${said}\nLast ${TAIL_LINES} log lines:\n${tail(log.text, TAIL_LINES)}`,
      child.pid,
      exit,
      log.text,
    );
  };

  const timeoutMs = opts.startTimeoutMs ?? 15_000;
  const deadline = Date.now() + timeoutMs;
  let adminUrl: string | undefined;
  let listenerPort: number | undefined;
  while (listenerPort === undefined) {
    if (exitInfo) return fail(`it exited during start (${describeExit(exitInfo)})`);
    if (Date.now() > deadline) return fail(`not ready after ${timeoutMs} ms`);
    try {
      adminUrl ??= readAdminUrl(adminPath);
      if (adminUrl && (await getText(`${adminUrl}/ready`)).status === 200) {
        listenerPort = await readListenerPort(adminUrl);
      }
    } catch {
      // Admin not answering yet; poll again.
    }
    if (listenerPort === undefined) await sleep(25);
  }
  if (child.pid === undefined || adminUrl === undefined) return fail("no pid or admin address");

  const admin = adminUrl;
  const listenerUrl = `http://127.0.0.1:${listenerPort}`;

  const stats = async (filter?: string): Promise<Record<string, number>> => {
    const query = filter === undefined ? "" : `&filter=${encodeURIComponent(filter)}`;
    const { body } = await getText(`${admin}/stats?format=json${query}`);
    const result: Record<string, number> = {};
    for (const entry of (JSON.parse(body) as StatsJson).stats ?? []) {
      if (typeof entry.name === "string" && typeof entry.value === "number") {
        result[entry.name] = entry.value;
      }
    }
    return result;
  };

  return {
    pid: child.pid,
    listenerUrl,
    adminUrl: admin,
    logs: () => log.text,
    waitForLog: (re, timeoutMs = 10_000) => log.waitFor(re, timeoutMs),
    stats,
    prometheus: async () => (await getText(`${admin}/stats/prometheus`)).body,
    request: (path, init) => fetch(new URL(path, listenerUrl), init),
    stop,
    exited,
  };
}

function readAdminUrl(adminPath: string): string | undefined {
  if (!existsSync(adminPath)) return undefined;
  const address = readFileSync(adminPath, "utf8").trim();
  return /^[\d.]+:\d+$/.test(address) ? `http://${address}` : undefined;
}

async function readListenerPort(adminUrl: string): Promise<number | undefined> {
  const { status, body } = await getText(`${adminUrl}/listeners?format=json`);
  if (status !== 200) return undefined;
  const parsed = JSON.parse(body) as {
    listener_statuses?: Array<{ local_address?: { socket_address?: { port_value?: number } } }>;
  };
  const port = parsed.listener_statuses?.[0]?.local_address?.socket_address?.port_value;
  return port ? port : undefined;
}

/**
 * Runs `fn` against a fresh Envoy and always stops it, even when `fn` throws.
 *
 * @example
 * const status = await withEnvoy({ config }, async (envoy) => (await envoy.request("/")).status);
 */
export async function withEnvoy<T>(
  opts: StartEnvoyOptions,
  fn: (envoy: EnvoyProcess) => Promise<T> | T,
): Promise<T> {
  const envoy = await startEnvoy(opts);
  try {
    return await fn(envoy);
  } finally {
    await envoy.stop();
  }
}

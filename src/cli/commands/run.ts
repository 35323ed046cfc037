// `meshwasm run <name...>`: the filters, chained in the order given, in real Envoy in front of
// an echo upstream. Prints the listener and admin URLs, streams the filters' log lines, and
// stops Envoy and the upstream on Ctrl-C or SIGTERM. With `--request`, sends those requests,
// prints what came back and stops (a demo, or a smoke test in a script).

import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { buildBootstrap } from "../../envoy/config.ts";
import { type EnvoyProcess, EnvoyStartError, startEnvoy } from "../../envoy/runner.ts";
import { type EchoUpstream, startEchoUpstream } from "../../envoy/upstream.ts";
import type { CliContext } from "../context.ts";
import { type EnvoyLogLine, LogFollower } from "../envoy-log.ts";
import { CliError, ExitCode, usageError } from "../errors.ts";
import { buildOrFail } from "./build.ts";
import { ensureEnvoy } from "./envoy.ts";

interface RunOptions {
  config?: string;
  port: number;
  adminPort: number;
  request: string[];
  build: boolean;
  json: boolean;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new InvalidArgumentError("expected a port number 0..65535 (0 picks a free port)");
  }
  return n;
}

/** The plugin configuration of each filter, from `--config` (a file or inline JSON). */
export function filterConfigurations(
  names: readonly string[],
  config: string | undefined,
  cwd: string,
): Map<string, string> {
  const result = new Map<string, string>();
  if (config === undefined) return result;
  let text: string;
  let origin: string;
  if (config.trimStart().startsWith("{")) {
    text = config;
    origin = "--config";
  } else {
    origin = config;
    try {
      text = readFileSync(resolve(cwd, config), "utf8");
    } catch (error) {
      throw usageError(
        `--config ${config}: ${(error as Error).message}`,
        "give a JSON file or inline JSON",
      );
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw usageError(`${origin} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw usageError(`${origin} must hold a JSON object`);
  }
  if (names.length === 1) {
    result.set(names[0] as string, JSON.stringify(parsed));
    return result;
  }
  // Several filters: one configuration per filter, keyed by name.
  const byName = parsed as Record<string, unknown>;
  for (const key of Object.keys(byName)) {
    if (!names.includes(key)) {
      throw usageError(
        `${origin} names "${key}", which is not among the filters run (${names.join(", ")})`,
        'with several filters, --config holds {"<filter>": {...configuration}, ...}',
      );
    }
    result.set(key, JSON.stringify(byName[key]));
  }
  return result;
}

const QUIET_HEADERS = new Set([
  "date",
  "server",
  "content-length",
  "content-type",
  "x-envoy-upstream-service-time",
  "connection",
  "keep-alive",
  "transfer-encoding",
]);

/**
 * Resolves when the user asks to stop (Ctrl-C, SIGTERM, ctx.signal) or Envoy exits. Ctrl-C in
 * a terminal signals the whole process group, Envoy included, so an Envoy that ends cleanly or
 * by SIGINT/SIGTERM counts as stopped; any other exit is a crash.
 */
function untilStopped(ctx: CliContext, envoy: EnvoyProcess): Promise<"signal" | "crashed"> {
  return new Promise((resolveStop) => {
    const onSignal = () => finish("signal");
    const finish = (why: "signal" | "crashed") => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      ctx.signal?.removeEventListener("abort", onSignal);
      resolveStop(why);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    ctx.signal?.addEventListener("abort", onSignal);
    if (ctx.signal?.aborted) onSignal();
    void envoy.exited.then((exit) => {
      const stopped = exit.code === 0 || exit.signal === "SIGINT" || exit.signal === "SIGTERM";
      finish(stopped ? "signal" : "crashed");
    });
  });
}

async function sendRequests(
  ctx: CliContext,
  envoy: EnvoyProcess,
  paths: readonly string[],
): Promise<boolean> {
  const { out } = ctx;
  let allAnswered = true;
  for (const path of paths) {
    try {
      const res = await envoy.request(path, { headers: { "x-meshwasm-run": "yes" } });
      const body = await res.text();
      const headers: Record<string, string> = {};
      res.headers.forEach((value, key) => {
        if (!QUIET_HEADERS.has(key)) headers[key] = value;
      });
      let upstream: { method: string; path: string } | undefined;
      try {
        upstream = JSON.parse(body) as { method: string; path: string };
      } catch {
        // Not the echo's JSON: the filter answered itself.
      }
      if (out.json)
        out.event({
          event: "response",
          path,
          status: res.status,
          headers,
          upstream: upstream ?? null,
        });
      else {
        const shown = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
        out.line(`GET ${path} -> ${res.status}${shown.length ? `, ${shown.join(", ")}` : ""}`);
        out.detail(
          upstream
            ? `  upstream saw ${upstream.method} ${upstream.path}`
            : `  answered by the filter: ${body.trim().slice(0, 80)}`,
        );
      }
    } catch (error) {
      allAnswered = false;
      out.error(`GET ${path} failed: ${(error as Error).message}`);
    }
  }
  return allAnswered;
}

/** The filters' own metrics from /stats/prometheus (Envoy's own start with `envoy_`). */
async function filterMetrics(envoy: EnvoyProcess): Promise<string[]> {
  const text = await envoy.prometheus();
  return text.split("\n").filter((l) => l && !l.startsWith("#") && !l.startsWith("envoy_"));
}

export default function runCommand(ctx: CliContext): Command {
  return new Command("run")
    .description("serve filters in real Envoy in front of an echo upstream, streaming their log")
    .argument("<name...>", "filters to chain, in request order")
    .option(
      "--config <file|json>",
      "plugin configuration: a JSON file or inline JSON; with several filters, an object keyed by filter name",
    )
    .option("-p, --port <port>", "listener port on 127.0.0.1 (0: any free port)", port, 10000)
    .option("--admin-port <port>", "Envoy admin port on 127.0.0.1 (0: any free port)", port, 9901)
    .option(
      "--request <path>",
      "send GET <path>, print the response, and stop after the last one (repeatable)",
      (v: string, all: string[]) => [...all, v],
      [] as string[],
    )
    .option("--no-build", "run the modules in build/ as they are")
    .option("--json", "print events (ready, log, response) as JSON lines", false)
    .addHelpText(
      "after",
      `
Examples:
  meshwasm run my-filter                              serve on :10000 until Ctrl-C
  meshwasm run auth my-filter --config config.json    two filters, config keyed by name
  meshwasm run my-filter --config '{"header":"x-hi"}' --request /hello`,
    )
    .action(async (names: string[], opts: RunOptions) => {
      const { out } = ctx;
      out.setJson(opts.json);
      const project = ctx.project();
      const filters = project.select(names);
      const configurations = filterConfigurations(names, opts.config, ctx.cwd);
      if (opts.build) await buildOrFail(ctx, names);
      else {
        const missing = filters.filter((f) => !existsSync(project.wasmPath(f.name)));
        if (missing.length > 0) {
          throw usageError(
            `${missing.map((f) => project.rel(project.wasmPath(f.name))).join(", ")} not built`,
            `run \`meshwasm build ${missing.map((f) => f.name).join(" ")}\` first, or drop --no-build`,
          );
        }
      }
      const envoyInfo = await ensureEnvoy(ctx);

      let echo: EchoUpstream | undefined;
      let envoy: EnvoyProcess | undefined;
      try {
        echo = await startEchoUpstream();
        const progress = out.progress(`starting Envoy ${envoyInfo.version}`);
        try {
          envoy = await startEnvoy({
            config: buildBootstrap({
              upstream: { kind: "cluster", port: echo.port },
              listenerPort: opts.port,
              adminPort: opts.adminPort,
              wasmFilters: filters.map((f) => ({
                name: f.name,
                rootId: f.name,
                vmId: f.name,
                wasmPath: project.wasmPath(f.name),
                ...(configurations.has(f.name)
                  ? { configuration: configurations.get(f.name) as string }
                  : {}),
              })),
            }),
          });
        } catch (error) {
          progress.fail("Envoy did not start");
          if (error instanceof EnvoyStartError) throw startFailure(error, opts);
          throw error;
        }
        progress.done(`Envoy ${envoyInfo.version} serving ${names.join(" → ")}`);
        const follower = new LogFollower(envoy);
        const print = (line: EnvoyLogLine) => {
          if (out.json) out.event({ event: "log", ...line });
          else if (line.filter)
            out.line(
              `${out.c.cyan(`[${line.filter}]`)} ${line.level === "info" ? "" : `${line.level}: `}${line.message}`,
            );
          else out.line(out.c.yellow(`[envoy] ${line.level}: ${line.message}`));
        };
        for (const line of follower.poll()) print(line);
        if (out.json) {
          out.event({
            event: "ready",
            listener: envoy.listenerUrl,
            admin: envoy.adminUrl,
            filters: names,
            envoy: envoyInfo.version,
            upstream: echo.url,
          });
        } else {
          out.line(`  listener  ${out.c.bold(envoy.listenerUrl)}`);
          out.line(`  admin     ${envoy.adminUrl}`);
          out.line(`  upstream  ${echo.url} (echoes each request as JSON)`);
        }
        if (opts.request.length > 0) {
          const answered = await sendRequests(ctx, envoy, opts.request);
          await new Promise((r) => setTimeout(r, 200)); // let the last log lines arrive
          for (const line of follower.poll()) print(line);
          const metrics = await filterMetrics(envoy);
          if (out.json) out.event({ event: "metrics", lines: metrics });
          else if (metrics.length > 0) {
            out.line("\nfilter metrics (/stats/prometheus):");
            for (const m of metrics) out.line(`  ${m}`);
          }
          if (!answered) process.exitCode = ExitCode.Failed;
          return;
        }
        if (!out.json)
          out.detail(`try: curl -si ${envoy.listenerUrl}/   (Ctrl-C stops Envoy and the upstream)`);
        const timer = setInterval(() => {
          for (const line of follower.poll()) print(line);
        }, 100);
        const why = await untilStopped(ctx, envoy).finally(() => clearInterval(timer));
        for (const line of follower.poll()) print(line);
        if (why === "crashed") {
          throw new CliError("Envoy exited unexpectedly", { hint: "its last log lines are above" });
        }
        if (out.json) out.event({ event: "stopped" });
        else out.line("\nstopped Envoy and the upstream");
      } finally {
        await envoy?.stop();
        await echo?.close();
      }
    });
}

/** What to tell the user when Envoy did not start: the ports in use (exit 2), the filter
 *  refused (its own log lines, the last 8), or else Envoy's first message lines. */
export function startFailure(
  error: EnvoyStartError,
  opts: Pick<RunOptions, "port" | "adminPort">,
): CliError {
  const refused =
    /Unable to create Wasm HTTP filter|Failed to load Wasm|wasm.*(failed|refused)/i.test(
      error.logs,
    );
  const busy = /Address already in use|cannot bind/i.test(error.logs);
  const wasmLines = error.logs
    .split("\n")
    .filter((l) => /\]\[wasm\]|invalid configuration/.test(l))
    .slice(-8);
  const detail =
    wasmLines.length > 0
      ? `\n${wasmLines.join("\n")}`
      : `\n${error.message.split("\n").slice(0, 12).join("\n")}`;
  if (busy) {
    return new CliError(
      `Envoy could not listen: port ${opts.port} or ${opts.adminPort} is in use${detail}`,
      {
        exitCode: ExitCode.Usage,
        hint: "choose other ports with --port and --admin-port (0 picks a free one)",
      },
    );
  }
  return new CliError(`Envoy refused to start${refused ? " the filter" : ""}:${detail}`, {
    hint: refused
      ? "the lines above are the filter's own log: fix the configuration (--config) or the filter"
      : "see Envoy's messages above",
  });
}

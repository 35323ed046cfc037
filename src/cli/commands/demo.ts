// `meshwasm demo` (and `npm start`): builds the four production filters as one module, starts
// real Envoy with that chain in front of two Node upstreams (stable and canary) and a real
// Prometheus scraping Envoy, walks the scripted tour (src/demo/tour.ts) printing each step,
// and stops everything; `--keep` leaves it all running and prints what to try.

import { Command, InvalidArgumentError } from "commander";
import {
  CHAIN_FILTERS,
  chainBootstrap,
  demoSecret,
  readChainConfig,
} from "../../demo/chain-envoy.ts";
import { chainModule } from "../../demo/modules.ts";
import {
  ensurePrometheus,
  type PrometheusProcess,
  startPrometheus,
} from "../../demo/prometheus.ts";
import { demoToken, TOUR, type TourStep } from "../../demo/tour.ts";
import { type NamedUpstream, startNamedUpstream } from "../../demo/upstreams.ts";
import { type EnvoyProcess, startEnvoy } from "../../envoy/runner.ts";
import type { CliContext } from "../context.ts";
import { CliError, ExitCode, usageError } from "../errors.ts";
import { ensureEnvoy } from "./envoy.ts";

interface DemoOptions {
  keep: boolean;
  prometheus: boolean;
  concurrency: number;
  json: boolean;
}

function workers(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError("expected 1..64");
  return n;
}

/** Resolves on Ctrl-C, SIGTERM, ctx.signal, or when Envoy exits. */
function untilStopped(ctx: CliContext, envoy: EnvoyProcess): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off("SIGINT", done);
      process.off("SIGTERM", done);
      ctx.signal?.removeEventListener("abort", done);
      resolve();
    };
    process.on("SIGINT", done);
    process.on("SIGTERM", done);
    ctx.signal?.addEventListener("abort", done);
    if (ctx.signal?.aborted) done();
    void envoy.exited.then(done);
  });
}

function printStep(ctx: CliContext, index: number, total: number, step: TourStep): void {
  const { out } = ctx;
  if (out.json) {
    out.event({ event: "step", index: index + 1, ...step });
    return;
  }
  out.line();
  out.line(out.c.bold(`${index + 1}/${total}  ${step.title}`));
  out.detail(`     expect: ${step.expect}`);
  for (const line of step.lines) out.line(`     ${line}`);
  out.line(
    step.ok ? `     ${out.c.green("✔ as expected")}` : `     ${out.c.red("✘ not as expected")}`,
  );
}

export default function demoCommand(ctx: CliContext): Command {
  return new Command("demo")
    .description(
      "the full chain (telemetry → auth → rate-limit → header-router) as one module in real Envoy, toured step by step",
    )
    .option("--keep", "keep Envoy, the upstreams and Prometheus running after the tour", false)
    .option(
      "--no-prometheus",
      "leave out the Prometheus step (no Prometheus is installed or started)",
    )
    .option("--concurrency <n>", "Envoy worker threads", workers, 2)
    .option("--json", "print each step as a JSON line", false)
    .addHelpText(
      "after",
      "\nExamples:\n  meshwasm demo                      the tour, then stop everything\n  meshwasm demo --keep               the tour, then keep it all running to try by hand\n  meshwasm demo --no-prometheus --json",
    )
    .action(async (opts: DemoOptions) => {
      const { out } = ctx;
      out.setJson(opts.json);
      const project = ctx.project();
      const have = project.filters().map((f) => f.name);
      const missing = CHAIN_FILTERS.filter((n) => !have.includes(n));
      if (!project.isMeshwasmItself || missing.length > 0) {
        throw usageError(
          "the demo runs the production filters of the meshwasm repository",
          "run it from a clone of meshwasm (`npm ci && npm start`)",
        );
      }
      const building = out.progress(`building ${CHAIN_FILTERS.join(" → ")} as one module`);
      const wasm = await chainModule();
      building.done(`built ${project.rel(wasm)}`);
      const envoyInfo = await ensureEnvoy(ctx);
      let stable: NamedUpstream | undefined;
      let canary: NamedUpstream | undefined;
      let envoy: EnvoyProcess | undefined;
      let prometheus: PrometheusProcess | null = null;
      const steps: TourStep[] = [];
      try {
        stable = await startNamedUpstream("stable");
        canary = await startNamedUpstream("canary");
        const starting = out.progress(
          `starting Envoy ${envoyInfo.version} (${opts.concurrency} workers)`,
        );
        envoy = await startEnvoy({
          config: chainBootstrap({
            mode: "chain",
            chainWasm: wasm,
            stablePort: stable.port,
            canaryPort: canary.port,
          }),
          concurrency: opts.concurrency,
          componentLogLevel: "wasm:warn",
          startTimeoutMs: 60_000,
        });
        starting.done(`Envoy ${envoyInfo.version} serving the chain`);
        if (opts.prometheus) {
          const p = out.progress("starting Prometheus (scraping Envoy every second)");
          await ensurePrometheus();
          prometheus = await startPrometheus(new URL(envoy.adminUrl).host);
          p.done(`Prometheus at ${prometheus.url}`);
        }
        const urls = {
          listener: envoy.listenerUrl,
          admin: envoy.adminUrl,
          stable: stable.url,
          canary: canary.url,
          prometheus: prometheus?.url ?? null,
        };
        if (out.json) out.event({ event: "ready", ...urls });
        else {
          out.line(`  listener    ${urls.listener}`);
          out.line(`  admin       ${urls.admin}`);
          out.line(`  upstreams   stable ${urls.stable}, canary ${urls.canary}`);
          if (urls.prometheus) out.line(`  prometheus  ${urls.prometheus}`);
        }
        const env = {
          envoy,
          stable,
          canary,
          prometheus,
          secret: demoSecret(readChainConfig()),
          sent: 0,
        };
        // The Prometheus step is the tour's last.
        const tour = opts.prometheus ? TOUR : TOUR.slice(0, -1);
        for (const [i, run] of tour.entries()) {
          const step = await run(env);
          steps.push(step);
          printStep(ctx, i, tour.length, step);
        }
        const good = steps.filter((s) => s.ok).length;
        if (out.json)
          out.event({ event: "summary", ok: good === steps.length, steps: steps.length, good });
        else {
          out.line();
          out.line(`${good} of ${steps.length} steps showed what they should.`);
        }
        if (opts.keep) {
          const token = demoToken(env.secret, "you");
          out.line();
          out.line("Running until Ctrl-C. Try:");
          out.line(`  curl -si ${urls.listener}/`);
          out.line(`  curl -si -H 'authorization: Bearer ${token}' ${urls.listener}/orders`);
          out.line(
            `  curl -si -H 'authorization: Bearer ${token}' -H 'x-canary: 1' ${urls.listener}/`,
          );
          out.line(`  curl -s ${urls.admin}/stats/prometheus | grep -v '^envoy_'`);
          if (urls.prometheus)
            out.line(
              `  ${urls.prometheus}/graph?g0.expr=sum%20by%20(code)%20(meshwasm_requests_total)`,
            );
          await untilStopped(ctx, envoy);
        }
        if (good < steps.length) {
          throw new CliError(
            `${steps.length - good} step(s) of the tour did not show what they should`,
            {
              exitCode: ExitCode.Failed,
            },
          );
        }
      } finally {
        await prometheus?.stop();
        await envoy?.stop();
        await stable?.close();
        await canary?.close();
      }
    });
}

// The shipped envoy.yaml: Envoy accepts it (--mode validate), its stats_config is what the
// filter's configuration needs, and real Envoy refuses to serve with a bad configuration,
// logging the field.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  EnvoyStartError,
  envoyBinary,
  startEchoUpstream,
  startEnvoy,
} from "../../../src/envoy/index.ts";
import { buildTelemetry, FILTER_DIR, ROOT } from "./build.ts";
import { runnableBootstrap, shippedConfiguration, shippedEnvoyYaml } from "./envoy-config.ts";
import { telemetryStatsConfig } from "./stats-config.ts";

describe("filters/telemetry/envoy.yaml", () => {
  it("passes envoy --mode validate", async () => {
    await buildTelemetry();
    const result = spawnSync(
      envoyBinary(),
      ["--mode", "validate", "--disable-hot-restart", "-c", join(FILTER_DIR, "envoy.yaml")],
      { encoding: "utf8", timeout: 60_000, cwd: ROOT },
    );
    const output = `${result.stdout}\n${result.stderr}`;
    expect(output, output.slice(-3000)).toMatch(/configuration '.*envoy\.yaml' OK/);
    expect(result.status).toBe(0);
  });

  it("carries the stats_config its filter configuration needs", () => {
    const yaml = shippedEnvoyYaml();
    expect(yaml.stats_config).toEqual(telemetryStatsConfig(shippedConfiguration()));
  });
});

describe("a bad configuration in real Envoy", () => {
  it.each([
    [{ metrics: { route_limit: 0 } }, 'field "metrics.route_limit"'],
    [{ access_log: { statuses: ["6xx"] } }, 'field "access_log.statuses[0]"'],
    [{ tracing: { b3: true } }, 'field "tracing.b3"'],
  ])("is refused before the listener serves (%j)", async (configuration, field) => {
    const echo = await startEchoUpstream();
    try {
      const config = runnableBootstrap({
        upstreamPort: echo.port,
        wasmPath: await buildTelemetry(),
        configuration,
      });
      const started = startEnvoy({ config, startTimeoutMs: 30_000 });
      const error = await started.then(
        async (envoy) => {
          await envoy.stop();
          return null;
        },
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(EnvoyStartError);
      expect((error as EnvoyStartError).logs).toContain(`invalid configuration: ${field}`);
      expect(echo.requests).toHaveLength(0);
    } finally {
      await echo.close();
    }
  });
});

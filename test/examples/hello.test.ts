// examples/hello through real Envoy, in front of the echo upstream.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileFilter } from "../../src/build/compile.ts";
import {
  buildBootstrap,
  type EchoUpstream,
  type EnvoyProcess,
  EnvoyStartError,
  envoyVersion,
  startEchoUpstream,
  startEnvoy,
} from "../../src/envoy/index.ts";

const workDir = mkdtempSync(join(tmpdir(), "meshwasm-hello-"));
const wasmPath = join(workDir, "hello.wasm");

function helloBootstrap(upstreamPort: number, configuration: string) {
  return buildBootstrap({
    upstream: { kind: "cluster", port: upstreamPort },
    wasmFilters: [
      {
        name: "hello",
        rootId: "hello",
        vmId: "hello",
        wasmPath,
        configuration,
        failurePolicy: "FAIL_CLOSED",
      },
    ],
  });
}

beforeAll(async () => {
  console.log(`Envoy ${envoyVersion()}`);
  const built = await compileFilter({
    entry: resolve("examples/hello/assembly/index.ts"),
    outFile: wasmPath,
  });
  console.log(`hello.wasm: ${built.bytes} bytes`);
});

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

describe("examples/hello in Envoy", () => {
  let echo: EchoUpstream;
  let envoy: EnvoyProcess;

  beforeAll(async () => {
    echo = await startEchoUpstream();
    envoy = await startEnvoy({
      config: helloBootstrap(
        echo.port,
        JSON.stringify({ header: "X-Greeting", value: "from meshwasm" }),
      ),
      componentLogLevel: "wasm:debug",
    });
  });

  afterAll(async () => {
    await envoy?.stop();
    await echo?.close();
  });

  it("adds the configured response header", async () => {
    const res = await fetch(`${envoy.listenerUrl}/greet?who=envoy`, {
      headers: { "x-client": "vitest" },
    });
    expect(res.status).toBe(200);
    // The name is lower-cased by the filter, as HTTP/2 requires.
    expect(res.headers.get("x-greeting")).toBe("from meshwasm");
  });

  it("lets the request reach the upstream unchanged", async () => {
    const res = await fetch(`${envoy.listenerUrl}/echo/path?q=1`, {
      method: "POST",
      headers: { "x-client": "vitest", "content-type": "text/plain" },
      body: "payload",
    });
    const seen = (await res.json()) as {
      method: string;
      path: string;
      headers: Record<string, string>;
      body: string;
    };
    expect(seen.method).toBe("POST");
    expect(seen.path).toBe("/echo/path?q=1");
    expect(seen.headers["x-client"]).toBe("vitest");
    expect(seen.body).toBe("payload");
    expect(seen.headers["x-greeting"]).toBeUndefined();
  });

  it("logs each request at debug with its path", async () => {
    await fetch(`${envoy.listenerUrl}/logged-path`);
    await envoy.waitForLog(/hello: request for \/logged-path/, 5_000);
    expect(envoy.logs()).toMatch(/hello configured: x-greeting: from meshwasm/);
  });

  it("counts requests in a custom metric that Prometheus sees", async () => {
    const before = await helloRequests(envoy);
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${envoy.listenerUrl}/count/${i}`);
      await res.arrayBuffer();
    }
    // Envoy flushes worker counters to the admin view on its stats flush; poll briefly.
    await expect
      .poll(() => helloRequests(envoy), { timeout: 10_000, interval: 200 })
      .toBe(before + 5);
  });
});

async function helloRequests(envoy: EnvoyProcess): Promise<number> {
  const text = await envoy.prometheus();
  const line = text.split("\n").find((l) => /^hello_requests(\{\})? /.test(l));
  if (line === undefined)
    throw new Error(`hello_requests not in /stats/prometheus:\n${text.slice(0, 2000)}`);
  return Number(line.split(" ").pop());
}

describe("examples/hello with a bad configuration", () => {
  it("refuses to start and names the bad field and value", async () => {
    const echo = await startEchoUpstream();
    try {
      const failure = await startEnvoy({
        config: helloBootstrap(echo.port, JSON.stringify({ header: 42 })),
        startTimeoutMs: 20_000,
      }).then(
        async (envoy) => {
          await envoy.stop();
          return null;
        },
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(EnvoyStartError);
      const message = (failure as Error).message;
      expect(message).toMatch(/field "header": expected a string, got 42/);
    } finally {
      await echo.close();
    }
  });

  it("refuses an unknown field, naming it", async () => {
    const echo = await startEchoUpstream();
    try {
      const failure = await startEnvoy({
        config: helloBootstrap(echo.port, JSON.stringify({ headr: "x-typo" })),
        startTimeoutMs: 20_000,
      }).then(
        async (envoy) => {
          await envoy.stop();
          return null;
        },
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(EnvoyStartError);
      expect((failure as Error).message).toMatch(/headr/);
    } finally {
      await echo.close();
    }
  });
});

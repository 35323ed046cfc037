// The teaching examples through real Envoy: require-header and redact-body.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileFilter } from "../../src/build/compile.ts";
import {
  buildBootstrap,
  type EchoUpstream,
  type EnvoyProcess,
  startEchoUpstream,
  startEnvoy,
} from "../../src/envoy/index.ts";

const workDir = mkdtempSync(join(tmpdir(), "meshwasm-examples-"));

interface Echoed {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

async function runExample(name: string, configuration: object) {
  const wasmPath = join(workDir, `${name}.wasm`);
  await compileFilter({ entry: resolve(`examples/${name}/assembly/index.ts`), outFile: wasmPath });
  const echo = await startEchoUpstream();
  try {
    const envoy = await startEnvoy({
      config: buildBootstrap({
        upstream: { kind: "cluster", port: echo.port },
        wasmFilters: [
          {
            name,
            rootId: name,
            vmId: name,
            wasmPath,
            configuration: JSON.stringify(configuration),
          },
        ],
      }),
    });
    return { echo, envoy };
  } catch (error) {
    await echo.close();
    throw error;
  }
}

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

describe("examples/require-header", () => {
  let echo: EchoUpstream;
  let envoy: EnvoyProcess;
  beforeAll(async () => {
    ({ echo, envoy } = await runExample("require-header", { header: "X-Api-Key" }));
  });
  afterAll(async () => {
    await envoy?.stop();
    await echo?.close();
  });

  it("answers 401 naming the header when it is missing, without reaching the upstream", async () => {
    const before = echo.requests.length;
    const res = await fetch(`${envoy.listenerUrl}/private`);
    expect(res.status).toBe(401);
    expect(await res.text()).toBe("missing x-api-key\n");
    expect(echo.requests.length).toBe(before);
  });

  it("tags and forwards requests that carry the header", async () => {
    const res = await fetch(`${envoy.listenerUrl}/private`, { headers: { "x-api-key": "k1" } });
    expect(res.status).toBe(200);
    const seen = (await res.json()) as Echoed;
    expect(seen.headers["x-checked-by"]).toBe("meshwasm");
    expect(seen.headers["x-api-key"]).toBe("k1");
  });
});

describe("examples/redact-body", () => {
  let echo: EchoUpstream;
  let envoy: EnvoyProcess;
  beforeAll(async () => {
    ({ echo, envoy } = await runExample("redact-body", {
      words: ["secret", "hunter2"],
      mask: "[redacted]",
    }));
  });
  afterAll(async () => {
    await envoy?.stop();
    await echo?.close();
  });

  it("rewrites the body and sets Content-Length to the new length", async () => {
    const res = await fetch(`${envoy.listenerUrl}/form`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "my secret is hunter2, a secret",
    });
    const seen = (await res.json()) as Echoed;
    const expected = "my [redacted] is [redacted], a [redacted]";
    expect(seen.body).toBe(expected);
    // The SDK drops Content-Length for a buffered body, so the proxy re-frames it (chunked).
    expect(seen.headers["content-length"]).toBeUndefined();
    expect(seen.headers["transfer-encoding"]).toBe("chunked");
  });

  it("buffers a chunked body that arrives in pieces, even with a word split across them", async () => {
    const parts = ["x".repeat(70_000), "sec", "ret", "y".repeat(70_000)];
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const next = parts.shift();
        if (next === undefined) return controller.close();
        controller.enqueue(new TextEncoder().encode(next));
        await new Promise((r) => setTimeout(r, 20));
      },
    });
    const res = await fetch(`${envoy.listenerUrl}/upload`, {
      method: "POST",
      body: stream,
      duplex: "half",
    } as RequestInit);
    const seen = (await res.json()) as Echoed;
    expect(seen.body.length).toBe(70_000 + "[redacted]".length + 70_000);
    expect(seen.body.includes("[redacted]")).toBe(true);
    expect(seen.body.includes("secret")).toBe(false);
    expect(seen.headers["content-length"]).toBeUndefined();
  });

  it("leaves bodies without the words untouched", async () => {
    const res = await fetch(`${envoy.listenerUrl}/form`, {
      method: "POST",
      body: "nothing to hide",
    });
    const seen = (await res.json()) as Echoed;
    expect(seen.body).toBe("nothing to hide");
    expect(seen.headers["transfer-encoding"]).toBe("chunked");
  });

  it("counts redactions in its metric", async () => {
    const text = await envoy.prometheus();
    const line = text.split("\n").find((l) => l.startsWith("redact_body_redactions"));
    expect(line).toBeDefined();
    expect(Number(line?.split(" ").pop())).toBeGreaterThanOrEqual(2);
  });
});

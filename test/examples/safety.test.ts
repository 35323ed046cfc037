// Regression tests for defects found in the examples by fuzzing and a differential test:
// redact-body's heap overflow on short bodies (String.replaceAll's growth), its lost and
// unredacted bytes on bodies that are not UTF-8, and hello's and require-header's
// configurations that let a header be injected or the message reframed. Each runs on the
// test host and, where it claims Envoy behaviour, on real Envoy.

import { beforeAll, describe, expect, it } from "vitest";
import {
  buildBootstrap,
  type EchoUpstream,
  EnvoyStartError,
  startEchoUpstream,
  startEnvoy,
} from "../../src/envoy/index.ts";
import { createHost, PluginStartError } from "../../src/testing/index.ts";
import { buildExample } from "../modules/build.ts";

const wasm: Record<string, string> = {};

// Built once into build/test-modules/ and reused while the sources are unchanged (the
// mutation harness builds them there before its runs, so its suites do not compile them).
beforeAll(async () => {
  wasm.hello = await buildExample("hello");
  wasm["require-header"] = await buildExample("require-header");
  wasm["redact-body"] = await buildExample("redact-body");
}, 400_000);

async function redactOnHost(configuration: object, bodies: Uint8Array[]): Promise<Buffer[]> {
  const host = await createHost({
    module: wasm["redact-body"] as string,
    name: "redact-body",
    configuration,
  });
  const out: Buffer[] = [];
  for (const body of bodies) {
    const res = await host.request({ method: "POST", path: "/form", body });
    expect(res.trap).toBeNull();
    out.push(Buffer.from(res.upstream?.bodyBytes ?? []));
  }
  return out;
}

/** Starts Envoy with one example; `null` when Envoy refused to start, with its message. */
async function withEnvoy<T>(
  name: string,
  configuration: object,
  use: (listener: string) => Promise<T>,
): Promise<T | { refused: string }> {
  const echo: EchoUpstream = await startEchoUpstream();
  try {
    const envoy = await startEnvoy({
      config: buildBootstrap({
        upstream: { kind: "cluster", port: echo.port },
        wasmFilters: [
          {
            name,
            rootId: name,
            vmId: name,
            wasmPath: wasm[name] as string,
            configuration: JSON.stringify(configuration),
          },
        ],
      }),
      startTimeoutMs: 20_000,
    }).catch((error: unknown) => {
      if (error instanceof EnvoyStartError) return { refused: error.message };
      throw error;
    });
    if ("refused" in envoy) return envoy;
    try {
      return await use(envoy.listenerUrl);
    } finally {
      await envoy.stop();
    }
  } finally {
    await echo.close();
  }
}

async function postThroughEnvoy(listener: string, body: Uint8Array): Promise<Buffer> {
  const res = await fetch(`${listener}/form`, { method: "POST", body });
  expect(res.status).toBe(200);
  const seen = (await res.json()) as { bodyBase64: string };
  return Buffer.from(seen.bodyBase64, "base64");
}

describe("redact-body with a mask longer than the body", () => {
  it("masks a short body on the test host (no overflow, no stray bytes)", async () => {
    const [out] = await redactOnHost({ words: ["ssn"], mask: "[redacted]" }, [Buffer.from("ssn!")]);
    expect(out?.toString()).toBe("[redacted]!");
  });

  it("masks a short body in Envoy and keeps masking later bodies", async () => {
    const config = { words: ["secret"], mask: "***REDACTED-BY-POLICY***" };
    const result = await withEnvoy("redact-body", config, async (listener) => [
      await postThroughEnvoy(listener, Buffer.from("secret!")),
      await postThroughEnvoy(listener, Buffer.from("a secret")),
    ]);
    expect(result).not.toHaveProperty("refused");
    const [first, second] = result as Buffer[];
    expect(first?.toString()).toBe("***REDACTED-BY-POLICY***!");
    expect(second?.toString()).toBe("a ***REDACTED-BY-POLICY***");
  });
});

describe("redact-body on bodies that are not UTF-8", () => {
  const cases = [
    {
      name: "an invalid byte before the word",
      body: [0xff, 0x20, ...Buffer.from("secret")],
      out: [0xff, 0x20, ...Buffer.from("[x]")],
    },
    {
      name: "invalid bytes after the word",
      body: [...Buffer.from("secret "), 0xff, 0x00, 0x01],
      out: [...Buffer.from("[x] "), 0xff, 0x00, 0x01],
    },
    {
      name: "binary data around the word",
      body: [0x00, 0x80, ...Buffer.from("secret"), 0xc0],
      out: [0x00, 0x80, ...Buffer.from("[x]"), 0xc0],
    },
  ];

  it.each(cases)("redacts $name and passes every other byte on (test host)", async (c) => {
    const [out] = await redactOnHost({ words: ["secret"], mask: "[x]" }, [Uint8Array.from(c.body)]);
    expect([...(out ?? [])]).toEqual(c.out);
  });

  it("redacts and passes every byte on in Envoy", async () => {
    const result = await withEnvoy(
      "redact-body",
      { words: ["secret"], mask: "[x]" },
      async (listener) => {
        const outs: number[][] = [];
        for (const c of cases)
          outs.push([...(await postThroughEnvoy(listener, Uint8Array.from(c.body)))]);
        return outs;
      },
    );
    expect(result).toEqual(cases.map((c) => c.out));
  });
});

const BAD_HEADER_CONFIGS: Array<{ config: object; error: RegExp }> = [
  { config: { header: "" }, error: /field "header": "" is empty/ },
  {
    config: { header: "x-a\r\nx-injected: 1" },
    error: /field "header": "x-a\\r\\nx-injected: 1" contains CR or LF/,
  },
  { config: { header: ":status" }, error: /field "header": ":status" is a pseudo-header/ },
  { config: { header: "content-length" }, error: /field "header": "content-length" is protected/ },
];

describe.each(["hello", "require-header"])(
  "%s refuses header configurations that would inject",
  (name) => {
    it.each(BAD_HEADER_CONFIGS)(
      "refuses $config at start on the test host",
      async ({ config, error }) => {
        const start = createHost({
          module: wasm[name] as string,
          name,
          rootId: name,
          configuration: config,
        });
        await expect(start).rejects.toBeInstanceOf(PluginStartError);
        await expect(start).rejects.toThrow(error);
      },
    );

    it("refuses each of them at start in Envoy", async () => {
      for (const { config, error } of BAD_HEADER_CONFIGS) {
        const result = await withEnvoy(name, config, async () => "started");
        expect(result, JSON.stringify(config)).toHaveProperty("refused");
        expect((result as { refused: string }).refused).toMatch(error);
      }
    });
  },
);

describe("hello", () => {
  it("refuses a header value with CR LF at start", async () => {
    const start = createHost({
      module: wasm.hello as string,
      name: "hello",
      rootId: "hello",
      configuration: { value: "v\r\nx-injected: 1" },
    });
    await expect(start).rejects.toThrow(/field "value": "v\\r\\nx-injected: 1" contains CR or LF/);
  });
});

describe("configuration bytes that are not UTF-8", () => {
  // Envoy's configuration is a protobuf string, which must be UTF-8; the test host hands the
  // module any bytes, so the SDK's own refusal is checked here.
  const classes: Array<[string, number[]]> = [
    ["lone continuation", [0x80]],
    ["overlong", [0xc0, 0xaf]],
    ["surrogate", [0xed, 0xa0, 0x80]],
    ["truncated sequence", [0xe2, 0x82]],
    ["0xFF", [0xff]],
  ];
  it.each(classes)("refuses a %s in a string value, naming the byte", async (_name, bytes) => {
    const configuration = Buffer.concat([
      Buffer.from('{"value":"A'),
      Buffer.from(bytes),
      Buffer.from('B"}'),
    ]);
    const start = createHost({
      module: wasm.hello as string,
      name: "hello",
      rootId: "hello",
      configuration: new Uint8Array(configuration),
    });
    await expect(start).rejects.toThrow(/invalid UTF-8 byte 0x[0-9A-F]{2}/);
  });
});

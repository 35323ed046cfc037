import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { asc } from "../../src/build/asc.ts";
import {
  buildBootstrap,
  type EchoRequest,
  EnvoyStartError,
  envoyBinary,
  envoyVersion,
  pinnedEnvoyVersion,
  type StartEnvoyOptions,
  startEchoUpstream,
  startEnvoy,
  withEnvoy,
} from "../../src/envoy/index.ts";

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// A minimal proxy-wasm module written against the raw ABI, so this layer is tested without the
// SDK: it logs its plugin configuration and copies it into an `x-probe` request header.
const PROBE_SOURCE = `
@external("env", "proxy_log")
declare function proxy_log(level: i32, ptr: usize, len: usize): u32;
@external("env", "proxy_get_buffer_bytes")
declare function proxy_get_buffer_bytes(kind: i32, start: u32, len: u32, ptrOut: usize, lenOut: usize): u32;
@external("env", "proxy_add_header_map_value")
declare function proxy_add_header_map_value(map: i32, kp: usize, kl: usize, vp: usize, vl: usize): u32;
let config = new ArrayBuffer(0);
export function proxy_abi_version_0_2_1(): void {}
export function proxy_on_memory_allocate(size: usize): usize { return heap.alloc(size); }
export function proxy_on_context_create(id: u32, parent: u32): void {}
export function proxy_on_vm_start(root: u32, size: u32): bool { return true; }
export function proxy_on_configure(root: u32, size: u32): bool {
  const out = memory.data(8);
  proxy_get_buffer_bytes(7, 0, size, out, out + 4);
  config = new ArrayBuffer(load<u32>(out + 4));
  memory.copy(changetype<usize>(config), load<u32>(out), config.byteLength);
  const msg = String.UTF8.encode("probe configured with " + String.UTF8.decode(config));
  proxy_log(2, changetype<usize>(msg), msg.byteLength);
  return true;
}
export function proxy_on_request_headers(ctx: u32, headers: u32, endOfStream: bool): u32 {
  const name = String.UTF8.encode("x-probe");
  proxy_add_header_map_value(0, changetype<usize>(name), name.byteLength,
    changetype<usize>(config), config.byteLength);
  return 0;
}
`;

async function compileProbe(dir: string): Promise<string> {
  const options = { runtime: "stub", use: ["abort="], optimizeLevel: 2 };
  const result = await asc.compileString(
    PROBE_SOURCE,
    options as Parameters<typeof asc.compileString>[1],
  );
  if (!result.binary) throw new Error(`probe did not compile:\n${result.stderr.toString()}`);
  const path = join(dir, "probe.wasm");
  writeFileSync(path, result.binary);
  return path;
}

/** Starts Envoy expecting it to fail; a successful start is stopped and fails the test. */
async function startExpectingFailure(opts: StartEnvoyOptions): Promise<EnvoyStartError> {
  const error: unknown = await startEnvoy(opts).then(
    async (envoy) => {
      await envoy.stop();
      return expect.unreachable("startEnvoy resolved, expected it to reject");
    },
    (err: unknown) => err,
  );
  if (!(error instanceof EnvoyStartError)) throw error;
  return error;
}

describe("Envoy runner", () => {
  const cleanups: Array<() => Promise<void>> = [];
  const track = <T extends { close(): Promise<void> } | { stop(): Promise<void> }>(r: T): T => {
    cleanups.push(() => ("stop" in r ? r.stop() : r.close()));
    return r;
  };

  beforeAll(() => {
    console.log(`Envoy ${envoyVersion()} (pinned ${pinnedEnvoyVersion()}) at ${envoyBinary()}`);
  });

  afterEach(async () => {
    await Promise.all(cleanups.splice(0).map((c) => c()));
  });

  it("proxies a POST with its body and a custom header to the echo upstream", async () => {
    const echo = track(await startEchoUpstream());
    const envoy = track(
      await startEnvoy({
        config: buildBootstrap({ upstream: { kind: "cluster", port: echo.port } }),
      }),
    );

    const res = await envoy.request("/things?id=7", {
      method: "POST",
      headers: { "x-custom": "hello", "content-type": "text/plain" },
      body: "payload ✓",
    });

    expect(res.status).toBe(200);
    expect(res.headers.get("server")).toBe("envoy");
    const seen = (await res.json()) as EchoRequest;
    expect(seen.method).toBe("POST");
    expect(seen.path).toBe("/things?id=7");
    expect(seen.headers["x-custom"]).toBe("hello");
    expect(seen.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen.body).toBe("payload ✓");
    expect(Buffer.from(seen.bodyBase64, "base64").toString("utf8")).toBe("payload ✓");
    expect(echo.requests).toHaveLength(1);
    expect(await envoy.stats("^cluster\\.upstream\\.upstream_rq_200$")).toEqual({
      "cluster.upstream.upstream_rq_200": 1,
    });
  });

  it("routes to an h2c upstream when the cluster speaks HTTP/2", async () => {
    const echo = track(await startEchoUpstream({ http2: true }));
    const envoy = track(
      await startEnvoy({
        config: buildBootstrap({ upstream: { kind: "cluster", port: echo.port, http2: true } }),
      }),
    );

    const seen = (await (await envoy.request("/h2")).json()) as EchoRequest;

    expect(seen.path).toBe("/h2");
    expect(echo.requests[0]?.headers["x-forwarded-proto"]).toBe("http");
  });

  it("applies the echo upstream's per-path status override through Envoy", async () => {
    const echo = track(await startEchoUpstream({ routes: { "/missing": { status: 404 } } }));
    const envoy = track(
      await startEnvoy({
        config: buildBootstrap({ upstream: { kind: "cluster", port: echo.port } }),
      }),
    );

    expect((await envoy.request("/missing?x=1")).status).toBe(404);
    expect((await envoy.request("/present")).status).toBe(200);
  });

  it("runs a wasm filter with its plugin configuration and shows its logs", async () => {
    const dir = mkdtempSync(join(tmpdir(), "meshwasm-probe-"));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const wasmPath = await compileProbe(dir);
    const echo = track(await startEchoUpstream());
    const config = buildBootstrap({
      upstream: { kind: "cluster", port: echo.port },
      wasmFilters: [
        {
          name: "probe",
          rootId: "probe_root",
          vmId: "probe_vm",
          wasmPath,
          configuration: '{"greeting":"hi"}',
          vmConfiguration: "vm-config",
          failurePolicy: "FAIL_CLOSED",
          allowOnHeadersStopIteration: true,
          environment: { PROBE_MODE: "test" },
        },
      ],
    });
    const envoy = track(await startEnvoy({ config }));

    const seen = (await (await envoy.request("/wasm")).json()) as EchoRequest;

    expect(seen.headers["x-probe"]).toBe('{"greeting":"hi"}');
    await envoy.waitForLog(
      /^\[info\]\[wasm\] wasm log probe_root probe_vm: probe configured with \{"greeting":"hi"\}$/m,
    );
    const stats = await envoy.stats("^wasm\\.");
    expect(stats["wasm.envoy.wasm.runtime.v8.active"]).toBeGreaterThan(0);
    expect(stats["wasm.probe.vm_reload_failure"]).toBe(0);
  });

  it("answers with the configured direct response", async () => {
    const config = buildBootstrap({ upstream: { kind: "direct", status: 202, body: "hi there" } });

    const [status, body] = await withEnvoy({ config }, async (envoy) => {
      const res = await envoy.request("/anything");
      return [res.status, await res.text()];
    });

    expect(status).toBe(202);
    expect(body).toBe("hi there");
  });

  it("rejects with Envoy's log when a wasm filter points at a missing file, leaving no process", async () => {
    const config = buildBootstrap({
      upstream: { kind: "direct" },
      wasmFilters: [{ name: "ghost", wasmPath: "/nonexistent/ghost.wasm" }],
    });

    const error = await startExpectingFailure({ config });

    expect(error.message).toContain("exited during start (exit code 1)");
    expect(error.message).toMatch(
      /^\[critical\]\[main\] .*Invalid path: \/nonexistent\/ghost\.wasm/m,
    );
    expect(error.exit).toEqual({ code: 1, signal: null });
    expect(error.pid).toBeTypeOf("number");
    expect(isAlive(error.pid as number)).toBe(false);
  });

  it("rejects with Envoy's log on an unknown bootstrap field, leaving no process", async () => {
    const config = { ...buildBootstrap({ upstream: { kind: "direct" } }), not_a_field: true };

    const error = await startExpectingFailure({ config });

    // Envoy 1.40 prints protobuf parse errors with randomised spacing ("goo.gle/debugonly").
    expect(error.message).toMatch(/no\s+such\s+field:\s+'not_a_field'/);
    expect(isAlive(error.pid as number)).toBe(false);
  });

  it("kills Envoy when it is not ready within the start timeout", async () => {
    const config = buildBootstrap({ upstream: { kind: "direct" } });

    const error = await startExpectingFailure({ config, startTimeoutMs: 1 });

    expect(error.message).toContain("not ready after 1 ms");
    expect(isAlive(error.pid as number)).toBe(false);
  });

  it("stops idempotently and removes its temp files", async () => {
    const envoy = track(
      await startEnvoy({ config: buildBootstrap({ upstream: { kind: "direct" } }) }),
    );
    const info = (await (await fetch(`${envoy.adminUrl}/server_info`)).json()) as {
      command_line_options?: { config_path?: string };
    };
    const configPath = info.command_line_options?.config_path ?? "";
    expect(existsSync(configPath)).toBe(true);

    await Promise.all([envoy.stop(), envoy.stop()]);
    await envoy.stop();

    expect(isAlive(envoy.pid)).toBe(false);
    expect(await envoy.exited).toEqual({ code: 0, signal: null });
    expect(envoy.logs()).toContain("caught ENVOY_SIGTERM");
    expect(existsSync(configPath)).toBe(false);
  });

  it("serves Prometheus stats including envoy_server_live", async () => {
    const envoy = track(
      await startEnvoy({ config: buildBootstrap({ upstream: { kind: "direct" } }) }),
    );

    const text = await envoy.prometheus();

    expect(text).toMatch(/^envoy_server_live(\{[^}]*\})? 1$/m);
  });

  it("waits for log lines that appear after a request", async () => {
    const envoy = track(
      await startEnvoy({
        config: buildBootstrap({ upstream: { kind: "direct" } }),
        componentLogLevel: "http:debug",
      }),
    );

    await envoy.request("/logged", { headers: { "x-marker": "m-123" } });

    const match = await envoy.waitForLog(/^'x-marker', 'm-123'$/m);
    expect(match[0]).toContain("m-123");
    await expect(envoy.waitForLog(/never printed/, 50)).rejects.toThrow(/No log line matched/);
  });
});

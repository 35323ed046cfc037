// Bad modules and bad runs: each fails with an error that names the cause (the import, the
// export, the callback), never a hang.

import { describe, expect, it } from "vitest";
import {
  createHost,
  PluginStartError,
  WasmLoadError,
  WasmTrapError,
} from "../../src/testing/index.ts";
import { filterModule } from "../check/wasm-builder.ts";
import { buildTestModule } from "../modules/build.ts";

describe("modules Envoy would refuse", () => {
  it("names a stray import", async () => {
    const module = await buildTestModule("stray-import");
    await expect(createHost({ module })).rejects.toThrow(
      /missing import: env\.proxy_get_configuration/,
    );
    await expect(createHost({ module })).rejects.toBeInstanceOf(WasmLoadError);
  });

  it("names the missing allocator export", async () => {
    const module = await buildTestModule("no-malloc");
    await expect(createHost({ module })).rejects.toThrow(/missing malloc function/);
  });

  it("names the missing ABI marker", async () => {
    const module = await buildTestModule("no-marker");
    await expect(createHost({ module })).rejects.toThrow(
      /Missing or unknown Proxy-Wasm ABI version.*proxy_abi_version_0_2_1/,
    );
  });

  it("rejects bytes that are not a module", async () => {
    await expect(createHost({ module: new Uint8Array([0, 97, 115, 109, 9, 9]) })).rejects.toThrow(
      WasmLoadError,
    );
    await expect(createHost({ module: new Uint8Array([0, 97, 115, 109, 9, 9]) })).rejects.toThrow(
      /^Failed to load Wasm code: \S/,
    );
  });
});

describe("modules Envoy would refuse, built byte by byte", () => {
  const refusal = (bytes: Uint8Array) =>
    createHost({ module: bytes }).then(
      () => "accepted",
      (e: unknown) => (e instanceof WasmLoadError ? e.message : `not a load error: ${e}`),
    );

  it("an import of the right name and the wrong type, with both types", async () => {
    const bytes = filterModule({
      imports: [{ name: "proxy_get_buffer_bytes", params: ["i32"], results: ["i32"] }],
    }).build();
    expect(await refusal(bytes)).toMatch(
      /^Failed to load Wasm module due to an import type mismatch: env\.proxy_get_buffer_bytes, want: \S.*, but host exports: \S/,
    );
  });

  it("no memory export, even with a function of that name", async () => {
    expect(await refusal(filterModule({ without: ["memory"] }).build())).toBe(
      "Wasm module is missing its memory export",
    );
    const named = filterModule({ without: ["memory"] });
    named.func([], [], "memory");
    expect(await refusal(named.build())).toBe("Wasm module is missing its memory export");
  });

  it("a callback exported with another signature, named", async () => {
    const bytes = filterModule({ exports: [{ name: "proxy_on_tick", params: [] }] }).build();
    expect(await refusal(bytes)).toBe("Bad function signature for: proxy_on_tick");
  });

  it("the ABI marker exported as something other than a function", async () => {
    const b = filterModule({ without: ["proxy_abi_version_0_2_1"] });
    b.global("proxy_abi_version_0_2_1");
    expect(await refusal(b.build())).toMatch(/^Missing or unknown Proxy-Wasm ABI version/);
  });
});

describe("the start calls, as Envoy makes them", () => {
  const started = async (b: ReturnType<typeof filterModule>) => {
    const host = await createHost({ module: b.build() });
    const calls = (name: string) => host.coverage.callbacks.get(name) ?? 0;
    return ["_initialize", "__main_void", "main", "_start"].map(calls);
  };

  it("_initialize, then __main_void or else main; _start only without _initialize", async () => {
    expect(await started(filterModule())).toStrictEqual([1, 0, 0, 0]);
    const both = filterModule({
      exports: [
        { name: "__main_void", params: [], results: ["i32"] },
        { name: "main", params: ["i32", "i32"], results: ["i32"] },
      ],
    });
    expect(await started(both)).toStrictEqual([1, 1, 0, 0]);
    const main = filterModule({
      exports: [{ name: "main", params: ["i32", "i32"], results: ["i32"] }],
    });
    expect(await started(main)).toStrictEqual([1, 0, 1, 0]);
    const command = filterModule({
      without: ["_initialize"],
      exports: [{ name: "_start", params: [] }],
    });
    expect(await started(command)).toStrictEqual([0, 0, 0, 1]);
  });
});

describe("traps", () => {
  it("a trap in the start call names _initialize", async () => {
    const module = await buildTestModule("start-trap");
    const failure = await createHost({ module }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(WasmTrapError);
    expect((failure as WasmTrapError).callback).toBe("_initialize");
    expect((failure as Error).message).toMatch(/Function: _initialize failed/);
  });

  it("a host call forbidden during start is a restricted_callback naming the function", async () => {
    const module = await buildTestModule("start-restricted");
    await expect(createHost({ module })).rejects.toThrow(
      /_initialize failed: restricted_callback: env\.proxy_define_metric/,
    );
  });

  it("a trap in onConfigure names proxy_on_configure", async () => {
    const module = await buildTestModule("conformance");
    const failure = await createHost({ module, configuration: "trap-configure" }).catch(
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(WasmTrapError);
    expect((failure as WasmTrapError).callback).toBe("proxy_on_configure");
  });

  it("onConfigure returning false is a start error quoting the plugin's log", async () => {
    const module = await buildTestModule("conformance");
    const failure = await createHost({ module, configuration: "refuse" }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(PluginStartError);
    expect((failure as Error).message).toMatch(
      /proxy_on_configure returned false.*refused on purpose/,
    );
  });

  it("a trap in a request callback fails that request with 503 and names the callback", async () => {
    const host = await createHost({ module: await buildTestModule("conformance") });
    const res = await host.request({ path: "/trap/request-headers" });
    expect(res.status).toBe(503);
    expect(res.trap?.callback).toBe("proxy_on_request_headers");
    expect(host.logs("critical").join("\n")).toMatch(
      /Function: proxy_on_request_headers failed: Uncaught RuntimeError: unreachable/,
    );
    // The host's own line, not the module's.
    expect(
      host.logEntries.filter((l) => l.level === "critical").map((l) => l.source),
    ).toStrictEqual(["host"]);
    // The VM stays failed, like Envoy's: fail closed answers 503 from now on.
    expect((await host.request({ path: "/headers/add" })).status).toBe(503);
  });
});

describe("no hangs", () => {
  it("a stream paused with nothing left to resume it comes back paused", async () => {
    const host = await createHost({ module: await buildTestModule("conformance") });
    const res = await host.request({ path: "/stream/pause-until-tick" });
    expect(res.paused).toBe(true);
    expect(res.status).toBe(0);
    expect(res.upstream).toBeNull();
  });

  it("a callout nobody answers times out in virtual time, as Envoy's would", async () => {
    const host = await createHost({
      module: await buildTestModule("conformance"),
      clusters: { callout: () => undefined },
    });
    const res = await host.request({ path: "/callout/ok" });
    expect(res.status).toBe(200);
    expect(res.headers["x-note-callout-status"]).toBe("504");
    expect(host.httpCalls[0]?.done).toBe(true);
  });
});

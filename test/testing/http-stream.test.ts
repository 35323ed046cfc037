// An HTTP stream's state machine (src/testing/http.ts) with hand-written filters: a stream
// whose context creation traps, trailers that arrive while the filter holds the headers, and
// StopIteration with and without allow_on_headers_stop_iteration.

import { describe, expect, it } from "vitest";
import { createHost } from "../../src/testing/index.ts";
import { WasmBuilder } from "../check/wasm-builder.ts";

const I32 = "i32" as const;

/** An HTTP filter: `proxy_on_request_headers` returns `headersAction`; a stream's (not the
 *  root's) context creation traps when `trapOnCreate`; the body callback returns Continue. */
function httpModule(opts: { headersAction?: number; trapOnCreate?: boolean } = {}): Uint8Array {
  const b = new WasmBuilder();
  b.memory(1);
  const top = b.mutableGlobal(4096);
  b.func([], [], "proxy_abi_version_0_2_1");
  b.code([I32], [I32], [0x23, top, 0x23, top, 0x20, 0x00, 0x6a, 0x24, top], "malloc");
  // if (parent_context_id != 0) unreachable
  const create = opts.trapOnCreate ? [0x20, 0x01, 0x04, 0x40, 0x00, 0x0b] : [];
  b.code([I32, I32], [], create, "proxy_on_context_create");
  b.code([I32, I32, I32], [I32], [0x41, opts.headersAction ?? 0], "proxy_on_request_headers");
  b.code([I32, I32, I32], [I32], [0x41, 0x00], "proxy_on_request_body");
  b.code([I32, I32], [I32], [0x41, 0x00], "proxy_on_request_trailers");
  return b.build();
}

const GET = { ":method": "POST", ":path": "/", host: "h" };

describe("an HTTP stream", () => {
  it("whose context creation traps runs no callback and answers 503 wasm_fail_stream", async () => {
    const host = await createHost({ module: httpModule({ trapOnCreate: true }) });
    const s = host.stream();
    expect(s.requestHeaders(GET)).toBe("Continue");
    expect(s.trap).not.toBeNull();
    expect(s.steps).toEqual([]);
    expect(s.downstream.headers?.get(":status")).toBe("503");
    expect(s.raw.responseDetails).toBe("wasm_fail_stream");
    expect(s.upstream.headers).toBeNull();
  });

  it("holds trailers that arrive while the filter holds the headers", async () => {
    const host = await createHost({ module: httpModule({ headersAction: 1 }) });
    const s = host.stream();
    expect(s.requestHeaders(GET, { endOfStream: false })).toBe("Pause");
    expect(s.requestTrailers({ "x-t": "1" })).toBe("Pause");
    expect(s.upstream.trailers).toBeNull();
    expect(s.steps.map((x) => x.callback)).toEqual(["proxy_on_request_headers"]);
  });

  it("records the trailers callback and passes the trailers on when it continues", async () => {
    const host = await createHost({ module: httpModule() });
    const s = host.stream();
    s.requestHeaders(GET, { endOfStream: false });
    expect(s.requestTrailers({ "x-t": "1" })).toBe("Continue");
    expect(s.steps).toEqual([
      { callback: "proxy_on_request_headers", action: "Continue" },
      { callback: "proxy_on_request_trailers", action: "Continue" },
    ]);
    expect(s.upstream.trailers?.get("x-t")).toBe("1");
  });

  it("passes a body to the filter after StopIteration when the plugin allows it, and holds it otherwise", async () => {
    const allowed = await createHost({
      module: httpModule({ headersAction: 1 }),
      allowOnHeadersStopIteration: true,
    });
    const a = allowed.stream();
    a.requestHeaders(GET, { endOfStream: false });
    a.requestBody("abc", { endOfStream: false });
    expect(a.steps.map((x) => x.callback)).toEqual([
      "proxy_on_request_headers",
      "proxy_on_request_body",
    ]);
    const held = await createHost({ module: httpModule({ headersAction: 1 }) });
    const h = held.stream();
    h.requestHeaders(GET, { endOfStream: false });
    h.requestBody("abc", { endOfStream: false });
    expect(h.steps.map((x) => x.callback)).toEqual(["proxy_on_request_headers"]);
  });
});

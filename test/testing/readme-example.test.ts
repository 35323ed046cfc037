// The example from the README ("Testing your filter"), verbatim apart from where the module
// is built. readme-pin.test.ts keeps the two in step.
// --- example start ---
import { createHost, PluginStartError } from "meshwasm/testing";
import { describe, expect, it } from "vitest";
import { buildExample } from "../modules/build.ts";

const wasm = await buildExample("hello");

describe("hello", () => {
  it("adds the configured header to every response", async () => {
    const host = await createHost({
      module: wasm,
      rootId: "hello",
      configuration: { header: "x-hello", value: "world" },
      logLevel: "debug",
    });

    const res = await host.request({ path: "/greet" });

    expect(res.status).toBe(200);
    expect(res.headers["x-hello"]).toBe("world");
    expect(res.upstream?.path).toBe("/greet"); // what reached the upstream
    expect(host.counter("hello_requests")).toBe(1);
    expect(host.logs("debug")).toContain("hello: request for /greet");
    expect(host.prometheus()).toMatch(/^hello_requests\{\} 1$/m);
  });

  it("refuses a configuration with an empty header name", async () => {
    const start = createHost({ module: wasm, rootId: "hello", configuration: { header: "" } });
    await expect(start).rejects.toBeInstanceOf(PluginStartError);
  });

  it("can be driven one callback at a time", async () => {
    const host = await createHost({ module: wasm, rootId: "hello" });
    const stream = host.stream();

    expect(stream.requestHeaders({ ":method": "GET", ":path": "/", ":authority": "a" })).toBe(
      "Continue",
    );
    stream.responseHeaders({ ":status": "200" });
    stream.complete();

    expect(stream.downstream.headers?.get("x-hello")).toBe("world");
    expect(stream.steps.map((s) => s.callback)).toEqual([
      "proxy_on_request_headers",
      "proxy_on_response_headers",
    ]);
  });
});
// --- example end ---

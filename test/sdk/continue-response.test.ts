// HttpContext.continueResponse before the response reached the filter, on the test host: Envoy
// 1.40 crashes on that host call (test/envoy/continue-stream.test.ts), so the SDK refuses it
// with BadArgument and makes no host call, and the test host traps on the raw call. The probe
// module (test/modules/continue-probe) picks the case from `x-probe`, and continues through the
// SDK with `x-via: sdk`, through the raw call otherwise; it has no onResponseHeaders, so the SDK
// learns that the response came from its body or trailers callback.

import { describe, expect, it } from "vitest";
import { createHost, type Host } from "../../src/testing/index.ts";
import { buildTestModule } from "../modules/build.ts";

const probe = async () => createHost({ module: await buildTestModule("continue-probe") });
const sdk = (mode: string) => ({ headers: { "x-probe": mode, "x-via": "sdk" } });
const continues = (host: Host) => host.coverage.hostCalls.get("proxy_continue_stream") ?? 0;

describe("continueResponse before the response reached the filter", () => {
  it("is refused with BadArgument and no host call, from a tick; the held request then completes", async () => {
    const host = await probe();
    const res = await host.request(sdk("tick-response-paused"));
    expect(res.status).toBe(200);
    expect(res.upstream?.path).toBe("/");
    expect(host.logs()).toEqual(
      expect.arrayContaining([
        "probe tick-response-paused response 2",
        "probe tick-response-paused request 0",
      ]),
    );
    // The request's continue only.
    expect(continues(host)).toBe(1);
  });

  it("is refused in onRequestHeaders, and in the log of a stream reset before any response", async () => {
    const host = await probe();
    const res = await host.request(sdk("headers-response-unpaused"));
    expect(res.status).toBe(200);
    const s = host.stream();
    s.requestHeaders({
      ":method": "GET",
      ":path": "/",
      host: "h",
      ...sdk("log-response-unstarted").headers,
    });
    s.reset();
    expect(host.logs()).toEqual(
      expect.arrayContaining([
        "probe headers-response-unpaused response 2",
        "probe log-response-unstarted response 2",
      ]),
    );
    expect(continues(host)).toBe(0);
    expect(s.trap).toBeNull();
  });

  it("as the raw call, traps naming Envoy's crash", async () => {
    const host = await probe();
    await expect(host.request({ headers: { "x-probe": "tick-response-paused" } })).rejects.toThrow(
      /proxy_on_tick failed: proxy_continue_stream\(HttpResponse\) before the response reached the filter: Envoy 1\.40 crashes/,
    );
  });
});

describe("continueResponse once the response reached the filter", () => {
  it("continues a response body paused in its callback (no onResponseHeaders in the module)", async () => {
    const host = await probe();
    const res = await host.request(sdk("response-body-paused"));
    expect(res.status).toBe(200);
    expect(res.upstream?.path).toBe("/");
    expect(host.logs()).toContain("probe response-body-paused response 0");
  });

  it("continues response trailers paused in their callback (a response without a body)", async () => {
    const host = await probe();
    const s = host.stream();
    s.requestHeaders({
      ":method": "GET",
      ":path": "/",
      host: "h",
      ...sdk("response-trailers-paused").headers,
    });
    s.responseHeaders({ ":status": "200" }, { endOfStream: false });
    expect(s.responseTrailers({ "x-t": "1" })).toBe("Pause");
    expect(s.downstream.complete).toBe(false);
    host.advance(100);
    expect(host.logs()).toContain("probe response-trailers-paused response 0");
    expect(s.downstream.trailers?.get("x-t")).toBe("1");
    expect(s.downstream.complete).toBe(true);
  });
});

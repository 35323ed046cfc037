// Every way a test sends a request goes through the same connection manager: host.stream()
// refuses, normalises and limits exactly as host.request() does (which the conformance
// scenarios in test/conformance/scenarios/edges.ts hold equal to real Envoy). The edge probe
// reports the headers it saw in x-seen-request.

import { describe, expect, it } from "vitest";
import { createHost, HeaderMap, type Host } from "../../src/testing/index.ts";
import { decodePairs, type Pairs } from "../../src/testing/wire.ts";
import { buildTestModule } from "../modules/build.ts";

const module = await buildTestModule("edges");

/** What the probe saw, without the per-request id. */
function seenRequest(headers: HeaderMap | null): Pairs {
  const hex = headers?.get("x-seen-request");
  if (hex === undefined) throw new Error("the probe reported no x-seen-request");
  const pairs = decodePairs(Buffer.from(hex, "hex"));
  if (!pairs) throw new Error(`not a header-map serialization: ${hex}`);
  return pairs.filter(([k]) => k !== "x-request-id");
}

/** One stream driven step by step: request headers, the upstream's answer, the end. */
function viaStream(host: Host, headers: Array<[string, string]>) {
  const s = host.stream();
  const action = s.requestHeaders(new HeaderMap(headers), { endOfStream: true });
  if (action !== "Refused") {
    s.responseHeaders({ ":status": "200", "content-length": "0" }, { endOfStream: true });
  }
  s.complete();
  return { action, s };
}

const MESSY: Array<[string, string]> = [
  ["x-sp", "  padded \t"],
  ["user-agent", "a"],
  ["user-agent", "b"],
  ["x-a", "1"],
  ["x-a", "2"],
  ["connection", "keep-alive"],
  ["keep-alive", "timeout=5"],
  ["proxy-connection", "keep-alive"],
  ["expect", "100-continue"],
  ["transfer-encoding", "chunked"],
];

describe("host.stream() and host.request() admit a request alike", () => {
  it("normalise the headers the filter sees the same way", async () => {
    const host = await createHost({ module });
    const viaRequest = await host.request({ path: "/edge/norm", headers: MESSY });
    const { action, s } = viaStream(host, [
      [":path", "/edge/norm"],
      [":method", "GET"],
      [":scheme", "http"],
      ["host", "example.com"],
      ...MESSY,
    ]);
    expect(action).toBe("Continue");
    const streamed = seenRequest(s.downstream.headers);
    expect(streamed).toEqual(seenRequest(viaRequest.headerMap));
    expect(streamed).toContainEqual(["x-sp", "padded"]);
    expect(streamed).toContainEqual(["user-agent", "a,b"]);
    expect(streamed).toContainEqual([":authority", "example.com"]);
    expect(streamed).toContainEqual(["x-forwarded-proto", "http"]);
    const names = streamed.map(([k]) => k);
    for (const gone of ["connection", "keep-alive", "proxy-connection", "expect", "host"]) {
      expect(names).not.toContain(gone);
    }
    expect(names).not.toContain("transfer-encoding");
    expect(s.upstream.headers?.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("refuse oversized headers with 431 and HTTP/1.0 with 426 before the filter runs", async () => {
    const host = await createHost({ module, limits: { maxRequestHeadersKb: 4 } });
    const big: Array<[string, string]> = [
      [":method", "GET"],
      [":path", "/edge/big"],
      [":authority", "a"],
      ["x-big", "x".repeat(5 * 1024)],
    ];
    const refused = viaStream(host, big);
    expect(refused.action).toBe("Refused");
    expect(refused.s.downstream.headers?.get(":status")).toBe("431");
    expect(refused.s.steps).toEqual([]);
    expect(
      (await host.request({ path: "/edge/big", headers: [big[3] as [string, string]] })).status,
    ).toBe(431);

    const s = host.stream();
    const old = s.requestHeaders(
      { ":method": "GET", ":path": "/edge/old", ":authority": "a" },
      { version: "HTTP/1.0" },
    );
    expect(old).toBe("Refused");
    expect(s.downstream.headers?.get(":status")).toBe("426");
    expect(host.logs().filter((m) => m.startsWith("step request_headers"))).toEqual([]);
  });

  it("answer 413 once a buffered body outgrows the buffer limit", async () => {
    const host = await createHost({ module, limits: { bufferLimitBytes: 1024 } });
    const s = host.stream();
    s.requestHeaders(
      { ":method": "POST", ":path": "/edge/buffer/until-end", ":authority": "a" },
      { endOfStream: false },
    );
    s.requestBody(new Uint8Array(800), { endOfStream: false });
    expect(s.localReply).toBeNull();
    s.requestBody(new Uint8Array(800), { endOfStream: false });
    expect(s.downstream.headers?.get(":status")).toBe("413");
  });

  it("hand the map over as given with envoyHeaders: false", async () => {
    const host = await createHost({ module });
    const s = host.stream();
    s.requestHeaders(
      { ":method": "GET", ":path": "/edge/norm", ":authority": "a", "x-sp": " padded " },
      { envoyHeaders: false },
    );
    s.responseHeaders({ ":status": "200" }, { endOfStream: true });
    const seen = seenRequest(s.downstream.headers);
    expect(seen).toContainEqual(["x-sp", " padded "]);
    expect(seen.map(([k]) => k)).not.toContain("x-forwarded-proto");
  });
});

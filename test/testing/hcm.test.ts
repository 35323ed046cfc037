// What the test host's connection manager does to a request before the first filter, on its
// own (test/testing/admission.test.ts checks it through a module; the conformance scenarios in
// test/conformance/scenarios/edges.ts hold it equal to real Envoy).

import { describe, expect, it } from "vitest";
import { ENVOY_DEFAULT_LIMITS } from "../../src/connection-manager.ts";
import {
  admitRequest,
  needsZeroContentLength,
  normalizeRequestHeaders,
  refuseRequest,
} from "../../src/testing/hcm.ts";
import { HeaderMap } from "../../src/testing/headers.ts";

const HOP_BY_HOP_AND_INTERNAL = [
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "te",
  "x-forwarded-client-cert",
  "x-envoy-expected-rq-timeout-ms",
  "x-envoy-force-trace",
  "x-envoy-hedge-on-per-try-timeout",
  "x-envoy-internal",
  "x-envoy-ip-tags",
  "x-envoy-max-retries",
  "x-envoy-original-url",
  "x-envoy-retriable-header-names",
  "x-envoy-retriable-status-codes",
  "x-envoy-retry-grpc-on",
  "x-envoy-retry-on",
  "x-envoy-upstream-alt-stat-name",
  "x-envoy-upstream-rq-per-try-timeout-ms",
  "x-envoy-upstream-rq-timeout-alt-response",
  "x-envoy-upstream-rq-timeout-ms",
  "x-envoy-upstream-stream-duration-ms",
];

describe("normalizeRequestHeaders", () => {
  it("removes each hop-by-hop and internal header and keeps the others", () => {
    for (const name of HOP_BY_HOP_AND_INTERNAL) {
      const out = normalizeRequestHeaders(
        new HeaderMap([
          [name, "v"],
          ["x-kept", "1"],
        ]),
      );
      expect(out.pairs(), name).toEqual([["x-kept", "1"]]);
    }
    const near = ["x-envoy-foo", "connections", "tee", "x-forwarded-for"];
    const out = normalizeRequestHeaders(new HeaderMap(near.map((n) => [n, "v"])));
    expect(out.pairs()).toEqual(near.map((n) => [n, "v"]));
  });

  it("trims spaces and tabs at both ends only", () => {
    const out = normalizeRequestHeaders(
      new HeaderMap([
        ["a", " \t x y \t "],
        ["b", "\t\t"],
        ["c", "in\tside"],
        ["d", "\nkept\n"],
      ]),
    );
    expect(out.pairs()).toEqual([
      ["a", "x y"],
      ["b", ""],
      ["c", "in\tside"],
      ["d", "\nkept\n"],
    ]);
  });

  it("drops expect: 100-continue in any case, trimmed, and keeps other expectations", () => {
    const out = normalizeRequestHeaders(new HeaderMap([["expect", " 100-Continue "]]));
    expect(out.pairs()).toEqual([]);
    const other = normalizeRequestHeaders(new HeaderMap([["expect", "200-ok"]]));
    expect(other.pairs()).toEqual([["expect", "200-ok"]]);
    const elsewhere = normalizeRequestHeaders(new HeaderMap([["x-expect", "100-continue"]]));
    expect(elsewhere.pairs()).toEqual([["x-expect", "100-continue"]]);
  });

  it("joins repeats of the request's inline headers and keeps other repeats apart", () => {
    const out = normalizeRequestHeaders(
      new HeaderMap([
        ["user-agent", "a"],
        ["x-a", "1"],
        ["user-agent", "b"],
        ["x-a", "2"],
      ]),
    );
    expect(out.pairs()).toEqual([
      ["user-agent", "a,b"],
      ["x-a", "1"],
      ["x-a", "2"],
    ]);
  });
});

describe("needsZeroContentLength", () => {
  const none = new HeaderMap();
  it("holds for a method with a body that ends at its headers with no length of its own", () => {
    for (const method of ["POST", "PUT", "PATCH", "OPTIONS", "post"]) {
      expect(needsZeroContentLength(method, none, 0), method).toBe(true);
    }
  });

  it("does not hold for the bodiless methods, in any case", () => {
    for (const method of ["GET", "HEAD", "DELETE", "TRACE", "CONNECT", "get", "Head"]) {
      expect(needsZeroContentLength(method, none, 0), method).toBe(false);
    }
  });

  it("does not hold with a body, a content-length or a transfer-encoding", () => {
    expect(needsZeroContentLength("POST", none, 1)).toBe(false);
    expect(needsZeroContentLength("POST", new HeaderMap([["content-length", "0"]]), 0)).toBe(false);
    expect(
      needsZeroContentLength("POST", new HeaderMap([["transfer-encoding", "chunked"]]), 0),
    ).toBe(false);
  });
});

describe("refuseRequest", () => {
  const limits = { ...ENVOY_DEFAULT_LIMITS, maxRequestHeadersKb: 1 };

  it("refuses HTTP/1.0 with 426 unless accepted", () => {
    const h = new HeaderMap([["a", "b"]]);
    expect(refuseRequest(h, "HTTP/1.0", limits)).toEqual({ status: 426, body: "Upgrade Required" });
    expect(refuseRequest(h, "HTTP/1.0", { ...limits, acceptHttp10: true })).toBeNull();
    expect(refuseRequest(h, "HTTP/1.1", limits)).toBeNull();
  });

  it("refuses headers past the limit with 431, and takes them at exactly the limit", () => {
    // 1 KiB: a one-byte name and a value of 1023 bytes.
    const at = new HeaderMap([["a", "v".repeat(1023)]]);
    expect(at.byteSize()).toBe(1024);
    expect(refuseRequest(at, "HTTP/1.1", limits)).toBeNull();
    const past = new HeaderMap([["a", "v".repeat(1024)]]);
    expect(refuseRequest(past, "HTTP/1.1", limits)).toEqual({
      status: 431,
      body: "Request Header Fields Too Large",
    });
  });
});

describe("admitRequest", () => {
  it("hands the map over as given without the connection manager", () => {
    const given = new HeaderMap([
      ["host", "h"],
      ["connection", "close"],
    ]);
    expect(admitRequest(given, ENVOY_DEFAULT_LIMITS, { envoyHeaders: false })).toEqual({
      headers: given,
    });
  });

  it("turns Host into :authority ahead of the other headers, and adds the proxy's headers", () => {
    const given = new HeaderMap([
      [":path", "/"],
      ["x-a", "1"],
      ["host", "example.com"],
    ]);
    const admitted = admitRequest(given, ENVOY_DEFAULT_LIMITS, { envoyHeaders: true });
    if (!("headers" in admitted)) throw new Error("refused");
    const pairs = admitted.headers.pairs();
    expect(pairs.slice(0, 3)).toEqual([
      [":authority", "example.com"],
      [":path", "/"],
      ["x-a", "1"],
    ]);
    expect(pairs[3]).toEqual(["x-forwarded-proto", "http"]);
    expect(pairs[4]?.[0]).toBe("x-request-id");
    expect(pairs[4]?.[1]).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(pairs).toHaveLength(5);
  });

  it("keeps a given :authority over Host, and a given x-forwarded-proto and x-request-id", () => {
    const given = new HeaderMap([
      [":authority", "given"],
      ["host", "other"],
      ["x-forwarded-proto", "https"],
      ["x-request-id", "id-1"],
    ]);
    const admitted = admitRequest(given, ENVOY_DEFAULT_LIMITS);
    if (!("headers" in admitted)) throw new Error("refused");
    expect(admitted.headers.pairs()).toEqual([
      [":authority", "given"],
      ["x-forwarded-proto", "https"],
      ["x-request-id", "id-1"],
    ]);
  });

  it("leaves a map without Host as it is, but normalised", () => {
    const given = new HeaderMap([
      [":path", "/"],
      ["te", "trailers"],
      ["x-request-id", "r"],
    ]);
    const admitted = admitRequest(given, ENVOY_DEFAULT_LIMITS);
    if (!("headers" in admitted)) throw new Error("refused");
    expect(admitted.headers.pairs()).toEqual([
      [":path", "/"],
      ["x-request-id", "r"],
      ["x-forwarded-proto", "http"],
    ]);
  });

  it("refuses by the version given (HTTP/1.1 by default) and by the size after Host moved", () => {
    const given = new HeaderMap([["host", "h"]]);
    expect(admitRequest(given, ENVOY_DEFAULT_LIMITS, { version: "HTTP/1.0" })).toEqual({
      refusal: { status: 426, body: "Upgrade Required" },
    });
    expect("headers" in admitRequest(given, ENVOY_DEFAULT_LIMITS)).toBe(true);
    // ":authority" is 10 bytes where "host" is 4: 1024 bytes as :authority, 1018 as host.
    const limits = { ...ENVOY_DEFAULT_LIMITS, maxRequestHeadersKb: 1 };
    const fits = new HeaderMap([["host", "h".repeat(1014)]]);
    expect(admitRequest(fits, limits)).toHaveProperty("headers");
    const over = new HeaderMap([["host", "h".repeat(1015)]]);
    expect(admitRequest(over, limits)).toEqual({
      refusal: { status: 431, body: "Request Header Fields Too Large" },
    });
  });
});

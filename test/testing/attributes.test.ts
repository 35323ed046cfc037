// The HTTP attributes the test host serves, computed from a stream's facts, on their own:
// when each is readable and what it answers (the conformance scenarios in
// test/conformance/scenarios/attributes.ts hold them equal to real Envoy through a module).

import { describe, expect, it } from "vitest";
import {
  type ConnectionInfo,
  HTTP_ATTRIBUTES,
  PLUGIN_ATTRIBUTES,
  type StreamFacts,
} from "../../src/testing/attributes.ts";
import { HeaderMap } from "../../src/testing/headers.ts";

const CONNECTION: ConnectionInfo = {
  sourceAddress: "10.0.0.1:51234",
  destinationAddress: "127.0.0.1:10000",
  connectionId: 42,
  upstreamAddress: "127.0.0.1:8080",
  clusterName: "backend",
  routeName: "r1",
  virtualHostName: "vh",
  node: Uint8Array.of(1, 2),
  upstreamHostMetadata: Uint8Array.of(3),
};

const REQUEST = new HeaderMap([
  [":method", "POST"],
  [":scheme", "https"],
  [":authority", "example.com"],
  [":path", "/a/b?x=1&y=2"],
  ["referer", "https://ref"],
  ["user-agent", "ua"],
  ["x-request-id", "rid"],
  ["content-length", "12"],
]);

function facts(over: Partial<StreamFacts> = {}): StreamFacts {
  return {
    requestHeaders: REQUEST,
    responseHeaders: null,
    response: null,
    responseTrailers: null,
    requestBodyBytes: 5,
    responseBodyBytes: 0,
    upstreamChosen: false,
    responseDetails: null,
    accessLog: false,
    connection: CONNECTION,
    startedAtNanos: 1_000n,
    nowNanos: 4_500n,
    ...over,
  };
}

const read = (name: string, f: StreamFacts = facts()) => {
  const attribute = HTTP_ATTRIBUTES[name];
  if (!attribute) throw new Error(`no attribute ${name}`);
  return attribute(f);
};

describe("request attributes", () => {
  it("read the request headers while they are readable", () => {
    expect(read("request.path")).toBe("/a/b?x=1&y=2");
    expect(read("request.url_path")).toBe("/a/b");
    expect(read("request.host")).toBe("example.com");
    expect(read("request.scheme")).toBe("https");
    expect(read("request.method")).toBe("POST");
    expect(read("request.referer")).toBe("https://ref");
    expect(read("request.useragent")).toBe("ua");
    expect(read("request.id")).toBe("rid");
    expect(read("request.query")).toBe("x=1&y=2");
    expect(read("request.headers")).toEqual(REQUEST.pairs());
  });

  it("are absent, or empty for the maps, without the request headers", () => {
    const f = facts({ requestHeaders: null });
    for (const name of [
      "request.path",
      "request.url_path",
      "request.host",
      "request.scheme",
      "request.method",
      "request.referer",
      "request.useragent",
      "request.id",
      "request.query",
    ]) {
      expect(read(name, f), name).toBeUndefined();
    }
    expect(read("request.headers", f)).toEqual([]);
  });

  it("answer an empty query for a path without one, and absent headers as absent", () => {
    const f = facts({ requestHeaders: new HeaderMap([[":path", "/p"]]) });
    expect(read("request.query", f)).toBe("");
    expect(read("request.url_path", f)).toBe("/p");
    expect(read("request.referer", f)).toBeUndefined();
    expect(read("request.query", facts({ requestHeaders: new HeaderMap() }))).toBeUndefined();
    expect(read("request.url_path", facts({ requestHeaders: new HeaderMap() }))).toBeUndefined();
    expect(
      read("request.query", facts({ requestHeaders: new HeaderMap([[":path", "?q=1"]]) })),
    ).toBe("q=1");
    expect(read("request.query", facts({ requestHeaders: new HeaderMap([[":path", "/?"]]) }))).toBe(
      "",
    );
  });

  it("serve the protocol, the start time, and the duration in the access log only", () => {
    expect(read("request.protocol")).toBe("HTTP/1.1");
    expect(read("request.time")).toBe(1_000n);
    expect(read("request.duration")).toBeUndefined();
    expect(read("request.duration", facts({ accessLog: true }))).toBe(3_500n);
  });

  it("size the request by its content-length while readable, else by the body so far", () => {
    expect(read("request.size")).toBe(12n);
    expect(read("request.size", facts({ requestHeaders: null }))).toBe(5n);
    const odd = new HeaderMap([["content-length", "12x"]]);
    expect(read("request.size", facts({ requestHeaders: odd }))).toBe(5n);
    const lead = new HeaderMap([["content-length", "x12"]]);
    expect(read("request.size", facts({ requestHeaders: lead }))).toBe(5n);
    expect(read("request.size", facts({ requestHeaders: new HeaderMap() }))).toBe(5n);
  });

  it("total the header map's byte size and the body", () => {
    expect(read("request.total_size")).toBe(BigInt(REQUEST.byteSize() + 5));
    expect(read("request.total_size", facts({ requestHeaders: null }))).toBe(5n);
  });
});

describe("response attributes", () => {
  const response = new HeaderMap([
    [":status", "503"],
    ["server", "s"],
  ]);

  it("answer the code once a response exists", () => {
    expect(read("response.code")).toBeUndefined();
    expect(read("response.code", facts({ response }))).toBe(503);
    expect(read("response.code", facts({ response: new HeaderMap() }))).toBe(0);
    expect(read("response.code_details")).toBeUndefined();
    expect(read("response.code_details", facts({ responseDetails: "via_upstream" }))).toBe(
      "via_upstream",
    );
    expect(read("response.flags")).toBe(0n);
  });

  it("serve the response headers while readable, the trailers in the access log", () => {
    expect(read("response.headers")).toEqual([]);
    expect(read("response.headers", facts({ responseHeaders: response }))).toEqual(
      response.pairs(),
    );
    const trailers = new HeaderMap([["t", "1"]]);
    expect(read("response.trailers", facts({ responseTrailers: trailers }))).toEqual([]);
    expect(
      read("response.trailers", facts({ responseTrailers: trailers, accessLog: true })),
    ).toEqual([["t", "1"]]);
    expect(read("response.trailers", facts({ accessLog: true }))).toEqual([]);
  });

  it("size the response by its body, and total it with the readable headers", () => {
    expect(read("response.size", facts({ responseBodyBytes: 7 }))).toBe(7n);
    expect(read("response.total_size", facts({ responseBodyBytes: 7 }))).toBe(7n);
    expect(
      read("response.total_size", facts({ responseBodyBytes: 7, responseHeaders: response })),
    ).toBe(BigInt(response.byteSize() + 7));
  });

  it("map the HTTP status to a gRPC status as Envoy does, a given grpc-status first", () => {
    const grpc = (status: string, extra: Array<[string, string]> = [], trailers?: HeaderMap) =>
      read(
        "response.grpc_status",
        facts({
          response: new HeaderMap([[":status", status], ...extra]),
          responseTrailers: trailers ?? null,
        }),
      );
    expect(read("response.grpc_status")).toBeUndefined();
    const table: Array<[string, bigint]> = [
      ["400", 13n],
      ["401", 16n],
      ["403", 7n],
      ["404", 12n],
      ["429", 14n],
      ["502", 14n],
      ["503", 14n],
      ["504", 14n],
      ["200", 2n],
      ["500", 2n],
    ];
    for (const [status, code] of table) expect(grpc(status), status).toBe(code);
    expect(grpc("200", [["grpc-status", "5"]])).toBe(5n);
    expect(grpc("200", [["grpc-status", "16"]])).toBe(16n);
    expect(grpc("503", [["grpc-status", "0"]])).toBe(0n);
    expect(grpc("200", [["grpc-status", "5"]], new HeaderMap([["grpc-status", "9"]]))).toBe(9n);
    expect(grpc("200", [["grpc-status", "5"]], new HeaderMap([["other", "x"]]))).toBe(5n);
    // Not a number: the HTTP status decides.
    expect(grpc("404", [["grpc-status", "x1"]])).toBe(12n);
    expect(grpc("404", [["grpc-status", "1x"]])).toBe(12n);
    expect(grpc("404", [["grpc-status", ""]])).toBe(12n);
  });
});

describe("connection, upstream and xds attributes", () => {
  it("answer the connection's addresses, ports and id", () => {
    expect(read("source.address")).toBe("10.0.0.1:51234");
    expect(read("source.port")).toBe(51234n);
    expect(read("destination.address")).toBe("127.0.0.1:10000");
    expect(read("destination.port")).toBe(10000n);
    expect(read("connection.id")).toBe(42n);
    expect(read("connection_id")).toBe(42n);
    expect(read("connection.mtls")).toBe(false);
    expect(read("connection.requested_server_name")).toBe("");
    const ipv6 = facts({ connection: { ...CONNECTION, sourceAddress: "[::1]:7" } });
    expect(read("source.port", ipv6)).toBe(7n);
    const pipe = facts({ connection: { ...CONNECTION, sourceAddress: "pipe" } });
    expect(read("source.port", pipe)).toBeUndefined();
    const bare = facts({ connection: { ...CONNECTION, sourceAddress: ":8443" } });
    expect(read("source.port", bare)).toBe(8443n);
  });

  it("serve upstream.* only once the router chose a host", () => {
    const names = [
      "upstream.address",
      "upstream.port",
      "upstream.transport_failure_reason",
      "upstream.locality",
      "xds.upstream_host_metadata",
    ];
    for (const name of names) expect(read(name), name).toBeUndefined();
    expect(read("upstream.request_attempt_count")).toBe(0n);
    const chosen = facts({ upstreamChosen: true });
    expect(read("upstream.address", chosen)).toBe("127.0.0.1:8080");
    expect(read("upstream.port", chosen)).toBe(8080n);
    expect(read("upstream.transport_failure_reason", chosen)).toBe("");
    expect(read("upstream.locality", chosen)).toEqual(new Uint8Array(0));
    expect(read("upstream.request_attempt_count", chosen)).toBe(1n);
    expect(read("xds.upstream_host_metadata", chosen)).toEqual(Uint8Array.of(3));
    const bare = facts({
      upstreamChosen: true,
      connection: { ...CONNECTION, upstreamHostMetadata: null },
    });
    expect(read("xds.upstream_host_metadata", bare)).toEqual({ status: 3 });
  });

  it("answer the route and listener facts, empty metadata and filter_state's failure", () => {
    expect(read("xds.cluster_name")).toBe("backend");
    expect(read("xds.route_name")).toBe("r1");
    expect(read("xds.virtual_host_name")).toBe("vh");
    expect(read("xds.node")).toEqual(Uint8Array.of(1, 2));
    expect(read("xds.listener_direction")).toBe(0n);
    expect(read("xds.filter_chain_name")).toBe("");
    for (const name of [
      "metadata",
      "xds.cluster_metadata",
      "xds.route_metadata",
      "xds.listener_metadata",
      "xds.virtual_host_metadata",
    ]) {
      expect(read(name), name).toEqual(new Uint8Array(0));
    }
    expect(read("filter_state")).toEqual({ status: 3 });
    expect(Object.hasOwn(HTTP_ATTRIBUTES, "cluster_name")).toBe(false);
    expect(HTTP_ATTRIBUTES.cluster_name).toBeUndefined();
    expect(PLUGIN_ATTRIBUTES).toEqual(["plugin_name", "plugin_root_id", "plugin_vm_id"]);
  });
});

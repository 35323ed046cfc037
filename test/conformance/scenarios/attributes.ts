// Envoy's HTTP attributes, read by the edge probe (test/modules/edges) in every callback of one
// POST /edge/attr?a=1&b=2 (user-agent "ua", referer "r", body "hello"): which are readable
// where, and the values that do not depend on the host (sizes, codes, names). The probe logs
// `attr <callback> <name> <status> <hex value>`; status 1 is NotFound.

import { expect } from "vitest";
import { decodePairs } from "../../../src/testing/wire.ts";
import type { Scenario, Target } from "../harness.ts";

export const CALLBACKS = ["request_headers", "request_body", "response_headers", "log"] as const;
type Callback = (typeof CALLBACKS)[number];

export interface Read {
  status: number;
  bytes: Buffer;
}

/** Sends the attribute request and returns the reads by callback and name (the first read in
 *  each callback), once onLog's reads are logged. */
export async function readAttributes(
  t: Target,
  chunked = false,
): Promise<{
  read: (callback: Callback, name: string) => Read;
  bodyLength: number;
}> {
  const before = t.logs().filter((l) => l.message.startsWith("attr log xds.filter_chain_name "));
  const res = await t.raw({
    method: "POST",
    path: "/edge/attr?a=1&b=2",
    headers: [
      ["host", "127.0.0.1"],
      ["user-agent", "ua"],
      ["referer", "r"],
      chunked ? ["transfer-encoding", "chunked"] : ["content-length", "5"],
    ],
    body: Buffer.from("hello"),
    chunked,
  });
  expect(res.status).toBe(200);
  // The last attribute onLog reads marks the end of this request's lines.
  const logs = t.logs();
  let start = 0;
  for (let seen = 0; start < logs.length && seen < before.length; start++) {
    if (logs[start]?.message.startsWith("attr log xds.filter_chain_name ")) seen++;
  }
  await t.waitForLog(/^attr log xds\.filter_chain_name /);
  for (let i = 0; i < 100; i++) {
    const ends = t.logs().filter((l) => l.message.startsWith("attr log xds.filter_chain_name "));
    if (ends.length > before.length) break;
    await t.wait(20);
  }
  const reads = new Map<string, Read>();
  for (const { message } of t.logs().slice(start)) {
    const m = /^attr (\w+) (\S+) (\d+) ([0-9a-f]*)$/.exec(message);
    if (!m) continue;
    const key = `${m[1]} ${m[2]}`;
    if (!reads.has(key)) {
      reads.set(key, { status: Number(m[3]), bytes: Buffer.from(m[4] ?? "", "hex") });
    }
  }
  return {
    read(callback, name) {
      const r = reads.get(`${callback} ${name}`);
      if (!r) throw new Error(`the probe did not read ${name} in ${callback}`);
      return r;
    },
    bodyLength: res.body.length,
  };
}

const text = (r: Read) => r.bytes.toString("utf8");

/** Envoy's byteSize() of a header map attribute: its names' and values' bytes. */
function mapSize(r: Read): bigint {
  const pairs = decodePairs(r.bytes);
  if (!pairs) throw new Error(`not a header map: ${r.bytes.toString("hex")}`);
  let size = 0;
  for (const [k, v] of pairs)
    size += Buffer.byteLength(k, "latin1") + Buffer.byteLength(v, "latin1");
  return BigInt(size);
}
const int = (r: Read) => (r.bytes.length === 8 ? r.bytes.readBigInt64LE(0) : -1n);

export const attributeScenarios: Scenario[] = [
  {
    name: "attributes: request.* are readable with the request headers and again in onLog",
    setup: { module: "edges" },
    async run(t) {
      const { read } = await readAttributes(t);
      const expected: Record<string, string> = {
        "request.path": "/edge/attr?a=1&b=2",
        "request.url_path": "/edge/attr",
        "request.query": "a=1&b=2",
        "request.host": "127.0.0.1",
        "request.scheme": "http",
        "request.method": "POST",
        "request.referer": "r",
        "request.useragent": "ua",
      };
      for (const [name, value] of Object.entries(expected)) {
        for (const cb of ["request_headers", "log"] as const) {
          expect(read(cb, name), `${name} in ${cb}`).toEqual({
            status: 0,
            bytes: Buffer.from(value),
          });
        }
        for (const cb of ["request_body", "response_headers"] as const) {
          expect(read(cb, name).status, `${name} in ${cb}`).toBe(1);
        }
      }
      expect(text(read("request_headers", "request.id"))).toMatch(/^[0-9a-f-]{36}$/);
      expect(read("request_body", "request.id").status).toBe(1);
      for (const cb of CALLBACKS) {
        expect(text(read(cb, "request.protocol"))).toBe("HTTP/1.1");
      }
      expect(int(read("request_headers", "request.time"))).toBeGreaterThan(0n);
    },
  },
  {
    name: "attributes: sizes, response code and details, gRPC status, flags and duration",
    setup: { module: "edges" },
    async run(t) {
      const { read, bodyLength } = await readAttributes(t);
      expect(int(read("log", "request.size"))).toBe(5n);
      expect(int(read("log", "request.total_size"))).toBeGreaterThan(5n);
      expect(int(read("log", "response.size"))).toBe(BigInt(bodyLength));
      expect(int(read("log", "response.total_size"))).toBeGreaterThan(BigInt(bodyLength));
      for (const name of ["response.code", "response.code_details", "response.grpc_status"]) {
        expect(read("request_headers", name).status, name).toBe(1);
        expect(read("request_body", name).status, name).toBe(1);
      }
      for (const cb of ["response_headers", "log"] as const) {
        expect(int(read(cb, "response.code"))).toBe(200n);
        expect(text(read(cb, "response.code_details"))).toBe("via_upstream");
        expect(int(read(cb, "response.grpc_status"))).toBe(2n);
      }
      for (const cb of CALLBACKS) expect(int(read(cb, "response.flags"))).toBe(0n);
      for (const cb of ["request_headers", "request_body", "response_headers"] as const) {
        expect(read(cb, "request.duration").status).toBe(1);
      }
      expect(read("log", "request.duration").bytes.length).toBe(8);
    },
  },
  {
    name: "attributes: request.size is the content-length while the headers are readable, else the bytes so far; total sizes add the headers served",
    quirk: "Envoy reads request.size from content-length when the request headers are at hand",
    setup: { module: "edges" },
    async run(t) {
      const sized = await readAttributes(t);
      const chunked = await readAttributes(t, true);
      for (const [r, announced] of [
        [sized.read, 5n],
        [chunked.read, 0n],
      ] as const) {
        expect(int(r("request_headers", "request.size"))).toBe(announced);
        expect(int(r("request_body", "request.size"))).toBe(5n);
        expect(int(r("log", "request.size"))).toBe(5n);
        // total = the request headers served in that callback + body bytes received so far.
        expect(int(r("request_headers", "request.total_size"))).toBe(
          mapSize(r("request_headers", "request.headers")),
        );
        expect(int(r("request_body", "request.total_size"))).toBe(5n);
        expect(int(r("log", "request.total_size"))).toBe(mapSize(r("log", "request.headers")) + 5n);
        expect(int(r("response_headers", "response.total_size"))).toBe(
          mapSize(r("response_headers", "response.headers")),
        );
      }
      expect(int(sized.read("log", "response.total_size"))).toBe(
        mapSize(sized.read("log", "response.headers")) + BigInt(sized.bodyLength),
      );
      // The router adds its timeout header to the request headers the filter sees in onLog.
      const logged = decodePairs(sized.read("log", "request.headers").bytes) ?? [];
      expect(logged).toContainEqual(["x-envoy-expected-rq-timeout-ms", "15000"]);
    },
  },
  {
    name: "attributes: upstream.* once the router chose a host; connection and listener facts",
    setup: { module: "edges" },
    async run(t) {
      const { read } = await readAttributes(t);
      expect(read("request_headers", "upstream.port").status).toBe(1);
      expect(read("request_headers", "upstream.address").status).toBe(1);
      expect(int(read("request_body", "upstream.port"))).toBeGreaterThan(0n);
      expect(text(read("request_body", "upstream.address"))).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(int(read("request_headers", "upstream.request_attempt_count"))).toBe(0n);
      expect(int(read("request_body", "upstream.request_attempt_count"))).toBe(1n);
      for (const cb of CALLBACKS) {
        expect(int(read(cb, "xds.listener_direction"))).toBe(0n);
        expect(read(cb, "xds.filter_chain_name")).toEqual({ status: 0, bytes: Buffer.from("") });
        expect([...read(cb, "connection.mtls").bytes]).toEqual([0]);
        expect(read(cb, "connection.requested_server_name").bytes.length).toBe(0);
        expect(int(read(cb, "source.port"))).toBeGreaterThan(0n);
        expect(int(read(cb, "destination.port"))).toBeGreaterThan(0n);
        expect(read(cb, "connection.id").bytes.length).toBe(8);
        for (const name of [
          "connection.tls_version",
          "connection.termination_details",
          "upstream.tls_version",
        ]) {
          expect(read(cb, name).status, `${name} in ${cb}`).toBe(1);
        }
      }
    },
  },
  {
    name: "attributes: xds names of the default route (cluster upstream, unnamed route, vhost all)",
    setup: { module: "edges" },
    async run(t) {
      const { read } = await readAttributes(t);
      expect(text(read("request_headers", "xds.cluster_name"))).toBe("upstream");
      expect(read("request_headers", "xds.route_name")).toEqual({
        status: 0,
        bytes: Buffer.from(""),
      });
      expect(text(read("request_headers", "xds.virtual_host_name"))).toBe("all");
    },
  },
  {
    name: "configuration: a test names the cluster, the route and the virtual host",
    setup: {
      module: "edges",
      route: { clusterName: "backend", routeName: "r1", virtualHostName: "vh1" },
    },
    async run(t) {
      const { read } = await readAttributes(t);
      for (const cb of ["request_headers", "log"] as const) {
        expect(text(read(cb, "xds.cluster_name"))).toBe("backend");
        expect(text(read(cb, "xds.route_name"))).toBe("r1");
        expect(text(read(cb, "xds.virtual_host_name"))).toBe("vh1");
      }
    },
  },
  {
    name: "attributes: header maps are served empty where not readable; metadata is empty; filter_state does not serialize",
    setup: { module: "edges" },
    async run(t) {
      const { read } = await readAttributes(t);
      const empty = { status: 0, bytes: Buffer.alloc(4) };
      expect(read("request_headers", "request.headers").bytes.length).toBeGreaterThan(4);
      expect(read("request_body", "request.headers")).toEqual(empty);
      expect(read("request_headers", "response.headers")).toEqual(empty);
      expect(read("request_headers", "response.trailers")).toEqual(empty);
      for (const name of [
        "metadata",
        "xds.cluster_metadata",
        "xds.route_metadata",
        "xds.listener_metadata",
        "xds.virtual_host_metadata",
      ]) {
        expect(read("request_headers", name), name).toEqual({ status: 0, bytes: Buffer.alloc(0) });
      }
      for (const name of ["upstream.transport_failure_reason", "upstream.locality"]) {
        expect(read("request_headers", name).status, name).toBe(1);
        expect(read("request_body", name), name).toEqual({ status: 0, bytes: Buffer.alloc(0) });
      }
      expect(read("request_headers", "filter_state").status).toBe(3);
    },
  },
  {
    name: "attributes: connection_id is connection.id, a uint64, in every callback",
    setup: { module: "edges" },
    async run(t) {
      const { read } = await readAttributes(t);
      for (const cb of CALLBACKS) {
        const id = read(cb, "connection.id");
        expect(id.bytes.length, cb).toBe(8);
        expect(read(cb, "connection_id"), cb).toEqual(id);
      }
    },
  },
];

// Which header names each of a stream's maps keeps inline (one entry, a second value joined
// into it with ","), name by name, on real Envoy and on the test host: one request writes
// every name below twice into its request headers, request trailers, response headers and
// response trailers (a whole map handed over, so no other entry is in the way) and logs what
// the host then holds. The expected lists are what Envoy 1.40 (envoy/ENVOY_VERSION, the
// official build) was seen to do; the test host's lists (src/testing/inline-headers.ts) must
// name exactly these.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Coverage } from "../../src/testing/index.ts";
import {
  INLINE_REQUEST_HEADERS,
  INLINE_RESPONSE_HEADERS,
  INLINE_RESPONSE_TRAILERS,
} from "../../src/testing/inline-headers.ts";
import {
  emulatorTarget,
  envoyTarget,
  type Servers,
  type Setup,
  startServers,
  stopServers,
  type Target,
} from "./harness.ts";

// Inline in request and response headers alike, as Envoy 1.40 joins them.
const BOTH = [
  "connection",
  "content-length",
  "content-type",
  "keep-alive",
  "proxy-connection",
  "proxy-status",
  "transfer-encoding",
  "upgrade",
  "via",
  "x-envoy-attempt-count",
  "x-envoy-decorator-operation",
  "x-request-id",
  "cache-control",
  "content-encoding",
];

// Request headers Envoy 1.40 joins (`host`, another name for `:authority`, is left out).
const REQUEST = [
  ...BOTH,
  ":authority",
  ":method",
  ":path",
  ":protocol",
  ":scheme",
  "expect",
  "grpc-timeout",
  "te",
  "user-agent",
  "x-client-trace-id",
  "x-envoy-downstream-service-cluster",
  "x-envoy-downstream-service-node",
  "x-envoy-expected-rq-timeout-ms",
  "x-envoy-external-address",
  "x-envoy-force-trace",
  "x-envoy-hedge-on-per-try-timeout",
  "x-envoy-internal",
  "x-envoy-ip-tags",
  "x-envoy-is-timeout-retry",
  "x-envoy-max-retries",
  "x-envoy-original-path",
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
  "x-forwarded-client-cert",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-port",
  "x-forwarded-proto",
  "accept",
  "accept-encoding",
  "access-control-request-headers",
  "access-control-request-method",
  "authorization",
  "grpc-accept-encoding",
  "if-match",
  "if-modified-since",
  "if-none-match",
  "if-range",
  "if-unmodified-since",
  "origin",
  "pragma",
  "referer",
];

// Response headers Envoy 1.40 joins.
const RESPONSE = [
  ...BOTH,
  ":status",
  "date",
  "grpc-message",
  "grpc-status",
  "location",
  "server",
  "x-envoy-degraded",
  "x-envoy-immediate-health-check-fail",
  "x-envoy-ratelimited",
  "x-envoy-upstream-canary",
  "x-envoy-upstream-healthchecked-cluster",
  "x-envoy-upstream-service-time",
  "access-control-allow-credentials",
  "access-control-allow-headers",
  "access-control-allow-methods",
  "access-control-allow-origin",
  "access-control-expose-headers",
  "access-control-max-age",
  "age",
  "etag",
  "expires",
  "last-modified",
  "vary",
];

// Response trailers Envoy 1.40 joins; it joins no request trailer.
const RESPONSE_TRAILERS = ["grpc-message", "grpc-status"];

// Names Envoy 1.40 keeps as one entry per value in every map (near the lists: other
// x-envoy- names, common request and response headers no extension registers).
const NEVER = [
  "x-envoy-foo",
  "x-envoy-original-dst-host",
  "x-forwarded-prefix",
  "cookie",
  "set-cookie",
  "accept-language",
  "content-disposition",
  "content-range",
  "range",
  "forwarded",
  "x-real-ip",
  "www-authenticate",
];

/** Every name the test writes, each map's inline names and the rest alike. */
const ALL = [...new Set([...REQUEST, ...RESPONSE, ...NEVER])];

const only = process.env.CONFORMANCE_ONLY;
const setup: Setup = { module: "headermaps", upstream: "trailers" };

/** What a map holds after each of `names` was written twice: "1,2" for an inline name, two
 *  entries otherwise. */
function expectedEntries(names: string[], inline: string[]): Record<string, string[]> {
  return Object.fromEntries(names.map((n) => [n, inline.includes(n) ? ["1,2"] : ["1", "2"]]));
}

/** The values of each name in the map the module logged for `kind` (the pairs write's status
 *  must be Ok). */
async function entriesLogged(t: Target, kind: string): Promise<Record<string, string[]>> {
  const re = new RegExp(`^inline ${kind} `);
  await t.waitForLog(re);
  const line = t.logs().find((l) => re.test(l.message))?.message ?? "";
  const [, , status, entries = ""] = line.split(" ");
  expect(status).toBe("0");
  const out: Record<string, string[]> = {};
  for (const entry of entries.split(";")) {
    const at = entry.indexOf("=");
    const name = entry.slice(0, at);
    out[name] = [...(out[name] ?? []), entry.slice(at + 1)];
  }
  return out;
}

for (const kind of ["emulator", "envoy"] as const) {
  describe.skipIf(only !== undefined && only !== kind)(`inline header names, on ${kind}`, () => {
    let servers: Servers | undefined;
    let target: Target;
    let close: () => unknown = () => {};

    beforeAll(async () => {
      servers = await startServers();
      const made =
        kind === "emulator"
          ? await emulatorTarget(setup, servers, new Coverage())
          : await envoyTarget(setup, servers);
      target = made.target;
      close = made.close;
    }, 120_000);

    afterAll(async () => {
      await close();
      await stopServers(servers);
    });

    it("a second value is joined into the entry of each inline name of each map, and of no other name", async () => {
      const probe = ALL.join(" ");
      const res = await target.request("/inline/probe", {
        method: "POST",
        body: "b",
        headers: {
          "x-probe-request": probe,
          "x-probe-request-trailers": probe,
          "x-probe-response": probe,
          "x-probe-response-trailers": probe,
        },
        trailers: { "x-t": "1" },
      });
      // Each map was put back as it was: the stream went on unchanged.
      expect(res.status).toBe(200);
      expect(res.body).toBe("ok");
      expect(res.trailers["x-upstream-trailer"]).toBe("u1");
      expect(await entriesLogged(target, "request-headers")).toEqual(expectedEntries(ALL, REQUEST));
      expect(await entriesLogged(target, "response-headers")).toEqual(
        expectedEntries(ALL, RESPONSE),
      );
      expect(await entriesLogged(target, "request-trailers")).toEqual(expectedEntries(ALL, []));
      expect(await entriesLogged(target, "response-trailers")).toEqual(
        expectedEntries(ALL, RESPONSE_TRAILERS),
      );
    });
  });
}

// The request above catches a name dropped from a list, or added to one from among the names
// it writes; this catches any other name added.
describe("the test host's inline names", () => {
  it("are the names Envoy joins, no more", () => {
    const sorted = (names: Iterable<string>) => [...names].sort();
    expect(sorted(INLINE_REQUEST_HEADERS)).toEqual(sorted(REQUEST));
    expect(sorted(INLINE_RESPONSE_HEADERS)).toEqual(sorted(RESPONSE));
    expect(sorted(INLINE_RESPONSE_TRAILERS)).toEqual(sorted(RESPONSE_TRAILERS));
  });
});

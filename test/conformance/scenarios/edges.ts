// Envoy at the edges, part one: what the connection manager does before the filter runs
// (normalisation, limits, protocol refusals), its local replies, the router's re-match and
// checks, trailers from an HTTP/1.1 upstream. Each runs the edge probe (test/modules/edges),
// which reports what it saw as hex pairs in x-seen-request / x-seen-response and logs each
// callback as `step <callback> eos=<0|1> n=<count or size>`.

import { expect } from "vitest";
import { decodePairs, type Pairs } from "../../../src/testing/wire.ts";
import type { RawRequest } from "../h1client.ts";
import type { Scenario, Target } from "../harness.ts";

const EDGES = { module: "edges" } as const;
const HOST: [string, string] = ["host", "127.0.0.1"];

/** The pairs the probe saw, from one of its x-seen-* response headers. */
export function seen(headers: Array<[string, string]>, name: string): Pairs {
  const hex = headers.find(([k]) => k === name)?.[1];
  if (hex === undefined) throw new Error(`the response has no ${name} header`);
  const pairs = decodePairs(Buffer.from(hex, "hex"));
  if (!pairs) throw new Error(`${name} is not a header-map serialization: ${hex}`);
  return pairs;
}

export function header(headers: Array<[string, string]>, name: string): string[] {
  return headers.filter(([k]) => k === name).map(([, v]) => v);
}

/** The echo upstream's JSON report of what reached it. */
export function echoed(body: Uint8Array): { method: string; headers: Record<string, string> } {
  return JSON.parse(Buffer.from(body).toString("utf8"));
}

/** The probe's `step` log lines, without the prefix. */
export function steps(t: Target): string[] {
  return t
    .logs()
    .map((l) => l.message)
    .filter((m) => m.startsWith("step "))
    .map((m) => m.slice(5));
}

/** The step lines once one matching `last` has been logged (Envoy's log lags the response). */
export async function stepsUntil(t: Target, last: RegExp): Promise<string[]> {
  await t.waitForLog(last);
  return steps(t);
}

/** The step lines once at least `count` are logged (Envoy's log lags the response). */
async function stepCount(t: Target, count: number): Promise<string[]> {
  for (let i = 0; i < 50 && steps(t).length < count; i++) await t.wait(20);
  return steps(t);
}

/** Sends a plain request after a refused one and returns the steps once it is logged: only
 *  that request's callbacks may be there. */
export async function stepsAfterOneMore(t: Target): Promise<string[]> {
  expect((await t.raw(get("/edge/after"))).status).toBe(200);
  return stepsUntil(t, /step response_body eos=1/);
}

export function get(path: string, headers: Array<[string, string | Uint8Array]> = []): RawRequest {
  return { method: "GET", path, headers: [HOST, ...headers] };
}

export const edgeScenarios: Scenario[] = [
  {
    name: "edges: header values reach the filter and the upstream trimmed of spaces and tabs",
    quirk: "Envoy's HTTP/1 codec trims leading and trailing whitespace from every value",
    setup: EDGES,
    async run(t) {
      const res = await t.raw(get("/edge/norm", [["x-sp", "  padded \t"]]));
      expect(res.status).toBe(200);
      expect(seen(res.headers, "x-seen-request")).toContainEqual(["x-sp", "padded"]);
      expect(echoed(res.body).headers["x-sp"]).toBe("padded");
    },
  },
  {
    name: "edges: a repeated inline header is folded with commas, other repeats stay separate",
    quirk: "user-agent (an inline header in Envoy) folds to 'a,b'; x-a and cookie keep two entries",
    setup: EDGES,
    async run(t) {
      const res = await t.raw(
        get("/edge/norm", [
          ["user-agent", "a"],
          ["user-agent", "b"],
          ["x-a", "1"],
          ["x-a", "2"],
          ["cookie", "c=1"],
          ["cookie", "d=2"],
        ]),
      );
      const pairs = seen(res.headers, "x-seen-request");
      expect(header(pairs, "user-agent")).toEqual(["a,b"]);
      expect(header(pairs, "x-a")).toEqual(["1", "2"]);
      expect(header(pairs, "cookie")).toEqual(["c=1", "d=2"]);
    },
  },
  {
    name: "edges: hop-by-hop headers and expect: 100-continue never reach the filter",
    setup: EDGES,
    async run(t) {
      const res = await t.raw({
        method: "POST",
        path: "/edge/norm",
        headers: [
          HOST,
          ["connection", "keep-alive"],
          ["keep-alive", "timeout=5"],
          ["proxy-connection", "keep-alive"],
          ["expect", "100-continue"],
          ["content-length", "3"],
        ],
        body: Buffer.from("abc"),
      });
      expect(res.status).toBe(200);
      const names = seen(res.headers, "x-seen-request").map(([k]) => k);
      for (const gone of ["connection", "keep-alive", "proxy-connection", "expect"]) {
        expect(names).not.toContain(gone);
      }
      expect(names).toContain("content-length");
    },
  },
  {
    name: "edges: a chunked request reaches the filter with no framing header and goes upstream chunked",
    setup: EDGES,
    async run(t) {
      const res = await t.raw({
        method: "POST",
        path: "/edge/chunked",
        headers: [HOST, ["transfer-encoding", "chunked"]],
        body: Buffer.from("hello"),
        chunked: true,
      });
      expect(res.status).toBe(200);
      const names = seen(res.headers, "x-seen-request").map(([k]) => k);
      expect(names).not.toContain("transfer-encoding");
      expect(names).not.toContain("content-length");
      const upstream = echoed(res.body);
      expect(upstream.headers["transfer-encoding"]).toBe("chunked");
      expect(upstream.headers["content-length"]).toBeUndefined();
    },
  },
  {
    name: "edges: request headers over 60 KiB get 431 and the filter never runs",
    setup: EDGES,
    async run(t) {
      const res = await t.raw(get("/edge/big", [["x-big", "x".repeat(70 * 1024)]]));
      expect(res.status).toBe(431);
      expect(Buffer.from(res.body).toString()).toBe("Request Header Fields Too Large");
      const after = await stepsAfterOneMore(t);
      expect(after.filter((s) => s.startsWith("request_headers"))).toEqual([
        "request_headers eos=1 n=6",
      ]);
    },
  },
  {
    name: "edges: an HTTP/1.0 request gets 426 and the filter never runs",
    setup: EDGES,
    async run(t) {
      const res = await t.raw({ ...get("/edge/old"), version: "HTTP/1.0" });
      expect(res.status).toBe(426);
      expect(Buffer.from(res.body).toString()).toBe("Upgrade Required");
      const after = await stepsAfterOneMore(t);
      expect(after.filter((s) => s.startsWith("request_headers"))).toEqual([
        "request_headers eos=1 n=6",
      ]);
    },
  },
  {
    name: "edges: a body buffered past 1 MiB gets 413 through the filter's response callbacks",
    setup: EDGES,
    async run(t) {
      const size = 2 * 1024 * 1024;
      const res = await t.raw({
        method: "POST",
        path: "/edge/buffer/until-end",
        headers: [HOST, ["content-length", String(size)]],
        body: Buffer.alloc(size, 98),
      });
      expect(res.status).toBe(413);
      expect(Buffer.from(res.body).toString()).toBe("Payload Too Large");
      expect(await stepsUntil(t, /step response_headers/)).toContain("response_headers eos=0 n=3");
    },
  },
  {
    name: "edges: limits a test sets: 4 KiB of headers, HTTP/1.0 accepted, a 64 KiB buffer",
    setup: {
      ...EDGES,
      limits: { maxRequestHeadersKb: 4, acceptHttp10: true, bufferLimitBytes: 64 * 1024 },
    },
    async run(t) {
      expect((await t.raw(get("/edge/big", [["x-big", "x".repeat(5 * 1024)]]))).status).toBe(431);
      expect((await t.raw({ ...get("/edge/old"), version: "HTTP/1.0" })).status).toBe(200);
      const size = 100 * 1024;
      const res = await t.raw({
        method: "POST",
        path: "/edge/buffer/until-end",
        headers: [HOST, ["content-length", String(size)]],
        body: Buffer.alloc(size, 98),
      });
      expect(res.status).toBe(413);
    },
  },
  {
    name: "edges: a local reply with its own content-type carries only that one",
    quirk: "Envoy sets content-type text/plain only when the filter gave none",
    setup: EDGES,
    async run(t) {
      const res = await t.raw(get("/edge/local/json"));
      expect(res.status).toBe(200);
      expect(header(res.headers, "content-type")).toEqual(["application/json"]);
      expect(Buffer.from(res.body).toString()).toBe('{"ok":true}');
      expect(seen(res.headers, "x-seen-response")).toEqual([
        [":status", "200"],
        ["content-type", "application/json"],
        ["content-length", "11"],
      ]);
    },
  },
  {
    name: "edges: a local 302 with an empty body has no content-type and content-length 0",
    setup: EDGES,
    async run(t) {
      const res = await t.raw(get("/edge/local/redirect"));
      expect(res.status).toBe(302);
      expect(header(res.headers, "content-type")).toEqual([]);
      expect(header(res.headers, "content-length")).toEqual(["0"]);
      expect(header(res.headers, "location")).toEqual(["/elsewhere"]);
      expect(seen(res.headers, "x-seen-response")).toEqual([
        [":status", "302"],
        ["location", "/elsewhere"],
      ]);
    },
  },
  {
    name: "edges: a local reply body is sent as the raw bytes the filter gave",
    setup: EDGES,
    async run(t) {
      const res = await t.raw(get("/edge/local/binary"));
      expect([...res.body]).toEqual([0x00, 0xff, 0xe9, 0x80, 0x0d, 0x0a]);
      expect(header(res.headers, "content-type")).toEqual(["text/plain"]);
    },
  },
  {
    name: "edges: a local reply to HEAD ends at onResponseHeaders, with its length and no body",
    setup: EDGES,
    async run(t) {
      const res = await t.raw({ ...get("/edge/local/plain"), method: "HEAD" });
      expect(res.status).toBe(403);
      expect(header(res.headers, "content-length")).toEqual(["6"]);
      expect(res.body.length).toBe(0);
      expect(await stepsUntil(t, /step response_headers/)).toEqual([
        "request_headers eos=1 n=6",
        "response_headers eos=1 n=3",
      ]);
    },
  },
  {
    name: "edges: a local reply whose response headers the filter holds goes on when it continues them; the request body never reaches the filter",
    quirk:
      "Envoy resumes a held local reply like any response, and runs no request callback after the reply",
    setup: EDGES,
    async run(t) {
      const res = await t.raw({
        ...get("/edge/local/held", [["content-length", "5"]]),
        method: "POST",
        body: Buffer.from("hello"),
      });
      expect(res.status).toBe(403);
      expect(Buffer.from(res.body).toString()).toBe("denied");
      expect(await stepsUntil(t, /step response_body eos=1/)).toEqual([
        "request_headers eos=0 n=7",
        "response_headers eos=0 n=3",
        "callout_answer response",
        "response_body eos=1 n=6",
      ]);
    },
  },
  {
    name: "edges: request trailers sent after a local reply the filter holds never reach the filter",
    quirk: "Envoy runs no request callback after a local reply, even while the reply waits",
    setup: EDGES,
    async run(t) {
      const res = await t.request("/edge/local/held", {
        method: "POST",
        body: "hello",
        trailers: { "x-t": "1" },
      });
      expect(res.status).toBe(403);
      expect(res.body).toBe("denied");
      expect(await stepsUntil(t, /step response_body eos=1/)).toEqual([
        "request_headers eos=0 n=6",
        "response_headers eos=0 n=3",
        "callout_answer response",
        "response_body eos=1 n=6",
      ]);
    },
  },
  {
    name: "edges: a second local reply from the first one's response headers replaces it, past the filter",
    quirk:
      "the first reply's headers are in the filter, not yet sent: Envoy sends the second directly, and the first's body callback never runs",
    setup: EDGES,
    async run(t) {
      for (const path of ["/edge/local/twice", "/edge/local/twice-held"]) {
        const res = await t.raw(get(path));
        expect(res.status).toBe(500);
        expect(Buffer.from(res.body).toString()).toBe("again");
        expect(header(res.headers, "x-seen-response")).toEqual([]);
      }
      // Both requests' steps are logged in order: a body callback of the first would sit
      // between them.
      expect(await stepCount(t, 4)).toEqual([
        "request_headers eos=1 n=6",
        "response_headers eos=0 n=3",
        "request_headers eos=1 n=6",
        "response_headers eos=0 n=3",
      ]);
    },
  },
  {
    name: "edges: a trap in a local reply's response headers callback answers 503 in the reply's place",
    quirk: "Envoy's failStream replaces a reply still in the filter, as a second reply does",
    setup: EDGES,
    async run(t) {
      const res = await t.raw(get("/edge/local/trap"));
      expect(res.status).toBe(503);
      expect(res.body.length).toBe(0);
      expect(header(res.headers, "content-length")).toEqual(["0"]);
    },
  },
  {
    name: "edges: a header map replaced without x-forwarded-proto re-matches to no route (404)",
    quirk:
      "ABI 0.2.1 header edits clear the route cache; Envoy finds no route without x-forwarded-proto",
    setup: EDGES,
    async run(t) {
      const res = await t.raw(get("/edge/route/replace-map"));
      expect(res.status).toBe(404);
      expect(res.body.length).toBe(0);
      expect(header(res.headers, "content-length")).toEqual(["0"]);
      expect(await stepsUntil(t, /step response_headers/)).toEqual([
        "request_headers eos=1 n=6",
        "response_headers eos=1 n=1",
      ]);
    },
  },
  {
    name: "edges: a request turned into a PUT reaches the upstream with content-length 0",
    setup: EDGES,
    async run(t) {
      const res = await t.raw(get("/edge/route/method-put"));
      const upstream = echoed(res.body);
      expect(upstream.method).toBe("PUT");
      expect(upstream.headers["content-length"]).toBe("0");
    },
  },
  {
    name: "edges: a POST without a body reaches the upstream with content-length 0, a DELETE without",
    setup: EDGES,
    async run(t) {
      const post = echoed((await t.raw({ ...get("/edge/post"), method: "POST" })).body);
      expect(post.headers["content-length"]).toBe("0");
      const del = echoed((await t.raw({ ...get("/edge/delete"), method: "DELETE" })).body);
      expect(del.headers["content-length"]).toBeUndefined();
    },
  },
  {
    name: "edges: trailers from an HTTP/1.1 upstream are dropped (onResponseTrailers never runs)",
    setup: { ...EDGES, upstream: "h1-trailers" },
    async run(t) {
      const res = await t.request("/edge/h1");
      expect(res.status).toBe(200);
      expect(res.body).toBe("ok");
      expect(res.trailers).toEqual({});
      const seenSteps = await stepsUntil(t, /step response_body eos=1/);
      expect(seenSteps.some((s) => s.startsWith("response_trailers"))).toBe(false);
    },
  },
];

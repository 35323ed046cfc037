// Envoy at the edges, part two: what fuzzing found (an invalid :status, a buffered body ended
// by trailers, FAIL_RELOAD's backoff), stats (default tags, gauges below zero) and header
// values as bytes: a raw 0xE9 each way, CR LF. Helpers and the probe are described in edges.ts.
// An HTTP server in Node (the echo upstream) reads header bytes as latin-1, so a raw 0xE9
// shows there as "\u00e9".

import { expect } from "vitest";
import { utf8 } from "../../../src/testing/wire.ts";
import type { Scenario } from "../harness.ts";
import { echoed, get, header, seen, stepsUntil } from "./edges.ts";

const EDGES = { module: "edges" } as const;

export const moreEdgeScenarios: Scenario[] = [
  {
    name: "edges: a filter that overwrites :status with garbage makes Envoy answer 502",
    quirk: "the codec cannot send it; Envoy's own 502 goes to the client past the filter",
    setup: EDGES,
    async run(t) {
      const res = await t.raw(get("/edge/status/overwrite"));
      expect(res.status).toBe(502);
      expect(Buffer.from(res.body).toString()).toBe("missing required header: :status");
      // A second request's body callback marks the end of the first one's log lines.
      expect((await t.raw(get("/edge/after"))).status).toBe(200);
      const seenSteps = await stepsUntil(t, /step response_body eos=1/);
      expect(seenSteps.slice(0, 3).map((s) => s.split(" ")[0])).toEqual([
        "request_headers",
        "response_headers",
        "request_headers",
      ]);
    },
  },
  {
    name: "edges: a buffered request body ended by trailers reaches the upstream (HTTP/2)",
    setup: EDGES,
    async run(t) {
      const res = await t.request("/edge/buffer/until-end", {
        method: "POST",
        body: "hello",
        trailers: { "x-t": "1" },
      });
      expect(res.status).toBe(200);
      expect(res.upstream?.body).toBe("hello");
      expect(await stepsUntil(t, /step request_trailers/)).toContain("request_trailers n=1");
    },
  },
  {
    name: "edges: FAIL_RELOAD answers 503 while it backs off, counted from the VM's last load, then reloads",
    quirk:
      "Envoy compares the time since the VM was last loaded with the backoff (1 s to 1.5 s): a VM " +
      "that ran longer is replaced by the very next stream after its trap",
    setup: { ...EDGES, failurePolicy: "FAIL_RELOAD" },
    async run(t) {
      // The VM has run for longer than the backoff: the trap's stream fails, the next one
      // gets a new VM at once.
      await t.wait(1600);
      expect((await t.raw(get("/edge/trap"))).status).toBe(503);
      expect((await t.raw(get("/edge/at-once"))).status).toBe(200);
      // That VM was loaded just now: after its trap Envoy backs off again.
      expect((await t.raw(get("/edge/trap"))).status).toBe(503);
      expect((await t.raw(get("/edge/during"))).status).toBe(503);
      await t.wait(1600);
      expect((await t.raw(get("/edge/after"))).status).toBe(200);
    },
  },
  {
    name: "edges: Envoy's default tags label edge_rq_200 with envoy_response_code",
    setup: EDGES,
    async run(t) {
      await t.raw(get("/edge/stats"));
      expect(await t.prometheus()).toMatch(/^edge_rq\{envoy_response_code="200"\} 1$/m);
    },
  },
  {
    name: "edges: a gauge taken below zero wraps to 2^64 - n",
    quirk: "Envoy's gauges are unsigned 64-bit: subtracting past zero wraps",
    setup: EDGES,
    async run(t) {
      await t.raw(get("/edge/stats"));
      expect(await t.prometheus()).toMatch(/^edge_level\{\} 18446744073709551613$/m);
    },
  },
  {
    name: "edges: a request header value with CR LF written by a filter gets 503",
    setup: EDGES,
    async run(t) {
      const res = await t.raw(get("/edge/bytes/request-crlf"));
      expect(res.status).toBe(503);
      expect(Buffer.from(res.body).toString()).toBe("invalid header value for: x-crlf");
      expect(await stepsUntil(t, /step response_headers/)).toContain("response_headers eos=0 n=3");
    },
  },
  {
    name: "edges: a response header value with CR LF is written raw (the client sees two headers)",
    quirk: "Envoy checks request header values at the router, response values nowhere",
    setup: EDGES,
    async run(t) {
      const res = await t.raw(get("/edge/bytes/response-crlf"));
      expect(res.status).toBe(200);
      expect(header(res.headers, "x-crlf")).toEqual(["a"]);
      expect(header(res.headers, "x-injected")).toEqual(["1"]);
      expect(echoed(res.body).method).toBe("GET");
    },
  },
  {
    name: "bytes: a raw latin-1 byte a client sends reaches the filter and the upstream as that byte",
    setup: EDGES,
    async run(t) {
      const res = await t.raw(get("/edge/norm", [["x-raw", Uint8Array.of(0x61, 0xe9, 0x62)]]));
      expect(res.status).toBe(200);
      const value = header(seen(res.headers, "x-seen-request"), "x-raw")[0] ?? "";
      expect([...utf8(value)]).toEqual([0x61, 0xe9, 0x62]);
      expect(echoed(res.body).headers["x-raw"]).toBe("a\u00e9b");
    },
  },
  {
    name: "bytes: a request header value a filter writes with byte 0xE9 reaches the upstream raw",
    setup: EDGES,
    async run(t) {
      const res = await t.raw(get("/edge/bytes/request-e9"));
      expect(res.status).toBe(200);
      expect(echoed(res.body).headers["x-raw"]).toBe("a\u00e9b");
    },
  },
  {
    name: "bytes: a response header value a filter writes with byte 0xE9 reaches the client raw",
    setup: EDGES,
    async run(t) {
      const res = await t.raw(get("/edge/bytes/response-e9"));
      expect(res.status).toBe(200);
      // The raw client reports values as binary strings: one character per byte.
      expect(header(res.headers, "x-raw")).toEqual(["a\u00e9b"]);
    },
  },
];

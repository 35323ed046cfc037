// Bodies ended by trailers (HTTP/2) while the filter holds them, in each way a filter can hold
// one: its body callback buffering (Pause until the end), its trailers paused after the body
// was buffered (resumed by a callout's answer), and its headers paused (StopAll: Envoy holds
// body and trailers until the filter continues, then runs the body and trailers callbacks; with
// allow_on_headers_stop_iteration a StopIteration, which lets both reach the filter at once).
// The trailers callback reads the whole buffered body and replaces it (the probe wraps it:
// "[body]" on the request, "<body>" on the response); the replacement is what goes on.

import { expect } from "vitest";
import type { Scenario, Target } from "../harness.ts";

/** The probe's `trailers-body <direction> <body>` lines (what each trailers callback read),
 *  once `count` of them are logged (Envoy's log lags the response). */
async function trailerReads(t: Target, direction: string, count: number): Promise<string[]> {
  const prefix = `trailers-body ${direction} `;
  const lines = () =>
    t
      .logs()
      .map((l) => l.message)
      .filter((m) => m.startsWith(prefix));
  for (let i = 0; i < 50 && lines().length < count; i++) await t.wait(20);
  return lines().map((m) => m.slice(prefix.length));
}

const HELD_HEADERS_QUIRK =
  "after a StopAll pause on headers, a body the body callback buffers and trailers end: " +
  "Envoy 1.40 runs the trailers callback twice (the second sees the replaced body) and the " +
  "body never goes on";

export const trailerScenarios: Scenario[] = [
  {
    name: "trailers: a request body ended by trailers, replaced in onRequestTrailers, reaches the upstream replaced (buffered, or trailers paused); after a header pause it is lost",
    quirk: HELD_HEADERS_QUIRK,
    setup: { module: "edges" },
    async run(t) {
      const expected = { buffered: "[hello]", "held-trailers": "[hello]", "held-headers": "" };
      for (const [mode, body] of Object.entries(expected)) {
        const res = await t.request(`/edge/trailers/${mode}`, {
          method: "POST",
          body: "hello",
          trailers: { "x-t": "1" },
        });
        expect(res.status, mode).toBe(200);
        expect(res.upstream?.body, mode).toBe(body);
      }
      expect(await trailerReads(t, "request", 4)).toEqual(["hello", "hello", "hello", "[hello]"]);
    },
  },
  {
    name: "trailers: a response body ended by trailers, replaced in onResponseTrailers, reaches the client replaced (buffered, or trailers paused); after a header pause it is lost",
    quirk: HELD_HEADERS_QUIRK,
    setup: { module: "edges", upstream: "trailers" },
    async run(t) {
      const expected = { buffered: "<ok>", "held-trailers": "<ok>", "held-headers": "" };
      for (const [mode, body] of Object.entries(expected)) {
        const res = await t.request(`/edge/trailers/${mode}`, { method: "GET" });
        expect(res.status, mode).toBe(200);
        expect(res.body, mode).toBe(body);
      }
      expect(await trailerReads(t, "response", 4)).toEqual(["ok", "ok", "ok", "<ok>"]);
    },
  },
  {
    name: "trailers: with allow_on_headers_stop_iteration a header pause is a StopIteration: the request body and trailers reach the filter, and the trailers' Continue sends the headers and the replaced body on",
    setup: { module: "edges", allowOnHeadersStopIteration: true },
    async run(t) {
      const res = await t.request("/edge/trailers/held-headers", {
        method: "POST",
        body: "hello",
        trailers: { "x-t": "1" },
      });
      expect(res.status).toBe(200);
      expect(res.upstream?.body).toBe("[hello]");
      expect(await trailerReads(t, "request", 1)).toEqual(["hello"]);
    },
  },
  {
    name: "trailers: with allow_on_headers_stop_iteration a response header pause is a StopIteration: the body and trailers reach the filter before the resume, and the trailers' Continue sends the replaced body on",
    setup: { module: "edges", upstream: "trailers", allowOnHeadersStopIteration: true },
    async run(t) {
      const res = await t.request("/edge/trailers/held-headers", { method: "GET" });
      expect(res.status).toBe(200);
      expect(res.body).toBe("<ok>");
      expect(await trailerReads(t, "response", 1)).toEqual(["ok"]);
    },
  },
];

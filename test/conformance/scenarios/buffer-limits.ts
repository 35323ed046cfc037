// Envoy's buffer limit for a body the filter buffers (the listener's
// per_connection_buffer_limit_bytes, 1 MiB by default), as Envoy 1.40 applies it: Envoy adds each
// chunk to the buffered body before the filter's callback, and the buffer passing the limit
// settles the outcome. On the request path the callback still runs, seeing the whole body, and
// Envoy's 413 follows through the filter's response callbacks whatever the filter returned or
// replied. On the response path no callback runs: Envoy answers 500 past the filter while the
// response headers are held, and resets the stream once they went to the client. The request
// bodies come in two pieces, the second crossing 1 MiB: one body callback each on the emulator,
// and on Envoy as its reads hand them over (the probe buffers the first chunk whatever its size,
// so the outcome is the same should one read carry the whole body). With the limit raised, the
// SDK's own default buffering limit (1 MiB, DEFAULT_BODY_LIMIT) decides: its 413, not Envoy's.

import { expect } from "vitest";
import type { Scenario } from "../harness.ts";
import { header, stepsAfterOneMore } from "./edges.ts";

const EDGES = { module: "edges" } as const;
const HOST: [string, string] = ["host", "127.0.0.1"];
const MIB = 1024 * 1024;

/** A POST of `size` bytes; past 1 MiB in two pieces, the second of which crosses it. */
function post(path: string, size: number) {
  const first = Math.min(size, MIB - 1000);
  const body = [Buffer.alloc(first, 98)];
  if (size > first) body.push(Buffer.alloc(size - first, 98));
  return {
    method: "POST",
    path,
    headers: [HOST, ["content-length", String(size)]] as Array<[string, string]>,
    body,
  };
}

export const bufferLimitScenarios: Scenario[] = [
  {
    name: "buffer limit: a reply the filter sends from the body callback that crossed it loses to Envoy's 413",
    quirk: "the 413 is settled before the callback, which still runs and sees the whole body",
    setup: EDGES,
    async run(t) {
      const res = await t.raw(post("/edge/buffer/reply-past", MIB + 1));
      expect(res.status).toBe(413);
      expect(Buffer.from(res.body).toString()).toBe("Payload Too Large");
      const seen = await stepsAfterOneMore(t);
      // (Should Envoy read the whole body at once, the callback that buffers it sees it all.)
      const crossed = seen.findIndex((s) => /^request_body eos=[01] n=1048577$/.test(s));
      expect(crossed).toBeGreaterThan(0);
      // Envoy's 413 goes through the filter's response callbacks, after that body callback.
      expect(seen.slice(crossed + 1, crossed + 3)).toEqual([
        "response_headers eos=0 n=3",
        "response_body eos=1 n=17",
      ]);
    },
  },
  {
    name: "buffer limit: a filter that continues the body once it passed the limit still gets 413",
    quirk: "the chunk joined the buffered body before the callback, whatever the callback returns",
    setup: EDGES,
    async run(t) {
      const res = await t.raw(post("/edge/buffer/continue-past", MIB + 1));
      expect(res.status).toBe(413);
      expect(Buffer.from(res.body).toString()).toBe("Payload Too Large");
      const seen = await stepsAfterOneMore(t);
      expect(seen.filter((s) => /^request_body eos=[01] n=1048577$/.test(s))).toHaveLength(1);
    },
  },
  {
    name: "buffer limit: a response body buffered past it resets the stream once its headers went out",
    setup: EDGES,
    async run(t) {
      // The echo's answer holds the 700 000 bytes twice (as text and base64): over 1 MiB.
      const res = await t.raw(post("/edge/buffer/response", 700_000));
      expect(res.reset).toBe(true);
      expect(res.status).toBe(0);
      const seen = await stepsAfterOneMore(t);
      // This response's headers callback and the next request's; no body callback ends it.
      expect(seen.filter((s) => s.startsWith("response_headers"))).toHaveLength(2);
      expect(seen.filter((s) => /^response_body eos=1 n=[0-9]{7}/.test(s))).toEqual([]);
    },
  },
  {
    name: "buffer limit: a response body buffered past it while the filter holds its headers gets Envoy's 500",
    quirk: "Envoy's 500 goes to the client directly, without the filter's response callbacks",
    setup: { ...EDGES, allowOnHeadersStopIteration: true },
    async run(t) {
      const res = await t.raw(post("/edge/buffer/response-held", 700_000));
      expect(res.status).toBe(500);
      expect(Buffer.from(res.body).toString()).toBe("Internal Server Error");
      expect(header(res.headers, "x-seen-response")).toEqual([]);
      const seen = await stepsAfterOneMore(t);
      // This response's headers callback and the next request's: not one for the 500.
      expect(seen.filter((s) => s.startsWith("response_headers"))).toHaveLength(2);
    },
  },
  {
    name: "buffer limit: raised to 4 MiB, the SDK's default buffering limit (1 MiB) answers its own 413 one byte past it",
    setup: { limits: { bufferLimitBytes: 4 * MIB } },
    async run(t) {
      const at = await t.raw(post("/body/buffer", MIB));
      expect(at.status).toBe(200);
      const past = await t.raw(post("/body/buffer", MIB + 1));
      expect(past.status).toBe(413);
      expect(Buffer.from(past.body).toString()).toBe("payload too large\n");
      await t.waitForLog(
        /request body outgrew the buffering limit \(1048577 > 1048576 bytes\): answered 413/,
      );
    },
  },
];

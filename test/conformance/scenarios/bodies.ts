// Bodies: reading, rewriting, buffering, and which buffers exist where.

import { expect } from "vitest";
import type { Scenario } from "../harness.ts";

export const bodyScenarios: Scenario[] = [
  {
    name: "buffers the whole request body and reads it",
    async run(t) {
      const res = await t.request("/body/buffer", { body: "hello body" });
      expect(res.upstream?.body).toBe("hello body");
    },
  },
  {
    name: "replaces the request body",
    async run(t) {
      const res = await t.request("/body/replace", { body: "original" });
      expect(res.upstream?.body).toBe("replaced body");
    },
  },
  {
    name: "a buffered body goes upstream without its old Content-Length",
    quirk:
      "Envoy never hands a body to a filter that holds its headers (Pause on headers is " +
      "StopAllIterationAndWatermark), so the SDK sends headers on without Content-Length and " +
      "Envoy frames the new body as chunked",
    async run(t) {
      const res = await t.request("/body/replace", { body: "a much longer original body" });
      expect(res.upstream?.headers["content-length"]).toBeUndefined();
      expect(res.upstream?.headers["transfer-encoding"]).toBe("chunked");
    },
  },
  {
    name: "a body buffered with BodyLength.Kept goes upstream with its Content-Length",
    async run(t) {
      const res = await t.request("/body/kept", { body: "keepmeaslong" });
      expect(res.headers["x-note-kept-status"]).toBe("0");
      expect(res.upstream?.body).toBe("KEEPMEASLONG");
      expect(res.upstream?.headers["content-length"]).toBe("12");
      expect(res.upstream?.headers["transfer-encoding"]).toBeUndefined();
    },
  },
  {
    name: "with BodyLength.Kept, a write that would change the body's length is refused and named",
    async run(t) {
      const res = await t.request("/body/kept-refused", { body: "original" });
      // Status.BadArgument (2) for every write that changes the length; 0 for the one that does not.
      expect(res.headers["x-note-replace-status"]).toBe("2");
      expect(res.headers["x-note-append-status"]).toBe("2");
      expect(res.headers["x-note-prepend-status"]).toBe("2");
      expect(res.headers["x-note-splice-status"]).toBe("2");
      expect(res.headers["x-note-same-status"]).toBe("0");
      expect(res.upstream?.body).toBe("zriginal");
      expect(res.upstream?.headers["content-length"]).toBe("8");
      await t.waitForLog(
        /refused a request body write: the body keeps its length \(8 bytes, sent on as Content-Length; BodyLength\.Kept\), the write would make it 18 bytes/,
      );
    },
  },
  {
    name: "appends to the request body",
    async run(t) {
      const res = await t.request("/body/append", { body: "start" });
      expect(res.upstream?.body).toBe("start+tail");
    },
  },
  {
    name: "prepends to the request body",
    async run(t) {
      const res = await t.request("/body/prepend", { body: "rest" });
      expect(res.upstream?.body).toBe("head+rest");
    },
  },
  {
    name: "reads a slice of the body with start and max size",
    async run(t) {
      const res = await t.request("/body/slice", { body: "abcdefgh" });
      expect(res.headers["x-note-slice"]).toBe("cde");
      expect(res.headers["x-note-size-matches"]).toBe("yes");
    },
  },
  {
    name: "Pause on a body chunk buffers until the end of stream",
    async run(t) {
      const res = await t.request("/body/pause-each", { body: "0123456789" });
      expect(res.headers["x-note-final-size"]).toBe("10");
      expect(res.upstream?.body).toBe("0123456789");
    },
  },
  {
    name: "the end of an HTTP/1 body arrives as an empty chunk with end_of_stream",
    quirk:
      "Envoy's HTTP/1 codec passes the body as it reads it, then signals the message end with " +
      "a separate empty data frame: onRequestBody runs twice for a one-piece body",
    async run(t) {
      const res = await t.request("/body/eos", { body: "x" });
      expect(res.headers["x-note-body-eos"]).toBe("no, yes");
      const sizes = await t.request("/body/sizes", { body: "12345" });
      expect(sizes.headers["x-note-chunk"]).toBe("5, 0/eos");
    },
  },
  {
    name: "a request without body never calls onRequestBody",
    async run(t) {
      const res = await t.request("/body/req-body-calls");
      expect(res.headers["x-note-req-body-calls"]).toBe("0");
    },
  },
  {
    name: "which buffers exist in onRequestHeaders",
    quirk:
      "the request body is an empty buffer (Ok, size 0) outside onRequestBody; the plugin " +
      "configuration and callout body do not exist (NotFound)",
    async run(t) {
      const res = await t.request("/body/status-in-headers");
      expect(res.headers["x-note-req-body"]).toBe("0/0");
      expect(res.headers["x-note-plugin-config"]).toBe("1/0");
      expect(res.headers["x-note-call-body"]).toBe("1/0");
    },
  },
  {
    name: "rewrites the response body",
    async run(t) {
      const res = await t.request("/body/rewrite-response");
      expect(res.body).toBe("rewritten response");
    },
  },
  {
    name: "appends to the response body",
    async run(t) {
      const res = await t.request("/body/append-response");
      expect(res.body.endsWith("<!-- conformance -->")).toBe(true);
      expect(JSON.parse(res.body.replace("<!-- conformance -->", "")).path).toBe(
        "/body/append-response",
      );
    },
  },
];

bodyScenarios.push({
  name: "trailers both ways: read and extended by the filter",
  setup: { upstream: "trailers" },
  async run(t) {
    const res = await t.request("/trailers", {
      body: "with trailers",
      trailers: { "x-client-trailer": "t1" },
    });
    expect(res.status).toBe(200);
    expect(res.body).toBe("ok");
    expect(res.headers["x-note-req-trailer"]).toBe("t1");
    expect(res.headers["x-note-req-trailers-count"]).toBe("1");
    expect(res.trailers["x-saw-trailer"]).toBe("from-filter");
    expect(res.trailers["x-conf-trailer"]).toBe("saw-u1");
  },
});

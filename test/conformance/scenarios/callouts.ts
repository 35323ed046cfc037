// HTTP callouts: dispatch, delivery to the requesting stream, failures.

import { expect } from "vitest";
import type { Scenario } from "../harness.ts";

export const calloutScenarios: Scenario[] = [
  {
    name: "an HTTP callout's response reaches the stream that made it",
    async run(t) {
      const res = await t.request("/callout/ok");
      expect(res.headers["x-note-dispatch"]).toBe("0");
      expect(res.headers["x-note-token-matches"]).toBe("yes");
      expect(res.headers["x-note-callout-status"]).toBe("200");
      expect(res.headers["x-note-echo-path"]).toBe("yes");
      expect(res.headers["x-note-echo-header"]).toBe("yes");
      expect(res.headers["x-note-body-size-matches"]).toBe("yes");
      expect(res.headers["x-note-echo-no-body"]).toBe("yes");
      expect(res.upstream?.headers["x-from-callout"]).toBe("200");
    },
  },
  {
    name: "an HTTP callout carries its body",
    async run(t) {
      const res = await t.request("/callout/post");
      expect(res.headers["x-note-echo-body"]).toBe("yes");
      expect(res.headers["x-note-echo-no-body"]).toBe("no");
    },
  },
  {
    name: "a callout to an unknown cluster is BadArgument",
    async run(t) {
      const res = await t.request("/callout/unknown-cluster");
      expect(res.headers["x-note-dispatch"]).toBe("2");
      expect(res.status).toBe(200);
    },
  },
  {
    name: "a callout without :authority is BadArgument",
    async run(t) {
      const res = await t.request("/callout/no-authority");
      expect(res.headers["x-note-dispatch"]).toBe("2");
    },
  },
  {
    name: "a callout that times out gets Envoy's 504",
    quirk: "Envoy's async client answers a timeout with a 504 response, not a failure callback",
    async run(t) {
      const res = await t.request("/callout/timeout");
      expect(res.headers["x-note-callout-status"]).toBe("504");
      expect(res.headers["x-note-callout-body"]).toBe("upstream request timeout");
      expect(res.headers["x-note-get-status"]).toBe("0");
    },
  },
  {
    name: "a callout to a refused port gets Envoy's 503",
    quirk: "connection failures come back as a 503 response with Envoy's reset reason as the body",
    async run(t) {
      const res = await t.request("/callout/refused");
      expect(res.headers["x-note-callout-status"]).toBe("503");
      expect(res.headers["x-note-callout-body"]).toMatch(
        /^upstream connect error or disconnect\/reset before headers/,
      );
    },
  },
  {
    name: "a local reply sent from the callout response reaches the client",
    async run(t) {
      const res = await t.request("/callout/deny");
      expect(res.status).toBe(401);
      expect(res.body).toBe("denied after callout\n");
      expect(res.headers["x-denied-by"]).toBe("callout");
      expect(res.upstream).toBeNull();
    },
  },
  {
    name: "a callout's response headers and trailers are read-only: writes and size are BadArgument",
    quirk:
      "Envoy's writable map lookup knows only the stream's four maps, and proxy_get_header_map_size uses it",
    async run(t) {
      const res = await t.request("/callout/edit-response");
      // set_header_map_pairs / add_header_map_value / get_header_map_size, each BadArgument (2).
      expect(res.headers["x-note-headers-writes"]).toBe("2/2/2");
      expect(res.headers["x-note-trailers-writes"]).toBe("2/2/2");
      expect(res.headers["x-note-status-after"]).toBe("200");
      expect(res.headers["x-note-kept"]).toBe("yes");
      expect(res.status).toBe(200);
    },
  },
  {
    name: "request headers read before continue_stream are gone after it",
    quirk: "proxy_continue_stream(HTTP_REQUEST) drops Envoy's request-header pointer at once",
    async run(t) {
      const res = await t.request("/callout/continue-then-read", {
        headers: { "x-callout-read": "1" },
      });
      expect(res.headers["x-note-read-before"]).toBe("/callout/continue-then-read");
      expect(res.headers["x-note-read-before-again"]).toBe("yes");
      // The SDK asks the host again after continue rather than answering what it read before.
      expect(res.headers["x-note-read-after"]).toBe("<null>");
      expect(res.upstream?.headers["x-callout-read"]).toBe("1");
    },
  },
  {
    name: "request headers are read-only gone after continue_stream",
    quirk: "proxy_continue_stream(HTTP_REQUEST) drops Envoy's request-header pointer at once",
    async run(t) {
      const res = await t.request("/callout/continue-then-edit");
      expect(res.headers["x-note-late-edit"]).toBe("2");
      expect(res.upstream?.headers["x-too-late"]).toBeUndefined();
    },
  },
];

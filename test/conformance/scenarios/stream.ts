// Stream control: local replies, pausing and resuming, closing.

import { expect } from "vitest";
import type { Scenario } from "../harness.ts";

export const streamScenarios: Scenario[] = [
  {
    name: "a local reply from onRequestHeaders ends the stream before the upstream",
    async run(t) {
      const res = await t.request("/local/request-headers");
      expect(res.status).toBe(403);
      expect(res.body).toBe("denied by conformance\n");
      expect(res.headers["x-local"]).toBe("yes");
      expect(res.headers["content-type"]).toBe("text/plain");
      expect(res.upstream).toBeNull();
    },
  },
  {
    name: "a local reply from the request path runs the filter's own onResponseHeaders",
    quirk:
      "Envoy sends a decoder filter's local reply through the whole encoder chain, this filter included",
    async run(t) {
      const res = await t.request("/local/request-headers");
      expect(res.headers["x-note-resp-seen"]).toBe("yes");
    },
  },
  {
    name: "a local reply with an empty body has no content-type",
    async run(t) {
      const res = await t.request("/local/empty-body");
      expect(res.status).toBe(204);
      expect(res.body).toBe("");
      expect(res.headers["content-type"]).toBeUndefined();
    },
  },
  {
    name: "a local reply with a gRPC status to a plain HTTP client stays HTTP",
    async run(t) {
      const res = await t.request("/local/with-grpc");
      expect(res.status).toBe(200);
      expect(res.body).toBe("grpc-ish");
      expect(res.headers["x-grpc-local"]).toBe("yes");
    },
  },
  {
    name: "a local reply to a gRPC client is trailers-only: grpc-status and grpc-message in headers",
    async run(t) {
      const grpc = { headers: { "content-type": "application/grpc" } };
      const given = await t.request("/local/with-grpc", grpc);
      expect(given.status).toBe(200);
      expect(given.body).toBe("");
      expect(given.headers["content-type"]).toBe("application/grpc");
      expect(given.headers["grpc-status"]).toBe("7");
      expect(given.headers["grpc-message"]).toBe("grpc-ish");
      expect(given.headers["x-grpc-local"]).toBe("yes");
      expect(given.headers["x-note-resp-seen"]).toBe("yes");
      // No gRPC status given: the HTTP status mapped (403 is PERMISSION_DENIED), the message
      // percent-encoded.
      const mapped = await t.request("/local/request-headers", grpc);
      expect(mapped.status).toBe(200);
      expect(mapped.headers["grpc-status"]).toBe("7");
      expect(mapped.headers["grpc-message"]).toBe("denied by conformance%0A");
      expect(mapped.upstream).toBeNull();
      // An empty body: no grpc-message; a status with no gRPC counterpart is UNKNOWN.
      const empty = await t.request("/local/empty-body", {
        headers: { "content-type": "application/grpc+proto" },
      });
      expect(empty.status).toBe(200);
      expect(empty.headers["grpc-status"]).toBe("2");
      expect(empty.headers["grpc-message"]).toBeUndefined();
      expect(empty.headers["content-length"]).toBe("0");
    },
  },
  {
    name: "a local reply from onRequestBody sees the whole body",
    async run(t) {
      const res = await t.request("/local/request-body", { body: "twelve bytes" });
      expect(res.status).toBe(413);
      expect(res.body).toBe("body rejected: 12 bytes\n");
    },
  },
  {
    name: "a local reply from onResponseHeaders replaces the response and skips the filter",
    quirk:
      "once the response started, Envoy sends the local reply directly, without the encoder filters",
    async run(t) {
      const res = await t.request("/local/response-headers");
      expect(res.status).toBe(502);
      expect(res.body).toBe("replaced response\n");
      expect(res.headers["x-local-resp"]).toBe("yes");
      expect(res.headers["x-note-resp-seen"]).toBeUndefined();
    },
  },
  {
    name: "close_stream on the request resets the stream",
    async run(t) {
      const res = await t.request("/stream/close");
      expect(res.reset).toBe(true);
    },
  },
  {
    name: "continue_stream on a stream that is not paused is Ok and harmless",
    async run(t) {
      const res = await t.request("/stream/continue-unpaused");
      expect(res.status).toBe(200);
      expect(res.headers["x-note-continue-status"]).toBe("0");
    },
  },
  {
    name: "continue_stream for the upstream direction is Unimplemented, a bad type BadArgument",
    async run(t) {
      const res = await t.request("/stream/upstream-unimplemented");
      expect(res.headers["x-note-upstream-continue"]).toBe("12");
      expect(res.headers["x-note-bad-stream-type"]).toBe("2");
    },
  },
  {
    name: "response headers paused for a callout reach the client only after the resume",
    async run(t) {
      const res = await t.request("/response/pause-callout");
      expect(res.status).toBe(200);
      expect(res.headers["x-note-dispatch"]).toBe("0");
      // Added by the callout's handler just before continue_stream: present only if no
      // response headers left before the resume.
      expect(res.headers["x-resumed-by"]).toBe("callout");
      expect(res.upstream?.path).toBe("/response/pause-callout");
      if (res.steps) {
        expect(res.steps.find((s) => s.callback === "proxy_on_response_headers")?.action).toBe(
          "Pause",
        );
      }
    },
  },
  {
    name: "a request paused in onRequestHeaders resumes from onTick",
    setup: { configuration: "tick" },
    async run(t) {
      const res = await t.request("/stream/pause-until-tick");
      expect(res.status).toBe(200);
      expect(res.upstream?.path).toBe("/stream/pause-until-tick");
    },
  },
  {
    name: "continueResponse before the response came is refused with BadArgument, and the held request goes on",
    quirk:
      "Envoy 1.40 crashes on proxy_continue_stream(HTTP_RESPONSE) before the response reached the " +
      "filter; the SDK refuses it without the host call, the test host traps on the raw call",
    setup: { configuration: "tick" },
    async run(t) {
      const res = await t.request("/stream/continue-response-early");
      expect(res.status).toBe(200);
      expect(res.headers["x-note-continue-response"]).toBe("2");
      expect(res.upstream?.path).toBe("/stream/continue-response-early");
      expect((await t.request("/headers/add")).status).toBe(200);
    },
  },
  {
    name: "a trap in onRequestHeaders fails the request with 503 (fail closed)",
    async run(t) {
      const res = await t.request("/trap/request-headers");
      expect(res.status).toBe(503);
      expect(res.upstream).toBeNull();
      const after = await t.request("/headers/add");
      expect(after.status).toBe(503);
    },
  },
  {
    name: "after a trap, fail_open lets later requests bypass the failed VM",
    quirk: "the stream that trapped still gets Envoy's 503; only later streams skip the filter",
    setup: { failurePolicy: "FAIL_OPEN" },
    async run(t) {
      const res = await t.request("/trap/request-headers");
      expect(res.status).toBe(503);
      const after = await t.request("/headers/add");
      expect(after.status).toBe(200);
      expect(after.upstream?.headers["x-added"]).toBeUndefined();
    },
  },
  {
    name: "a trap in onResponseHeaders fails the response with 503",
    async run(t) {
      const res = await t.request("/trap/response-headers");
      expect(res.status).toBe(503);
    },
  },
];

// An HTTP stream's state machine (src/testing/http.ts) with hand-written filters: a stream
// whose context creation traps, the header actions (StopIteration with and without
// allow_on_headers_stop_iteration, StopAll, ContinueAndEndStream), trailers held or seen,
// what a continue sends on (a held or buffered body, paused trailers), when the stream ends
// and which maps stay readable after it, the buffer limit on either path, a local reply once the response
// headers went, one whose response headers the filter holds, and one replaced by a second
// reply or a trap in its response headers callback, a stream ending while another one fails
// the VM, and a response continue before the response reached the filter (Envoy 1.40 crashes
// on it: the host traps).

import { describe, expect, it } from "vitest";
import { createHost, type TestStream, WasmTrapError } from "../../src/testing/index.ts";
import {
  closeLatest,
  continueLatest,
  filter,
  i32,
  localReply,
  REQUEST,
  REQUEST_HEADERS,
  REQUEST_TRAILERS,
  RESPONSE,
  RESPONSE_HEADERS,
  readStatus,
  recordRead,
  trapOnBodyOf,
  UNREACHABLE,
} from "./fixtures/hand-filter.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** What has gone upstream each time something passed the filter: "headers body trailers end",
 *  "-" for what has not. */
function upstreamProgress(s: TestStream): string[] {
  const seen: string[] = [];
  s.raw.onProgress = () => {
    const { headers, body, trailers, complete } = s.upstream;
    const parts = [headers ? "headers" : "-", text(body) || "-", trailers ? "trailers" : "-"];
    seen.push([...parts, complete ? "end" : "-"].join(" "));
  };
  return seen;
}

const POST = { ":method": "POST", ":path": "/", host: "h" };

describe("an HTTP stream", () => {
  it("whose context creation traps runs no callback and answers 503 wasm_fail_stream", async () => {
    const host = await createHost({ module: filter({}, { trapOnCreate: true }) });
    const s = host.stream();
    expect(s.requestHeaders(POST)).toBe("Continue");
    expect(s.trap).not.toBeNull();
    expect(s.steps).toEqual([]);
    expect(s.downstream.headers?.get(":status")).toBe("503");
    expect(s.raw.responseDetails).toBe("wasm_fail_stream");
    expect(s.upstream.headers).toBeNull();
  });

  it("holds trailers that arrive while the filter holds the headers with StopAll", async () => {
    const host = await createHost({ module: filter({ proxy_on_request_headers: i32(1) }) });
    const s = host.stream();
    expect(s.requestHeaders(POST, { endOfStream: false })).toBe("Pause");
    expect(s.requestTrailers({ "x-t": "1" })).toBe("Pause");
    expect(s.upstream.trailers).toBeNull();
    expect(s.steps.map((x) => x.callback)).toEqual(["proxy_on_request_headers"]);
  });

  it("records the trailers callback and passes the trailers on when it continues", async () => {
    const host = await createHost({
      module: filter({ proxy_on_request_headers: i32(0), proxy_on_request_trailers: i32(0) }),
    });
    const s = host.stream();
    s.requestHeaders(POST, { endOfStream: false });
    expect(s.requestTrailers({ "x-t": "1" })).toBe("Continue");
    expect(s.steps).toEqual([
      { callback: "proxy_on_request_headers", action: "Continue" },
      { callback: "proxy_on_request_trailers", action: "Continue" },
    ]);
    expect(s.upstream.trailers?.get("x-t")).toBe("1");
  });

  it("passes a body to the filter after StopIteration when the plugin allows it, and holds it otherwise", async () => {
    const paused = { proxy_on_request_headers: i32(1), proxy_on_request_body: i32(0) };
    const allowed = await createHost({
      module: filter(paused),
      allowOnHeadersStopIteration: true,
    });
    const a = allowed.stream();
    a.requestHeaders(POST, { endOfStream: false });
    a.requestBody("abc", { endOfStream: false });
    expect(a.steps.map((x) => x.callback)).toEqual([
      "proxy_on_request_headers",
      "proxy_on_request_body",
    ]);
    const held = await createHost({ module: filter(paused) });
    const h = held.stream();
    h.requestHeaders(POST, { endOfStream: false });
    h.requestBody("abc", { endOfStream: false });
    expect(h.steps.map((x) => x.callback)).toEqual(["proxy_on_request_headers"]);
    // StopAllIterationAndWatermark stays a StopAll when the plugin allows StopIteration.
    const all = await createHost({
      module: filter({ ...paused, proxy_on_request_headers: i32(4) }),
      allowOnHeadersStopIteration: true,
    });
    const w = all.stream();
    w.requestHeaders(POST, { endOfStream: false });
    w.requestBody("abc", { endOfStream: false });
    expect(w.steps.map((x) => x.callback)).toEqual(["proxy_on_request_headers"]);
  });

  it("sends the headers on when onRequestHeaders answers ContinueAndEndStream", async () => {
    const host = await createHost({ module: filter({ proxy_on_request_headers: i32(2) }) });
    const s = host.stream();
    expect(s.requestHeaders(POST, { endOfStream: false })).toBe("ContinueAndEndStream");
    expect(s.upstream.headers?.get(":path")).toBe("/");
  });

  it("sends the headers on before a body the filter continues after StopIteration", async () => {
    const host = await createHost({
      module: filter({ proxy_on_request_headers: i32(1), proxy_on_request_body: i32(0) }),
      allowOnHeadersStopIteration: true,
    });
    const s = host.stream();
    expect(s.requestHeaders(POST, { endOfStream: false })).toBe("Pause");
    expect(s.upstream.headers).toBeNull();
    expect(s.requestBody("abc")).toBe("Continue");
    expect(s.upstream.headers?.get(":path")).toBe("/");
    expect(text(s.upstream.body)).toBe("abc");
    expect(s.upstream.complete).toBe(true);
  });

  it("after StopIteration, sends the headers on with the body the filter buffered when it continues", async () => {
    const host = await createHost({
      module: filter({
        proxy_on_request_headers: i32(1),
        proxy_on_request_body: i32(1),
        proxy_on_tick: continueLatest(REQUEST),
      }),
      allowOnHeadersStopIteration: true,
    });
    const whole = host.stream();
    whole.requestHeaders(POST, { endOfStream: false });
    const seen = upstreamProgress(whole);
    expect(whole.requestBody("abc")).toBe("Pause");
    host.advance(10);
    expect(whole.upstream.headers?.get(":path")).toBe("/");
    expect(seen).toEqual(["headers - - -", "headers abc - end"]);
    // A body not ended yet goes on as far as it came; the rest follows.
    const s = host.stream();
    s.requestHeaders(POST, { endOfStream: false });
    expect(s.requestBody("ab", { endOfStream: false })).toBe("Pause");
    host.advance(10);
    expect(s.upstream.headers?.get(":path")).toBe("/");
    expect(text(s.upstream.body)).toBe("ab");
    expect(s.upstream.complete).toBe(false);
    expect(s.requestBody("c")).toBe("Pause");
    host.advance(10);
    expect(text(s.upstream.body)).toBe("abc");
    expect(s.upstream.complete).toBe(true);
  });

  it("after StopIteration, a continue sends the headers, the buffered body and the paused trailers, ending only with them", async () => {
    const host = await createHost({
      module: filter({
        proxy_on_request_headers: i32(1),
        proxy_on_request_body: i32(1),
        proxy_on_request_trailers: i32(1),
        proxy_on_tick: continueLatest(REQUEST),
      }),
      allowOnHeadersStopIteration: true,
    });
    const s = host.stream();
    s.requestHeaders(POST, { endOfStream: false });
    s.requestBody("abc", { endOfStream: false });
    expect(s.requestTrailers({ "x-t": "1" })).toBe("Pause");
    const seen = upstreamProgress(s);
    host.advance(10);
    expect(seen).toEqual(["headers - - -", "headers abc - -", "headers abc trailers end"]);
  });

  it("after StopAll, a continue sends the headers without ending the stream while the filter buffers the body or pauses the trailers", async () => {
    const host = await createHost({
      module: filter({
        proxy_on_request_headers: i32(1),
        proxy_on_request_body: i32(1),
        proxy_on_request_trailers: i32(1),
        proxy_on_tick: continueLatest(REQUEST),
      }),
    });
    const body = host.stream();
    body.requestHeaders(POST, { endOfStream: false });
    body.requestBody("abc");
    host.advance(10);
    expect(body.upstream.headers?.get(":path")).toBe("/");
    expect(body.upstream.complete).toBe(false);
    host.advance(10);
    expect(text(body.upstream.body)).toBe("abc");
    expect(body.upstream.complete).toBe(true);
    const trailers = host.stream();
    trailers.requestHeaders(POST, { endOfStream: false });
    trailers.requestTrailers({ "x-t": "1" });
    host.advance(10);
    expect(trailers.upstream.headers?.get(":path")).toBe("/");
    expect(trailers.upstream.complete).toBe(false);
    host.advance(10);
    expect(trailers.upstream.trailers?.get("x-t")).toBe("1");
    expect(trailers.upstream.complete).toBe(true);
  });

  it("after StopIteration, sends nothing on when the router refuses the headers a continue sends", async () => {
    const host = await createHost({
      module: filter({
        proxy_on_request_headers: i32(1),
        proxy_on_request_body: i32(1),
        proxy_on_tick: continueLatest(REQUEST),
      }),
      allowOnHeadersStopIteration: true,
    });
    const s = host.stream();
    s.requestHeaders({ ...POST, "x-bad": "a\rb" }, { endOfStream: false });
    s.requestBody("abc");
    host.advance(10);
    expect(s.downstream.headers?.get(":status")).toBe("503");
    expect(s.upstream.headers).toBeNull();
    expect(text(s.upstream.body)).toBe("");
  });

  it("after StopIteration, runs the trailers callback, whose Continue sends the headers, any buffered body and the trailers", async () => {
    for (const body of ["abc", ""]) {
      const host = await createHost({
        module: filter({
          proxy_on_request_headers: i32(1),
          proxy_on_request_body: i32(1),
          proxy_on_request_trailers: i32(0),
        }),
        allowOnHeadersStopIteration: true,
      });
      const s = host.stream();
      s.requestHeaders(POST, { endOfStream: false });
      if (body) s.requestBody(body, { endOfStream: false });
      expect(s.requestTrailers({ "x-t": "1" }), body).toBe("Continue");
      expect(s.steps.at(-1)?.callback, body).toBe("proxy_on_request_trailers");
      expect(s.upstream.headers?.get(":path"), body).toBe("/");
      expect(text(s.upstream.body), body).toBe(body);
      expect(s.upstream.trailers?.get("x-t"), body).toBe("1");
      expect(s.upstream.complete, body).toBe(true);
    }
  });

  it("runs the trailers callback once when a body held by a header pause is continued by the body callback", async () => {
    const host = await createHost({
      module: filter({
        proxy_on_request_headers: i32(1),
        proxy_on_request_body: i32(0),
        proxy_on_request_trailers: i32(0),
        proxy_on_tick: continueLatest(REQUEST),
      }),
    });
    const s = host.stream();
    s.requestHeaders(POST, { endOfStream: false });
    expect(s.requestBody("abc", { endOfStream: false })).toBe("Pause");
    expect(s.requestTrailers({ "x-t": "1" })).toBe("Pause");
    host.advance(10);
    expect(s.steps).toEqual([
      { callback: "proxy_on_request_headers", action: "Pause" },
      { callback: "proxy_on_request_body", action: "Continue" },
      { callback: "proxy_on_request_trailers", action: "Continue" },
    ]);
    expect(text(s.upstream.body)).toBe("abc");
    expect(s.upstream.trailers?.get("x-t")).toBe("1");
    expect(s.upstream.complete).toBe(true);
  });

  it("runs the trailers callback twice and drops the body when the body callback buffers a body held by a header pause (Envoy 1.40)", async () => {
    const host = await createHost({
      module: filter({
        proxy_on_request_headers: i32(1),
        proxy_on_request_body: i32(1),
        proxy_on_request_trailers: i32(0),
        proxy_on_tick: continueLatest(REQUEST),
      }),
    });
    const s = host.stream();
    s.requestHeaders(POST, { endOfStream: false });
    s.requestBody("abc", { endOfStream: false });
    s.requestTrailers({ "x-t": "1" });
    host.advance(10);
    expect(s.steps).toEqual([
      { callback: "proxy_on_request_headers", action: "Pause" },
      { callback: "proxy_on_request_body", action: "Pause" },
      { callback: "proxy_on_request_trailers", action: "Continue" },
      { callback: "proxy_on_request_trailers", action: "Continue" },
    ]);
    expect(text(s.upstream.body)).toBe("");
    expect(s.upstream.trailers?.get("x-t")).toBe("1");
  });

  it("sends a body the filter buffered on when it continues", async () => {
    const host = await createHost({
      module: filter({ proxy_on_request_body: i32(1), proxy_on_tick: continueLatest(REQUEST) }),
    });
    const s = host.stream();
    s.requestHeaders(POST, { endOfStream: false });
    expect(s.requestBody("abc")).toBe("Pause");
    expect(text(s.upstream.body)).toBe("");
    host.advance(10);
    expect(text(s.upstream.body)).toBe("abc");
    expect(s.upstream.complete).toBe(true);
  });

  it("answers 413 once the body the filter buffers passes the buffer limit, not at it", async () => {
    const host = await createHost({
      module: filter({ proxy_on_request_body: i32(1) }),
      limits: { bufferLimitBytes: 4 },
    });
    const s = host.stream();
    s.requestHeaders(POST, { endOfStream: false });
    s.requestBody("ab", { endOfStream: false });
    s.requestBody("cd", { endOfStream: false });
    expect(s.localReply).toBeNull();
    s.requestBody("e", { endOfStream: false });
    expect(s.downstream.headers?.get(":status")).toBe("413");
    expect(s.raw.responseDetails).toBe("request_payload_too_large");
  });

  it("answers 413 after the body callback whose chunk took the buffer past the limit, over the filter's own reply from it", async () => {
    const host = await createHost({
      // Pauses every chunk; replies 403 when the body it sees is 5 bytes.
      module: filter({
        proxy_on_request_body: [
          ...[0x20, 0x01, ...i32(5), 0x46, 0x04, 0x40, ...localReply(403), 0x0b],
          ...i32(1),
        ],
      }),
      limits: { bufferLimitBytes: 4 },
    });
    const s = host.stream();
    s.requestHeaders(POST, { endOfStream: false });
    s.requestBody("ab", { endOfStream: false });
    s.requestBody("cde", { endOfStream: false });
    expect(s.steps.map((x) => x.callback)).toEqual([
      "proxy_on_request_headers",
      "proxy_on_request_body",
      "proxy_on_request_body",
      "proxy_on_response_headers",
      "proxy_on_response_body",
    ]);
    expect(s.downstream.headers?.get(":status")).toBe("413");
    expect(text(s.downstream.body)).toBe("Payload Too Large");
    expect(s.raw.responseDetails).toBe("request_payload_too_large");
  });

  it("answers 413 when the filter continues the body it buffered once the buffer passed the limit", async () => {
    const host = await createHost({
      // Pauses while the body it sees is at most 4 bytes, continues after.
      module: filter({ proxy_on_request_body: [0x20, 0x01, ...i32(4), 0x4d] }),
      limits: { bufferLimitBytes: 4 },
    });
    const s = host.stream();
    s.requestHeaders(POST, { endOfStream: false });
    expect(s.requestBody("ab", { endOfStream: false })).toBe("Pause");
    expect(s.requestBody("cde", { endOfStream: false })).toBe("Continue");
    expect(s.downstream.headers?.get(":status")).toBe("413");
    expect(s.upstream.body).toHaveLength(0);
  });

  it("answers 500 past the filter when the response body it buffers passes the limit while it holds the headers", async () => {
    const host = await createHost({
      module: filter({ proxy_on_response_headers: i32(1), proxy_on_response_body: i32(1) }),
      allowOnHeadersStopIteration: true,
      limits: { bufferLimitBytes: 4 },
    });
    const s = host.stream();
    s.requestHeaders(POST);
    s.responseHeaders({ ":status": "200" }, { endOfStream: false });
    s.responseBody("ab", { endOfStream: false });
    s.responseBody("cde", { endOfStream: false });
    // No callback for the chunk that crossed the limit, none for the 500.
    expect(s.steps.map((x) => x.callback)).toEqual([
      "proxy_on_request_headers",
      "proxy_on_response_headers",
      "proxy_on_response_body",
    ]);
    expect(s.downstream.headers?.get(":status")).toBe("500");
    expect(text(s.downstream.body)).toBe("Internal Server Error");
    expect(s.raw.responseDetails).toBe("response_payload_too_large");
    expect(s.raw.reset).toBe(false);
  });

  it("resets the stream when the response body the filter buffers passes the limit after the headers went", async () => {
    const host = await createHost({
      module: filter({ proxy_on_response_body: i32(1) }),
      limits: { bufferLimitBytes: 4 },
    });
    const s = host.stream();
    s.requestHeaders(POST);
    s.responseHeaders({ ":status": "200" }, { endOfStream: false });
    s.responseBody("ab", { endOfStream: false });
    expect(s.raw.reset).toBe(false);
    s.responseBody("cde", { endOfStream: false });
    expect(s.raw.reset).toBe(true);
    expect(s.steps.filter((x) => x.callback === "proxy_on_response_body")).toHaveLength(1);
    expect(s.downstream.headers?.get(":status")).toBe("200");
    expect(s.downstream.body).toHaveLength(0);
  });

  it("refuses a first response chunk past the limit after the body callback that buffers it", async () => {
    const host = await createHost({
      module: filter({ proxy_on_response_body: i32(1) }),
      limits: { bufferLimitBytes: 4 },
    });
    const s = host.stream();
    s.requestHeaders(POST);
    s.responseHeaders({ ":status": "200" }, { endOfStream: false });
    s.responseBody("abcd", { endOfStream: false });
    expect(s.raw.reset).toBe(false);
    const fresh = host.stream();
    fresh.requestHeaders(POST);
    fresh.responseHeaders({ ":status": "200" }, { endOfStream: false });
    fresh.responseBody("abcde", { endOfStream: false });
    expect(fresh.steps.filter((x) => x.callback === "proxy_on_response_body")).toHaveLength(1);
    expect(fresh.raw.reset).toBe(true);
  });

  it("ends a buffered body continued by the trailers callback only with the trailers", async () => {
    const host = await createHost({
      module: filter({ proxy_on_request_body: i32(1), proxy_on_request_trailers: i32(0) }),
    });
    const s = host.stream();
    s.requestHeaders(POST, { endOfStream: false });
    const seen = upstreamProgress(s);
    expect(s.requestBody("abc", { endOfStream: false })).toBe("Pause");
    expect(s.requestTrailers({ "x-t": "1" })).toBe("Continue");
    expect(seen).toEqual(["headers abc - -", "headers abc trailers end"]);
  });

  it("sends paused trailers on when the filter continues, and they are no longer readable", async () => {
    const host = await createHost({
      module: filter({
        proxy_on_request_trailers: [...recordRead(REQUEST_TRAILERS, 0), ...i32(1)],
        proxy_on_response_headers: [...recordRead(REQUEST_TRAILERS, 1), ...i32(0)],
        proxy_on_tick: continueLatest(REQUEST),
      }),
    });
    const s = host.stream();
    s.requestHeaders(POST, { endOfStream: false });
    s.requestBody("abc", { endOfStream: false });
    expect(s.requestTrailers({ "x-t": "1" })).toBe("Pause");
    expect(s.upstream.trailers).toBeNull();
    host.advance(10);
    expect(s.upstream.trailers?.get("x-t")).toBe("1");
    expect(s.upstream.complete).toBe(true);
    s.responseHeaders({ ":status": "200" });
    expect(readStatus(host, 0)).toBe(0);
    expect(readStatus(host, 1)).toBe(2);
  });

  it("keeps the response headers readable in the body callback a resume runs", async () => {
    const host = await createHost({
      module: filter({
        proxy_on_response_headers: i32(1),
        proxy_on_response_body: [...recordRead(RESPONSE_HEADERS, 0), ...i32(0)],
        proxy_on_tick: continueLatest(RESPONSE),
      }),
    });
    const s = host.stream();
    s.requestHeaders(POST);
    expect(s.responseHeaders({ ":status": "200" }, { endOfStream: false })).toBe("Pause");
    expect(s.responseBody("ok")).toBe("Pause");
    host.advance(10);
    expect(s.steps.map((x) => x.callback)).toContain("proxy_on_response_body");
    expect(readStatus(host, 0)).toBe(0);
    expect(text(s.downstream.body)).toBe("ok");
  });

  it("drops the request headers on a resume: the body callback it runs cannot read them", async () => {
    const host = await createHost({
      module: filter({
        proxy_on_request_headers: [...recordRead(REQUEST_HEADERS, 0), ...i32(1)],
        proxy_on_request_body: [...recordRead(REQUEST_HEADERS, 1), ...i32(0)],
        proxy_on_tick: continueLatest(REQUEST),
      }),
    });
    const s = host.stream();
    s.requestHeaders(POST, { endOfStream: false });
    s.requestBody("abc");
    host.advance(10);
    expect(text(s.upstream.body)).toBe("abc");
    expect(readStatus(host, 0)).toBe(0);
    expect(readStatus(host, 1)).toBe(2);
  });

  it("resets the stream on a local reply sent after the response headers went", async () => {
    const host = await createHost({
      module: filter({ proxy_on_response_body: [...localReply(403), ...i32(0)] }),
    });
    const s = host.stream();
    s.requestHeaders(POST);
    s.responseHeaders({ ":status": "200" }, { endOfStream: false });
    s.responseBody("ok");
    expect(s.raw.reset).toBe(true);
    expect(s.downstream.headers?.get(":status")).toBe("200");
  });

  it("sends a local reply whose response headers the filter holds once it continues them, and runs no request callback after the reply", async () => {
    const host = await createHost({
      module: filter({
        proxy_on_request_headers: [...localReply(403, 3), ...i32(1)],
        proxy_on_request_body: i32(0),
        proxy_on_response_headers: i32(1),
        proxy_on_response_body: i32(0),
        // Continuing the request too sends nothing upstream (nor does Envoy 1.40: its
        // upstream_rq_total stays 0).
        proxy_on_tick: [...continueLatest(REQUEST), ...continueLatest(RESPONSE)],
      }),
    });
    const s = host.stream();
    expect(s.requestHeaders(POST, { endOfStream: false })).toBe("Pause");
    expect(s.steps.map((x) => x.action)).toEqual(["Pause", "Pause"]);
    expect(s.requestBody("abc")).toBe("Continue");
    expect(s.downstream.headers).toBeNull();
    host.advance(10);
    expect(s.downstream.headers?.get(":status")).toBe("403");
    expect(s.downstream.body).toEqual(new Uint8Array(3));
    expect(s.downstream.complete).toBe(true);
    expect(s.upstream.headers).toBeNull();
    // (A step is recorded when its callback's deferred actions are done: the reply's first.)
    expect(s.steps.map((x) => x.callback).sort()).toEqual([
      "proxy_on_request_headers",
      "proxy_on_response_body",
      "proxy_on_response_headers",
    ]);
  });

  it("does not send a held local reply on when the filter resets the stream before continuing it", async () => {
    const host = await createHost({
      module: filter({
        proxy_on_request_headers: [...localReply(403), ...i32(1)],
        proxy_on_response_headers: i32(1),
        proxy_on_tick: [...closeLatest(REQUEST), ...continueLatest(RESPONSE)],
      }),
    });
    const s = host.stream();
    s.requestHeaders(POST);
    host.advance(10);
    expect(s.raw.reset).toBe(true);
    expect(s.downstream.headers).toBeNull();
  });

  it("replaces a local reply with a second one sent from its response headers, past the filter, whether they continue or pause", async () => {
    for (const action of [0, 1]) {
      const host = await createHost({
        module: filter({
          proxy_on_request_headers: [...localReply(403, 3), ...i32(1)],
          proxy_on_response_headers: [...localReply(500), ...i32(action)],
          proxy_on_response_body: i32(0),
        }),
      });
      const s = host.stream();
      s.requestHeaders(POST);
      expect(s.downstream.headers?.get(":status")).toBe("500");
      expect(s.downstream.body).toEqual(new Uint8Array(0));
      expect(s.downstream.complete).toBe(true);
      expect(s.raw.localReply?.status).toBe(500);
      expect(s.steps.map((x) => x.callback).sort()).toEqual([
        "proxy_on_request_headers",
        "proxy_on_response_headers",
      ]);
    }
  });

  it("answers 503 in a local reply's place when its response headers callback traps", async () => {
    const host = await createHost({
      module: filter({
        proxy_on_request_headers: [...localReply(403, 3), ...i32(1)],
        proxy_on_response_headers: UNREACHABLE,
      }),
    });
    const s = host.stream();
    s.requestHeaders(POST);
    expect(s.trap).not.toBeNull();
    expect(s.downstream.headers?.get(":status")).toBe("503");
    expect(s.downstream.body).toEqual(new Uint8Array(0));
    expect(s.downstream.complete).toBe(true);
    expect(s.raw.responseDetails).toBe("wasm_fail_stream");
  });

  it("fails a stream in flight when another stream fails the VM, fail_open or not (Envoy 1.40)", async () => {
    for (const failurePolicy of ["FAIL_CLOSED", "FAIL_OPEN"] as const) {
      const host = await createHost({
        module: filter({
          proxy_on_request_body: [...trapOnBodyOf(1), ...i32(0)],
        }),
        failurePolicy,
      });
      const response = host.stream();
      response.requestHeaders({ ...POST, ":method": "GET" });
      const body = host.stream();
      body.requestHeaders(POST, { endOfStream: false });
      const trailers = host.stream();
      trailers.requestHeaders(POST, { endOfStream: false });
      const failing = host.stream();
      failing.requestHeaders(POST, { endOfStream: false });
      failing.requestBody("x");
      expect(failing.trap, failurePolicy).not.toBeNull();
      response.responseHeaders({ ":status": "200" });
      body.requestBody("abcd");
      trailers.requestTrailers({ "x-t": "1" });
      for (const s of [response, body, trailers]) {
        expect(s.downstream.headers?.get(":status"), failurePolicy).toBe("503");
        expect(s.raw.responseDetails, failurePolicy).toBe("wasm_fail_stream");
        expect(s.trap, failurePolicy).toBeNull();
      }
      expect(text(body.upstream.body), failurePolicy).toBe("");
      expect(trailers.upstream.trailers, failurePolicy).toBeNull();
    }
  });

  it("does not fail a stream whose onLog or onDone lets another stream fail the VM", async () => {
    // Each continues the stream created last, whose body callback then traps.
    const continueOther = continueLatest(REQUEST);
    for (const ending of [
      { proxy_on_log: continueOther, proxy_on_done: i32(1) },
      { proxy_on_done: [...continueOther, ...i32(1)] },
    ]) {
      const host = await createHost({
        module: filter({
          proxy_on_request_headers: i32(1),
          proxy_on_request_body: UNREACHABLE,
          ...ending,
          proxy_on_delete: [],
        }),
      });
      const a = host.stream();
      a.requestHeaders(POST);
      const b = host.stream();
      b.requestHeaders(POST, { endOfStream: false });
      b.requestBody("abc");
      a.complete();
      expect(b.trap).not.toBeNull();
      expect(b.downstream.headers?.get(":status")).toBe("503");
      expect(a.trap).toBeNull();
      expect(a.localReply).toBeNull();
      expect(a.raw.reset).toBe(false);
    }
  });

  describe("continuing the response before it reached the filter, which crashes Envoy 1.40", () => {
    const CRASH =
      /proxy_continue_stream\(HttpResponse\) before the response reached the filter: Envoy 1\.40 crashes/;

    it("traps in the stream's own callback, whether the request goes on or is held", async () => {
      for (const action of [0, 1]) {
        const host = await createHost({
          module: filter({
            proxy_on_request_headers: [...continueLatest(RESPONSE), ...i32(action)],
          }),
        });
        const s = host.stream();
        s.requestHeaders(POST);
        expect(s.trap?.message, `action ${action}`).toMatch(CRASH);
        expect(s.trap?.callback).toBe("proxy_on_request_headers");
        expect(s.downstream.headers?.get(":status")).toBe("503");
        expect(s.upstream.headers).toBeNull();
      }
    });

    it("traps in a tick that continues the response of a held request", async () => {
      const host = await createHost({
        module: filter({
          proxy_on_request_headers: i32(1),
          proxy_on_tick: continueLatest(RESPONSE),
        }),
      });
      const s = host.stream();
      s.requestHeaders(POST);
      expect(() => host.advance(10)).toThrow(WasmTrapError);
      expect(() => host.advance(10)).not.toThrow();
      expect(host.logs("critical").join("\n")).toMatch(CRASH);
      expect(host.logs("critical").join("\n")).toMatch(/proxy_on_tick failed/);
    });

    it("accepts it once the response headers reached the filter, and after the response ended", async () => {
      const host = await createHost({
        module: filter({
          proxy_on_response_headers: [...continueLatest(RESPONSE), ...i32(0)],
          proxy_on_log: continueLatest(RESPONSE),
        }),
      });
      const s = host.stream();
      s.requestHeaders(POST);
      s.responseHeaders({ ":status": "200" });
      s.complete();
      expect(s.trap).toBeNull();
      expect(s.downstream.headers?.get(":status")).toBe("200");
      expect(host.logs("critical")).toEqual([]);
    });
  });
});

describe("a stream driven past its end", () => {
  it("refuses a part after its direction ended, saying what to change, and goes on as before", async () => {
    const host = await createHost({ module: filter({}) });
    const s = host.stream();
    s.requestHeaders({ ":method": "GET", ":path": "/", ":authority": "a" });
    const refusal = (dir: string, part: string) =>
      `${dir} ${part} after the ${dir} ended: its end of stream came with an earlier part (send that part with endOfStream: false)`;
    expect(() => s.requestBody("late")).toThrow(refusal("request", "body"));
    expect(() => s.requestTrailers({ "x-t": "1" })).toThrow(refusal("request", "trailers"));
    expect(() => s.requestHeaders({ ":path": "/again" })).toThrow(refusal("request", "headers"));
    s.responseHeaders({ ":status": "200" }, { endOfStream: false });
    s.responseBody("ok");
    expect(() => s.responseBody("more")).toThrow(refusal("response", "body"));
    expect(() => s.responseTrailers({ "x-t": "1" })).toThrow(refusal("response", "trailers"));
    s.complete();
    expect(text(s.downstream.body)).toBe("ok");
    expect(s.upstream.headers?.get(":path")).toBe("/");
    host.close();
  });

  it("takes trailers as the end of a side whose body did not end it", async () => {
    const host = await createHost({ module: filter({}) });
    const s = host.stream();
    s.requestHeaders(
      { ":method": "POST", ":path": "/", ":authority": "a" },
      { endOfStream: false },
    );
    s.requestBody("abc", { endOfStream: false });
    s.requestTrailers({ "x-t": "1" });
    expect(() => s.requestBody("late")).toThrow("request body after the request ended");
    s.responseHeaders({ ":status": "200" });
    s.complete();
    expect(text(s.upstream.body)).toBe("abc");
    host.close();
  });
});

describe("an HTTP stream's callbacks that trap", () => {
  const GET = { ":method": "GET", ":path": "/", host: "h" };
  for (const [callback, drive] of [
    ["proxy_on_request_headers", (s: TestStream) => s.requestHeaders(POST, { endOfStream: false })],
    ["proxy_on_request_body", (s: TestStream) => s.requestBody("abc", { endOfStream: false })],
    ["proxy_on_request_trailers", (s: TestStream) => s.requestTrailers({ "x-t": "1" })],
  ] as const) {
    it(`records ${callback} as Continue, answers 503 and runs nothing more`, async () => {
      const host = await createHost({ module: filter({ [callback]: UNREACHABLE }) });
      const s = host.stream();
      if (callback !== "proxy_on_request_headers") s.requestHeaders(POST, { endOfStream: false });
      if (callback === "proxy_on_request_trailers") s.requestBody("abc", { endOfStream: false });
      expect(drive(s)).toBe("Continue");
      expect(s.trap?.message).toContain(callback);
      expect(s.steps.at(-1)).toEqual({ callback, action: "Continue" });
      expect(s.steps.filter((x) => x.callback === callback)).toHaveLength(1);
      expect(s.downstream.headers?.get(":status")).toBe("503");
      expect(s.upstream.trailers).toBeNull();
    });
  }

  for (const [callback, drive] of [
    [
      "proxy_on_response_headers",
      (s: TestStream) => s.responseHeaders({ ":status": "200" }, { endOfStream: false }),
    ],
    ["proxy_on_response_body", (s: TestStream) => s.responseBody("abc", { endOfStream: false })],
    ["proxy_on_response_trailers", (s: TestStream) => s.responseTrailers({ "x-t": "1" })],
  ] as const) {
    it(`records ${callback} as Continue and ends the response`, async () => {
      const host = await createHost({ module: filter({ [callback]: UNREACHABLE }) });
      const s = host.stream();
      s.requestHeaders(GET);
      if (callback !== "proxy_on_response_headers")
        s.responseHeaders({ ":status": "200" }, { endOfStream: false });
      if (callback === "proxy_on_response_trailers") s.responseBody("abc", { endOfStream: false });
      expect(drive(s)).toBe("Continue");
      expect(s.trap?.message).toContain(callback);
      expect(s.steps.at(-1)).toEqual({ callback, action: "Continue" });
      // Before the response's headers went out: a 503; after them: a reset.
      if (callback === "proxy_on_response_headers") {
        expect(s.downstream.headers?.get(":status")).toBe("503");
      } else {
        expect(s.downstream.headers?.get(":status")).toBe("200");
        expect(s.downstream.trailers).toBeNull();
      }
    });
  }
});

describe("an HTTP stream a local reply ended", () => {
  it("takes the rest of the request and the upstream's response without a callback", async () => {
    const host = await createHost({
      module: filter({
        proxy_on_request_headers: [...localReply(403), ...i32(1)],
        proxy_on_request_body: i32(0),
        proxy_on_request_trailers: i32(0),
        proxy_on_response_headers: i32(0),
        proxy_on_response_body: i32(0),
        proxy_on_response_trailers: i32(0),
      }),
    });
    const s = host.stream();
    expect(s.requestHeaders(POST, { endOfStream: false })).toBe("Pause");
    const replied = s.steps.map((x) => x.callback);
    expect(replied).toEqual(["proxy_on_request_headers", "proxy_on_response_headers"]);
    expect(s.downstream.headers?.get(":status")).toBe("403");
    expect(s.requestBody("abc", { endOfStream: false })).toBe("Continue");
    expect(s.requestTrailers({ "x-t": "1" })).toBe("Continue");
    expect(s.responseHeaders({ ":status": "200" }, { endOfStream: false })).toBe("Continue");
    expect(s.responseBody("upstream", { endOfStream: false })).toBe("Continue");
    expect(s.responseTrailers({ "x-u": "1" })).toBe("Continue");
    expect(s.steps.map((x) => x.callback)).toEqual(replied);
    expect(s.upstream.headers).toBeNull();
    expect(text(s.upstream.body)).toBe("");
    expect(s.downstream.headers?.get(":status")).toBe("403");
    expect(text(s.downstream.body)).toBe("");
    expect(s.downstream.trailers).toBeNull();
    expect(s.raw.responseDetails).not.toBe("via_upstream");
  });
});

describe("an HTTP stream on a failed VM under FAIL_OPEN", () => {
  it("passes every part both ways untouched, with no callback", async () => {
    const host = await createHost({
      module: filter({
        proxy_on_request_headers: i32(0),
        proxy_on_request_body: [...trapOnBodyOf(1), ...i32(0)],
        proxy_on_request_trailers: i32(1),
        proxy_on_response_headers: i32(1),
        proxy_on_response_body: i32(1),
        proxy_on_response_trailers: i32(1),
      }),
      failurePolicy: "FAIL_OPEN",
    });
    const failing = host.stream();
    failing.requestHeaders(POST, { endOfStream: false });
    failing.requestBody("x");
    expect(failing.trap).not.toBeNull();

    const s = host.stream();
    expect(s.requestHeaders(POST, { endOfStream: false })).toBe("Continue");
    expect(s.requestBody("abc", { endOfStream: false })).toBe("Continue");
    expect(s.requestTrailers({ "x-t": "1" })).toBe("Continue");
    expect(s.responseHeaders({ ":status": "201" }, { endOfStream: false })).toBe("Continue");
    expect(s.responseBody("def", { endOfStream: false })).toBe("Continue");
    expect(s.responseTrailers({ "x-u": "2" })).toBe("Continue");
    expect(s.steps).toEqual([]);
    expect(s.trap).toBeNull();
    expect(text(s.upstream.body)).toBe("abc");
    expect(s.upstream.trailers?.get("x-t")).toBe("1");
    expect(s.upstream.complete).toBe(true);
    expect(s.downstream.headers?.get(":status")).toBe("201");
    expect(text(s.downstream.body)).toBe("def");
    expect(s.downstream.trailers?.get("x-u")).toBe("2");
    expect(s.downstream.complete).toBe(true);
  });
});

// The test host's callouts (src/testing/callouts.ts) without a module: the checks Envoy makes
// before a call leaves, the tokens, how answers reach the root context (the headers Envoy's
// async client adds, the order of a stream's events), virtual-time deadlines, and calls
// answered by a real server.

import { createServer, type IncomingMessage } from "node:http";
import { createServer as createH2cServer } from "node:http2";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import {
  type CalloutOwner,
  type CalloutStatus,
  Callouts,
  CONNECT_FAILURE_REPLY,
  GRPC_TIMEOUT_CLOSE,
  type HttpCall,
  type HttpCallRequest,
  TIMEOUT_REPLY,
} from "../../src/testing/callouts.ts";
import type { HeaderMap } from "../../src/testing/headers.ts";
import { Status } from "../../src/testing/status.ts";
import { framed } from "./fixtures/grpc-frames.ts";

/** Virtual time and the queue of work after the current guest call, run by `drain`. */
class Clock {
  now = 1000;
  queue: Array<() => void> = [];
  nowMs = () => this.now;
  post = (action: () => void) => {
    this.queue.push(action);
  };
  drain = () => {
    for (let a = this.queue.shift(); a; a = this.queue.shift()) a();
  };
}

type Event =
  | {
      http: number;
      response: {
        headers: Array<[string, string]>;
        body: string;
        trailers: Array<[string, string]>;
      } | null;
    }
  | { receive: number; message: string }
  | { initial: number; metadata: Array<[string, string]> }
  | { trailing: number; metadata: Array<[string, string]> }
  | { close: number; status: CalloutStatus };

/** A root context that writes down every answer it gets. */
class Root implements CalloutOwner {
  events: Event[] = [];
  listening = true;
  httpCallResponse(
    token: number,
    response: { headers: HeaderMap; body: Uint8Array; trailers: HeaderMap } | null,
  ) {
    this.events.push({
      http: token,
      response: response && {
        headers: response.headers.pairs(),
        body: Buffer.from(response.body).toString(),
        trailers: response.trailers.pairs(),
      },
    });
  }
  grpcReceive(token: number, message: Uint8Array) {
    this.events.push({ receive: token, message: Buffer.from(message).toString() });
  }
  grpcInitialMetadata(token: number, metadata: HeaderMap) {
    this.events.push({ initial: token, metadata: metadata.pairs() });
  }
  grpcTrailingMetadata(token: number, metadata: HeaderMap) {
    this.events.push({ trailing: token, metadata: metadata.pairs() });
  }
  grpcClose(token: number, status: CalloutStatus) {
    this.events.push({ close: token, status });
  }
}

const GET: Array<[string, string]> = [
  [":method", "GET"],
  [":path", "/p"],
  [":authority", "svc"],
];

const request = (over: Partial<HttpCallRequest> = {}): HttpCallRequest => ({
  cluster: "c",
  headers: GET,
  body: new Uint8Array(0),
  trailers: [],
  timeoutMs: 0,
  ...over,
});

function setUp() {
  const clock = new Clock();
  const callouts = new Callouts(clock);
  const root = new Root();
  return { clock, callouts, root };
}

const bytes = (s: string) => new TextEncoder().encode(s);

describe("HTTP callouts", () => {
  it("refuse a negative timeout, an unknown cluster and a request without :path, :method or :authority", () => {
    const { callouts, root } = setUp();
    callouts.knownClusters.add("c");
    expect(callouts.httpCall(root, request({ timeoutMs: -1 }))).toBe(-Status.BadArgument);
    expect(callouts.httpCall(root, request({ cluster: "nope" }))).toBe(-Status.BadArgument);
    for (const missing of [":path", ":method", ":authority"]) {
      const headers = GET.filter(([k]) => k !== missing);
      expect(callouts.httpCall(root, request({ headers }))).toBe(-Status.BadArgument);
    }
    expect(callouts.http).toHaveLength(0);
    expect(callouts.httpCall(root, request())).toBe(1);
    expect(callouts.httpCall(root, request())).toBe(2);
  });

  it("know a cluster by any of the ways a test gives one", () => {
    const { callouts, root } = setUp();
    callouts.httpHandlers.set("h", () => undefined);
    callouts.grpcHandlers.set("g", () => undefined);
    callouts.grpcUrls.set("gu", "http://127.0.0.1:1");
    callouts.knownClusters.add("k");
    for (const cluster of ["h", "g", "gu", "k"])
      expect(callouts.httpCall(root, request({ cluster }))).toBeGreaterThan(0);
    callouts.clusterUrls.set("u", "http://127.0.0.1:1");
    expect(
      callouts.grpcCall(root, {
        cluster: "u",
        service: "s",
        method: "m",
        metadata: [],
        message: new Uint8Array(0),
        timeoutMs: 0,
        stream: false,
      }),
    ).toBeGreaterThan(0);
  });

  it("add content-length for a body, keep a copy of it, and give the handler the call", () => {
    const { clock, callouts, root } = setUp();
    const seen: HttpCall[] = [];
    callouts.httpHandlers.set("c", (call) => {
      seen.push(call);
      return undefined;
    });
    const body = bytes("abc");
    const token = callouts.httpCall(
      root,
      request({ body, trailers: [["x-t", "1"]], timeoutMs: 50 }),
    );
    body[0] = 0x7a;
    const call = seen[0] as HttpCall;
    expect(call.token).toBe(token);
    expect(call.cluster).toBe("c");
    expect(call.headers.get("content-length")).toBe("3");
    expect(Buffer.from(call.body).toString()).toBe("abc");
    expect(call.trailers.pairs()).toEqual([["x-t", "1"]]);
    expect(call.timeoutMs).toBe(50);
    expect(call.done).toBe(false);
    callouts.httpCall(root, request());
    expect(seen[1]?.headers.has("content-length")).toBe(false);
    // A handler that answers nothing leaves the call pending.
    clock.drain();
    expect(root.events).toEqual([]);
    expect(call.done).toBe(false);
  });

  it("deliver a handler's answer after the current call, a promised one once it settles", async () => {
    const { clock, callouts, root } = setUp();
    callouts.httpHandlers.set("now", () => ({ status: 201, body: "x" }));
    let release: (v: { status: number }) => void = () => undefined;
    callouts.httpHandlers.set("later", () => new Promise((r) => (release = r)));
    callouts.httpCall(root, request({ cluster: "now" }));
    expect(root.events).toEqual([]);
    clock.drain();
    expect(root.events).toHaveLength(1);
    callouts.httpCall(root, request({ cluster: "later" }));
    expect(callouts.busy).toBe(true);
    const settled = callouts.settle();
    release({ status: 204 });
    await settled;
    expect(callouts.busy).toBe(false);
    expect(root.events[1]).toMatchObject({ http: 2, response: { headers: [[":status", "204"]] } });
  });

  it("answer as Envoy's async client does: :status, content-length, text/plain on its own 503 and 504", () => {
    const { callouts, root } = setUp();
    callouts.knownClusters.add("c");
    const answer = (reply: Parameters<HttpCall["respond"]>[0]) => {
      callouts.httpCall(root, request());
      callouts.http.at(-1)?.respond(reply);
      return root.events.at(-1);
    };
    expect(answer({})).toEqual({
      http: 1,
      response: { headers: [[":status", "200"]], body: "", trailers: [] },
    });
    expect(answer({ status: 404, body: "ab", trailers: { "x-t": "1" } })).toEqual({
      http: 2,
      response: {
        headers: [
          [":status", "404"],
          ["content-length", "2"],
        ],
        body: "ab",
        trailers: [["x-t", "1"]],
      },
    });
    expect(
      answer({ status: 200, headers: { "content-length": "9" }, body: bytes("abc") }),
    ).toMatchObject({
      response: {
        headers: [
          [":status", "200"],
          ["content-length", "9"],
        ],
        body: "abc",
      },
    });
    for (const status of [503, 504]) {
      expect(answer({ status, body: "down" })).toMatchObject({
        response: {
          headers: [
            [":status", String(status)],
            ["content-length", "4"],
            ["content-type", "text/plain"],
          ],
        },
      });
    }
    expect(answer({ status: 503 })).toMatchObject({ response: { headers: [[":status", "503"]] } });
    expect(answer({ status: 502, body: "x" })).toMatchObject({
      response: {
        headers: [
          [":status", "502"],
          ["content-length", "1"],
        ],
      },
    });
    expect(
      answer({ status: 503, headers: { "content-type": "application/json" }, body: "{}" }),
    ).toMatchObject({
      response: {
        headers: [
          [":status", "503"],
          ["content-type", "application/json"],
          ["content-length", "2"],
        ],
      },
    });
    expect(answer({ failure: "reset" })).toEqual({ http: 9, response: null });
  });

  it("send a text body as UTF-8, its content-length in bytes", () => {
    const { callouts, root } = setUp();
    callouts.knownClusters.add("c");
    callouts.httpCall(root, request());
    callouts.http[0]?.respond({ body: "é" });
    expect(root.events).toEqual([
      {
        http: 1,
        response: {
          headers: [
            [":status", "200"],
            ["content-length", "2"],
          ],
          body: "é",
          trailers: [],
        },
      },
    ]);
  });

  it("answer once, and not at all once the root stopped listening", () => {
    const { callouts, root } = setUp();
    callouts.knownClusters.add("c");
    callouts.httpCall(root, request());
    const call = callouts.http[0] as HttpCall;
    call.respond({ status: 200 });
    call.respond({ status: 500 });
    expect(root.events).toHaveLength(1);
    root.listening = false;
    callouts.httpCall(root, request());
    const second = callouts.http[1] as HttpCall;
    second.respond({ status: 200 });
    expect(second.done).toBe(true);
    expect(root.events).toHaveLength(1);
  });
});

describe("deadlines in virtual time", () => {
  const grpc = (timeoutMs: number, cluster = "c") => ({
    cluster,
    service: "s",
    method: "m",
    metadata: [] as Array<[string, string]>,
    message: new Uint8Array(0),
    timeoutMs,
    stream: false,
  });

  it("name the earliest pending call, HTTP or gRPC, in the order made when due together", () => {
    const { clock, callouts, root } = setUp();
    callouts.knownClusters.add("c");
    expect(callouts.nextDeadline()).toBeUndefined();
    callouts.httpCall(root, request({ timeoutMs: 0 }));
    expect(callouts.nextDeadline()).toBeUndefined();
    callouts.httpCall(root, request({ timeoutMs: 300 }));
    callouts.httpCall(root, request({ timeoutMs: 100 }));
    callouts.httpCall(root, request({ timeoutMs: 100 }));
    callouts.grpcCall(root, grpc(0));
    expect(callouts.nextDeadline()?.at).toBe(1100);
    const grpcToken = callouts.grpcCall(root, grpc(50));
    callouts.grpcCall(root, grpc(50));
    expect(callouts.nextDeadline()?.at).toBe(1050);
    callouts.nextDeadline()?.run();
    expect(root.events).toEqual([
      {
        close: grpcToken,
        status: { code: GRPC_TIMEOUT_CLOSE.status, message: GRPC_TIMEOUT_CLOSE.message },
      },
    ]);
    callouts.nextDeadline()?.run();
    expect(callouts.nextDeadline()?.at).toBe(1100);
    callouts.nextDeadline()?.run();
    expect(root.events.at(-1)).toMatchObject({
      http: 3,
      response: {
        headers: [
          [":status", "504"],
          ["content-length", "24"],
          ["content-type", "text/plain"],
        ],
      },
    });
    expect(root.events.at(-1)).toMatchObject({ response: { body: TIMEOUT_REPLY.body } });
    callouts.nextDeadline()?.run();
    expect(root.events.at(-1)).toMatchObject({ http: 4 });
    clock.now = 5000;
    expect(callouts.nextDeadline()?.at).toBe(1300);
  });

  it("leave calls a real server answers to real time", () => {
    const { callouts, root } = setUp();
    callouts.clusterUrls.set("u", "http://127.0.0.1:1");
    callouts.grpcUrls.set("g", "http://127.0.0.1:1");
    callouts.knownClusters.add("c");
    callouts.httpCall(root, request({ cluster: "u", timeoutMs: 10 }));
    callouts.grpcCall(root, grpc(10, "g"));
    expect(callouts.nextDeadline()).toBeUndefined();
    callouts.grpcCall(root, grpc(20));
    expect(callouts.nextDeadline()?.at).toBe(1020);
  });
});

describe("gRPC callouts", () => {
  const call = (over: { stream?: boolean; cluster?: string; message?: string } = {}) => ({
    cluster: over.cluster ?? "g",
    service: "pkg.S",
    method: "M",
    metadata: [["x-m", "1"]] as Array<[string, string]>,
    message: bytes(over.message ?? "req"),
    timeoutMs: 0,
    stream: over.stream ?? false,
  });

  it("number unary calls odd and streams even, and refuse an unknown cluster", () => {
    const { callouts, root } = setUp();
    callouts.knownClusters.add("g");
    expect(callouts.grpcCall(root, call({ cluster: "nope" }))).toBe(-Status.ParseFailure);
    expect(callouts.grpcCall(root, call())).toBe(1);
    expect(callouts.grpcCall(root, call({ stream: true }))).toBe(2);
    expect(callouts.grpcCall(root, call())).toBe(3);
    expect(callouts.grpcCall(root, call({ stream: true }))).toBe(4);
    expect(callouts.grpc.map((c) => c.sent.length)).toEqual([1, 0, 1, 0]);
  });

  it("give the handler the unary request, a stream's opening, each message and the half-close", () => {
    const { clock, callouts, root } = setUp();
    const events: Array<{ token: number; message?: string; end?: boolean }> = [];
    callouts.grpcHandlers.set("g", (c, e) => {
      events.push({
        token: c.token,
        message: e.message && Buffer.from(e.message).toString(),
        end: e.endOfStream,
      });
      return e.endOfStream && c.stream ? { status: 0 } : undefined;
    });
    callouts.grpcCall(root, call());
    const s = callouts.grpcCall(root, call({ stream: true }));
    expect(callouts.grpcSend(root, s, bytes("one"), false)).toBe(Status.Ok);
    expect(callouts.grpc[1]?.localClosed).toBe(false);
    expect(callouts.grpcClose(root, s)).toBe(Status.Ok);
    expect(events).toEqual([
      { token: 1, message: "req", end: true },
      { token: 2, message: undefined, end: undefined },
      { token: 2, message: "one", end: false },
      { token: 2, message: undefined, end: true },
    ]);
    expect(callouts.grpc[1]?.localClosed).toBe(true);
    expect(root.events).toEqual([]);
    clock.drain();
    expect(root.events).toEqual([{ close: 2, status: { code: 0, message: "" } }]);
  });

  it("keep a copy of the unary request and of each message a stream sends", () => {
    const { callouts, root } = setUp();
    callouts.knownClusters.add("g");
    const unary = call();
    callouts.grpcCall(root, unary);
    const s = callouts.grpcCall(root, call({ stream: true }));
    const message = bytes("one");
    callouts.grpcSend(root, s, message, false);
    // The module's memory is reused after each call.
    unary.message.fill(0x7a);
    message.fill(0x7a);
    expect(callouts.grpc.map((c) => c.sent.map((m) => Buffer.from(m).toString()))).toEqual([
      ["req"],
      ["one"],
    ]);
  });

  it("deliver a handler's answer to a unary call or to a stream's message after the current call", () => {
    const { clock, callouts, root } = setUp();
    callouts.grpcHandlers.set("g", (_c, e) =>
      e.message ? { messages: [bytes(`re:${Buffer.from(e.message).toString()}`)] } : undefined,
    );
    const u = callouts.grpcCall(root, call());
    const s = callouts.grpcCall(root, call({ stream: true }));
    expect(callouts.grpcSend(root, s, bytes("one"), false)).toBe(Status.Ok);
    expect(root.events).toEqual([]);
    clock.drain();
    expect(root.events).toEqual([
      { receive: u, message: "re:req" },
      { receive: s, message: "re:one" },
    ]);
  });

  it("drop a stream's send after its close: Ok, neither kept nor given to the handler", () => {
    const { clock, callouts, root } = setUp();
    const messages: string[] = [];
    callouts.grpcHandlers.set("g", (_c, e) => {
      if (e.message) messages.push(Buffer.from(e.message).toString());
      return e.message
        ? { messages: [bytes(`re:${Buffer.from(e.message).toString()}`)] }
        : undefined;
    });
    const s = callouts.grpcCall(root, call({ stream: true }));
    expect(callouts.grpcSend(root, s, bytes("one"), false)).toBe(Status.Ok);
    expect(callouts.grpcClose(root, s)).toBe(Status.Ok);
    expect(callouts.grpcSend(root, s, bytes("two"), false)).toBe(Status.Ok);
    clock.drain();
    expect(messages).toEqual(["one"]);
    expect(callouts.grpc[0]?.sent.map((m) => Buffer.from(m).toString())).toEqual(["one"]);
    expect(root.events).toEqual([{ receive: s, message: "re:one" }]);
  });

  it("half-close a stream nobody answers without an answer", () => {
    const { clock, callouts, root } = setUp();
    callouts.knownClusters.add("g");
    const s = callouts.grpcCall(root, call({ stream: true }));
    expect(callouts.grpcClose(root, s)).toBe(Status.Ok);
    clock.drain();
    expect(root.events).toEqual([]);
    expect(callouts.grpc[0]?.done).toBe(false);
  });

  it("refuse a send on a unary call's token, an unknown or finished one, and another root's", () => {
    const { callouts, root } = setUp();
    callouts.knownClusters.add("g");
    const other = new Root();
    const u = callouts.grpcCall(root, call());
    const s = callouts.grpcCall(root, call({ stream: true }));
    expect(callouts.grpcSend(root, u, bytes("x"), false)).toBe(Status.BadArgument);
    expect(callouts.grpcSend(root, 8, bytes("x"), false)).toBe(Status.NotFound);
    expect(callouts.grpcSend(other, s, bytes("x"), false)).toBe(Status.NotFound);
    expect(callouts.grpcCancel(other, s)).toBe(Status.NotFound);
    expect(callouts.grpcClose(other, s)).toBe(Status.NotFound);
    expect(callouts.grpcSend(root, s, bytes("x"), false)).toBe(Status.Ok);
    expect(callouts.grpc[1]?.sent.map((m) => Buffer.from(m).toString())).toEqual(["x"]);
    expect(callouts.grpcCancel(root, s)).toBe(Status.Ok);
    expect(callouts.grpcSend(root, s, bytes("y"), false)).toBe(Status.NotFound);
    expect(callouts.grpcCancel(root, s)).toBe(Status.NotFound);
    expect(callouts.grpcClose(root, u)).toBe(Status.Ok);
    expect(callouts.grpcClose(root, u)).toBe(Status.NotFound);
  });

  it("answer a unary call with its first message on success, else with the close", () => {
    const { callouts, root } = setUp();
    callouts.knownClusters.add("g");
    for (let i = 0; i < 4; i++) callouts.grpcCall(root, call());
    callouts.grpc[0]?.reply({ messages: [bytes("a"), bytes("b")] });
    callouts.grpc[0]?.reply({ status: 5 });
    callouts.grpc[1]?.reply({ status: 0 });
    callouts.grpc[2]?.reply({ status: 7, message: "no", messages: [bytes("a")] });
    callouts.grpc[3]?.reply({ status: 9 });
    expect(root.events).toEqual([
      { receive: 1, message: "a" },
      { close: 3, status: { code: 13, message: "" } },
      { close: 5, status: { code: 7, message: "no" } },
      { close: 7, status: { code: 9, message: "" } },
    ]);
  });

  it("give a stream its metadata, messages, trailers and close in order, and nothing after it ends", () => {
    const { callouts, root } = setUp();
    callouts.knownClusters.add("g");
    const s = callouts.grpcCall(root, call({ stream: true }));
    const pending = callouts.grpc[0];
    pending?.reply({ initialMetadata: { "x-i": "1" } });
    pending?.reply({ messages: [bytes("a"), bytes("b")] });
    pending?.reply({ trailingMetadata: [["x-t", "2"]], status: 4, message: "late" });
    pending?.reply({ messages: [bytes("c")], status: 0 });
    expect(root.events).toEqual([
      { initial: s, metadata: [["x-i", "1"]] },
      { receive: s, message: "a" },
      { receive: s, message: "b" },
      { trailing: s, metadata: [["x-t", "2"]] },
      { close: s, status: { code: 4, message: "late" } },
    ]);
    expect(pending?.done).toBe(true);
  });

  it("stop a stream's messages once a callback cancelled it", () => {
    const { callouts } = setUp();
    callouts.knownClusters.add("g");
    const root = new Root();
    const s = callouts.grpcCall(root, call({ stream: true }));
    root.grpcReceive = (token, message) => {
      const text = Buffer.from(message).toString();
      root.events.push({ receive: token, message: text });
      if (text !== "a") callouts.grpcCancel(root, token);
    };
    const reply = {
      messages: [bytes("a"), bytes("b"), bytes("c")],
      trailingMetadata: { "x-t": "1" },
      status: 0,
    };
    callouts.grpc[0]?.reply(reply);
    expect(root.events).toEqual([
      { receive: s, message: "a" },
      { receive: s, message: "b" },
    ]);
    // Cancelled by the last message's callback: no trailers, no close.
    const last = callouts.grpcCall(root, call({ stream: true }));
    callouts.grpc[1]?.reply({ ...reply, messages: [bytes("b")] });
    expect(root.events.slice(2)).toEqual([{ receive: last, message: "b" }]);
  });

  it("drop answers to a root that stopped listening, leaving the call open", () => {
    const { callouts, root } = setUp();
    callouts.knownClusters.add("g");
    callouts.grpcCall(root, call());
    root.listening = false;
    callouts.grpc[0]?.reply({ status: 0, messages: [bytes("a")] });
    expect(root.events).toEqual([]);
    expect(callouts.grpc[0]?.done).toBe(false);
  });
});

describe("HTTP callouts to a real server", () => {
  async function serve(
    handler: (
      req: IncomingMessage,
      body: string,
    ) => { status: number; headers?: Record<string, string>; body?: string } | null,
  ) {
    const seen: Array<{ req: IncomingMessage; body: string }> = [];
    const server = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on("data", (c: Buffer) => parts.push(c));
      req.on("end", () => {
        const body = Buffer.concat(parts).toString();
        seen.push({ req, body });
        const answer = handler(req, body);
        if (answer === null) return;
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body);
      });
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
  }

  it("send the call's method, path, headers and body, and hand back the answer without hop-by-hop headers", async () => {
    const { url, seen, server } = await serve(() => ({
      status: 202,
      headers: { "X-Up": "1", Connection: "keep-alive", "Keep-Alive": "timeout=5" },
      body: "ok",
    }));
    try {
      const { clock, callouts, root } = setUp();
      callouts.clusterUrls.set("c", url);
      callouts.httpCall(
        root,
        request({
          headers: [
            [":method", "POST"],
            [":path", "/a?b=1"],
            [":authority", "svc.local"],
            ["x-a", "1"],
          ],
          body: bytes("data"),
        }),
      );
      callouts.httpCall(
        root,
        request({
          headers: [
            [":method", "GET"],
            [":path", "/g"],
            [":authority", "svc.local"],
          ],
        }),
      );
      await callouts.settle();
      clock.drain();
      expect(seen[0]?.req.method).toBe("POST");
      expect(seen[0]?.req.url).toBe("/a?b=1");
      expect(seen[0]?.req.headers.host).toBe("svc.local");
      expect(seen[0]?.req.headers["x-a"]).toBe("1");
      expect(seen[0]?.req.headers["content-length"]).toBe("4");
      expect(seen[0]?.body).toBe("data");
      expect(Object.keys(seen[0]?.req.headers ?? {}).some((k) => k.startsWith(":"))).toBe(false);
      expect(seen[1]?.req.method).toBe("GET");
      expect(seen[1]?.body).toBe("");
      expect(seen[1]?.req.headers["transfer-encoding"]).toBeUndefined();
      const first = root.events.find((e) => "http" in e && e.http === 1) as Extract<
        Event,
        { http: number }
      >;
      expect(first.response?.body).toBe("ok");
      // The server's headers in its order, without hop-by-hop ones (its answer was chunked:
      // content-length is the async client's).
      const headers = first.response?.headers.map(([k, v]) => [k, k === "date" ? "*" : v]);
      expect(headers).toEqual([
        [":status", "202"],
        ["x-up", "1"],
        ["date", "*"],
        ["content-length", "2"],
      ]);
    } finally {
      server.close();
    }
  });

  it("answer Envoy's 504 when the server outlives the timeout, and its 503 when it is not there", async () => {
    const { url, server } = await serve(() => null);
    try {
      const { callouts, root } = setUp();
      callouts.clusterUrls.set("slow", url);
      callouts.clusterUrls.set("gone", "http://127.0.0.1:1");
      callouts.httpCall(root, request({ cluster: "slow", timeoutMs: 50 }));
      callouts.httpCall(root, request({ cluster: "gone" }));
      await callouts.settle();
      const byToken = new Map(root.events.map((e) => [(e as { http: number }).http, e]));
      expect(byToken.get(1)).toMatchObject({
        response: {
          headers: [
            [":status", String(TIMEOUT_REPLY.status)],
            ["content-length", String(TIMEOUT_REPLY.body.length)],
            ["content-type", "text/plain"],
          ],
          body: TIMEOUT_REPLY.body,
        },
      });
      expect(byToken.get(2)).toMatchObject({
        response: {
          headers: [
            [":status", "503"],
            ["content-length", String(CONNECT_FAILURE_REPLY.body.length)],
            ["content-type", "text/plain"],
          ],
          body: CONNECT_FAILURE_REPLY.body,
        },
      });
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe("gRPC callouts to a real server", () => {
  /** A call to pkg.S/M on cluster "g", which the tests point at their server. */
  const call = (stream: boolean, message: Uint8Array) => ({
    cluster: "g",
    service: "pkg.S",
    method: "M",
    metadata: [] as Array<[string, string]>,
    message,
    timeoutMs: 0,
    stream,
  });

  /** An h2c server that answers a stream once the client half-closed it: the messages it got,
   *  echoed, then status 0. */
  async function serve() {
    const bodies: Buffer[] = [];
    const server = createH2cServer();
    server.on("stream", (stream) => {
      let body = Buffer.alloc(0);
      stream.on("data", (c: Buffer) => {
        body = Buffer.concat([body, c]);
      });
      stream.on("end", () => {
        bodies.push(body);
        stream.respond(
          { ":status": 200, "content-type": "application/grpc" },
          { waitForTrailers: true },
        );
        stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
        stream.end(body);
      });
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies, server };
  }

  it("send a unary call's request and end it, and answer with the server's message", async () => {
    const { url, bodies, server } = await serve();
    try {
      const { callouts, root } = setUp();
      callouts.grpcUrls.set("g", url);
      const u = callouts.grpcCall(root, call(false, bytes("req")));
      // The server answers only once the request has ended: wait a bounded time for it.
      await Promise.race([callouts.settle(), new Promise((r) => setTimeout(r, 2_000))]);
      expect(bodies).toEqual([framed("req")]);
      expect(root.events).toEqual([{ receive: u, message: "req" }]);
    } finally {
      server.close();
    }
  });

  it("send each message of a stream as the module sends it, and half-close it when the module closes it", async () => {
    const { url, bodies, server } = await serve();
    try {
      const { callouts, root } = setUp();
      callouts.grpcUrls.set("g", url);
      const s = callouts.grpcCall(root, call(true, new Uint8Array(0)));
      expect(callouts.grpcSend(root, s, bytes("one"), false)).toBe(Status.Ok);
      expect(callouts.grpcSend(root, s, bytes("two"), false)).toBe(Status.Ok);
      expect(callouts.grpcClose(root, s)).toBe(Status.Ok);
      // The server answers only once the stream is half-closed: wait a bounded time for it.
      await Promise.race([callouts.settle(), new Promise((r) => setTimeout(r, 2_000))]);
      expect(bodies).toEqual([framed("one", "two")]);
      expect(root.events.map((e) => Object.keys(e)[0])).toEqual([
        "initial",
        "receive",
        "receive",
        "trailing",
        "close",
      ]);
      expect(root.events.filter((e) => "receive" in e || "close" in e)).toEqual([
        { receive: s, message: "one" },
        { receive: s, message: "two" },
        { close: s, status: { code: 0, message: "" } },
      ]);
    } finally {
      server.close();
    }
  });
});

// The gRPC client the test host uses for callouts to a real server (`grpcUpstreams`): what it
// sends (path, content type, metadata, length-prefixed frames) and how it turns the server's
// headers, frames and trailers into the replies a call gets, unary and streamed.

import {
  createServer,
  type Http2Server,
  type IncomingHttpHeaders,
  type ServerHttp2Stream,
} from "node:http2";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  GRPC_CONNECT_FAILURE_CLOSE,
  GRPC_TIMEOUT_CLOSE,
  type GrpcReply,
} from "../../src/testing/callouts.ts";
import { openGrpc } from "../../src/testing/grpc-client.ts";
import { framed } from "./fixtures/grpc-frames.ts";

interface Seen {
  headers: IncomingHttpHeaders;
  body: Buffer;
  closed: boolean;
}

let servers: Http2Server[] = [];

afterEach(() => {
  for (const s of servers) s.close();
  servers = [];
});

/** An h2c server whose `answer` gets each stream once the request has ended (or at once). */
async function serve(
  answer: (stream: ServerHttp2Stream, seen: Seen) => void,
  opts: { waitForEnd?: boolean } = {},
): Promise<{ base: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer();
  server.on("stream", (stream, headers) => {
    const record: Seen = { headers, body: Buffer.alloc(0), closed: false };
    seen.push(record);
    stream.on("data", (c: Buffer) => {
      record.body = Buffer.concat([record.body, c]);
    });
    stream.on("close", () => {
      record.closed = true;
    });
    stream.on("error", () => undefined);
    if (opts.waitForEnd === false) answer(stream, record);
    else stream.on("end", () => answer(stream, record));
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  servers.push(server);
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const call = (over: Partial<Parameters<typeof openGrpc>[1]> = {}) => ({
  service: "pkg.Svc",
  method: "Get",
  metadata: [] as Array<[string, string]>,
  stream: false,
  timeoutMs: 0,
  ...over,
});

const text = (m: Uint8Array | undefined) =>
  m === undefined ? undefined : Buffer.from(m).toString();

describe("openGrpc", () => {
  it("sends a unary call as gRPC over h2c and hands back every message on status 0", async () => {
    const { base, seen } = await serve((stream) => {
      stream.respond(
        { ":status": 200, "content-type": "application/grpc" },
        { waitForTrailers: true },
      );
      const both = framed("one", "two!");
      // The second message split across two DATA frames: the client reassembles it.
      stream.write(both.subarray(0, 10));
      stream.write(both.subarray(10));
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end();
    });
    const replies: GrpcReply[] = [];
    const conn = openGrpc(base, call({ metadata: [["x-meta", "m1"]] }), (r) => replies.push(r));
    conn.send(new TextEncoder().encode("req"), true);
    await conn.done;
    expect(seen[0]?.headers[":method"]).toBe("POST");
    expect(seen[0]?.headers[":path"]).toBe("/pkg.Svc/Get");
    expect(seen[0]?.headers["content-type"]).toBe("application/grpc");
    expect(seen[0]?.headers.te).toBe("trailers");
    expect(seen[0]?.headers["x-meta"]).toBe("m1");
    expect(seen[0]?.body).toEqual(framed("req"));
    expect(replies).toHaveLength(1);
    expect(replies[0]?.status).toBe(0);
    expect(replies[0]?.messages?.map(text)).toEqual(["one", "two!"]);
  });

  it("waits for the rest of a message whose length prefix has come", async () => {
    const { base } = await serve((stream) => {
      stream.respond({ ":status": 200 }, { waitForTrailers: true });
      const both = framed("one", "two!");
      // The first message, then the second's prefix and first byte; the rest comes later.
      stream.write(both.subarray(0, 14));
      setTimeout(() => {
        stream.write(both.subarray(14));
        stream.end();
      }, 30);
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    });
    const replies: GrpcReply[] = [];
    const conn = openGrpc(base, call({ stream: true }), (r) => replies.push(r));
    conn.send(new Uint8Array(0), true);
    await conn.done;
    const messages = replies.flatMap((r) => r.messages ?? []).map(text);
    expect(messages).toEqual(["one", "two!"]);
  });

  it("reads an empty message (a bare 5-byte prefix), unary and streamed", async () => {
    const { base } = await serve((stream) => {
      stream.respond({ ":status": 200 }, { waitForTrailers: true });
      stream.write(framed(""));
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end();
    });
    const unary: GrpcReply[] = [];
    const u = openGrpc(base, call(), (r) => unary.push(r));
    u.send(new Uint8Array(0), true);
    await u.done;
    expect(unary).toStrictEqual([{ messages: [new Uint8Array(0)], status: 0 }]);
    const streamed: GrpcReply[] = [];
    const s = openGrpc(base, call({ stream: true }), (r) => streamed.push(r));
    s.send(new Uint8Array(0), true);
    await s.done;
    expect(streamed.filter((r) => r.messages)).toStrictEqual([{ messages: [new Uint8Array(0)] }]);
  });

  it("hands back a unary call's failure status and message, without its messages", async () => {
    const { base } = await serve((stream) => {
      stream.respond({ ":status": 200 }, { waitForTrailers: true });
      stream.write(framed("partial"));
      stream.on("wantTrailers", () =>
        stream.sendTrailers({ "grpc-status": "7", "grpc-message": "denied" }),
      );
      stream.end();
    });
    const replies: GrpcReply[] = [];
    const conn = openGrpc(base, call(), (r) => replies.push(r));
    conn.send(new Uint8Array(0), true);
    await conn.done;
    expect(replies).toStrictEqual([{ status: 7, message: "denied" }]);
  });

  it("reads trailers without grpc-status as UNKNOWN (2) with an empty message", async () => {
    const { base } = await serve((stream) => {
      stream.respond({ ":status": 200 }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "x-other": "1" }));
      stream.end();
    });
    const replies: GrpcReply[] = [];
    const conn = openGrpc(base, call(), (r) => replies.push(r));
    conn.send(new Uint8Array(0), true);
    await conn.done;
    expect(replies).toStrictEqual([{ status: 2, message: "" }]);
  });

  it("reads a trailers-only answer (grpc-status in the headers) as the call's status", async () => {
    const { base } = await serve((stream) => {
      stream.respond(
        { ":status": 200, "grpc-status": "5", "grpc-message": "missing" },
        { endStream: true },
      );
    });
    const unary: GrpcReply[] = [];
    const u = openGrpc(base, call(), (r) => unary.push(r));
    u.send(new Uint8Array(0), true);
    await u.done;
    expect(unary).toStrictEqual([{ status: 5, message: "missing" }]);
    // A stream gets no initial metadata from a trailers-only answer, only the close.
    const streamed: GrpcReply[] = [];
    const s = openGrpc(base, call({ stream: true }), (r) => streamed.push(r));
    s.send(new Uint8Array(0), true);
    await s.done;
    expect(streamed).toStrictEqual([{ status: 5, message: "missing" }]);
  });

  it("reads a trailers-only answer without a message as an empty one", async () => {
    const { base } = await serve((stream) => {
      stream.respond({ ":status": 200, "grpc-status": "0" }, { endStream: true });
    });
    const replies: GrpcReply[] = [];
    const conn = openGrpc(base, call({ stream: true }), (r) => replies.push(r));
    conn.send(new Uint8Array(0), true);
    await conn.done;
    expect(replies).toStrictEqual([{ status: 0, message: "" }]);
  });

  it("gives a stream each event as it comes: initial metadata, messages, trailers, close", async () => {
    const { base } = await serve((stream) => {
      stream.respond(
        { ":status": 200, "content-type": "application/grpc", "x-init": "a" },
        { waitForTrailers: true },
      );
      stream.write(framed("m1", "m2"));
      stream.on("wantTrailers", () =>
        stream.sendTrailers({ "grpc-status": "3", "grpc-message": "bad", "x-end": "z" }),
      );
      stream.end();
    });
    const replies: GrpcReply[] = [];
    const conn = openGrpc(base, call({ stream: true }), (r) => replies.push(r));
    conn.send(new Uint8Array(0), true);
    await conn.done;
    const [initial, ...rest] = replies;
    const names = ((initial?.initialMetadata ?? []) as Array<[string, string]>).map(([k]) => k);
    expect(names).toContain("x-init");
    expect(names).toContain("content-type");
    expect(names.some((k) => k.startsWith(":"))).toBe(false);
    expect(initial?.initialMetadata).toContainEqual(["x-init", "a"]);
    expect(rest.slice(0, 2).map((r) => r.messages?.map(text))).toEqual([["m1"], ["m2"]]);
    expect(rest[2]?.trailingMetadata).toContainEqual(["x-end", "z"]);
    expect(rest[2]?.trailingMetadata).toContainEqual(["grpc-status", "3"]);
    expect(rest[3]).toStrictEqual({ status: 3, message: "bad" });
    expect(rest).toHaveLength(4);
  });

  it("joins a metadata value given as a list with commas", async () => {
    const { base } = await serve((stream) => {
      stream.respond({ ":status": 200, "set-cookie": ["a=1", "b=2"] }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end();
    });
    const replies: GrpcReply[] = [];
    const conn = openGrpc(base, call({ stream: true }), (r) => replies.push(r));
    conn.send(new Uint8Array(0), true);
    await conn.done;
    expect(replies[0]?.initialMetadata).toContainEqual(["set-cookie", "a=1,b=2"]);
  });

  it("frames each message a stream sends, an empty one too unless it ends the stream", async () => {
    const { base, seen } = await serve((stream) => {
      stream.respond({ ":status": 200, "grpc-status": "0" }, { endStream: true });
    });
    const conn = openGrpc(base, call({ stream: true }), () => undefined);
    conn.send(new TextEncoder().encode("a"), false);
    conn.send(new Uint8Array(0), false);
    conn.send(new TextEncoder().encode("bc"), false);
    conn.send(new Uint8Array(0), true);
    await conn.done;
    expect(seen[0]?.body).toEqual(Buffer.concat([framed("a"), framed(""), framed("bc")]));
    // Once the stream has ended, a send writes nothing.
    conn.send(new TextEncoder().encode("late"), true);
    expect(seen[0]?.body).toEqual(Buffer.concat([framed("a"), framed(""), framed("bc")]));
  });

  it("closes a call the server resets without a status as UNAVAILABLE (14)", async () => {
    const { base } = await serve((stream) => {
      stream.close(2);
    });
    const replies: GrpcReply[] = [];
    const conn = openGrpc(base, call(), (r) => replies.push(r));
    conn.send(new Uint8Array(0), true);
    await conn.done;
    expect(replies).toStrictEqual([{ status: 14, message: "" }]);
  });

  it("answers a call to a port that refuses the connection as Envoy does, once", async () => {
    const { base } = await serve(() => undefined);
    servers[0]?.close();
    servers = [];
    await new Promise((r) => setTimeout(r, 20));
    for (const stream of [false, true]) {
      const replies: GrpcReply[] = [];
      const conn = openGrpc(base, call({ stream }), (r) => replies.push(r));
      await conn.done;
      await new Promise((r) => setTimeout(r, 20));
      expect(replies).toStrictEqual([GRPC_CONNECT_FAILURE_CLOSE]);
    }
  });

  it("closes a call that outlives its timeout as Envoy's router does, once", async () => {
    const { base, seen } = await serve(() => undefined);
    const replies: GrpcReply[] = [];
    const started = Date.now();
    const conn = openGrpc(base, call({ timeoutMs: 60 }), (r) => replies.push(r));
    conn.send(new Uint8Array(0), true);
    await conn.done;
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    expect(replies).toStrictEqual([GRPC_TIMEOUT_CLOSE]);
    await new Promise((r) => setTimeout(r, 20));
    expect(seen[0]?.closed).toBe(true);
  });

  it("sets no timer for a timeout of 0, and ends the timer when the call closes first", async () => {
    const { base } = await serve((stream) => {
      setTimeout(
        () => stream.respond({ ":status": 200, "grpc-status": "0" }, { endStream: true }),
        30,
      );
    });
    const replies: GrpcReply[] = [];
    const conn = openGrpc(base, call(), (r) => replies.push(r));
    conn.send(new Uint8Array(0), true);
    await conn.done;
    expect(replies).toStrictEqual([{ messages: [], status: 0 }]);
    // The answer comes after 30 ms; the timeout is far enough away that a busy machine
    // still answers first, and the wait runs past it, when a timer left running would fire.
    const timed: GrpcReply[] = [];
    const timeoutMs = 1_000;
    const opened = Date.now();
    const second = openGrpc(base, call({ timeoutMs }), (r) => timed.push(r));
    second.send(new Uint8Array(0), true);
    await second.done;
    await new Promise((r) => setTimeout(r, Math.max(0, opened + timeoutMs + 100 - Date.now())));
    expect(timed).toStrictEqual([{ messages: [], status: 0 }]);
  });

  it("leaves no timer behind once a call with a timeout is over", async () => {
    const { base } = await serve((stream) => {
      stream.respond({ ":status": 200, "grpc-status": "0" }, { endStream: true });
    });
    // Only the client's timers are fake: a timer left running would keep the process alive
    // for the whole timeout after the call.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const replies: GrpcReply[] = [];
      const conn = openGrpc(base, call({ timeoutMs: 60_000 }), (r) => replies.push(r));
      expect(vi.getTimerCount()).toBe(1);
      conn.send(new Uint8Array(0), true);
      await conn.done;
      expect(replies).toStrictEqual([{ messages: [], status: 0 }]);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it("delivers nothing once cancelled, and closes the stream at the server", async () => {
    const { base, seen } = await serve(
      (stream) => {
        setTimeout(() => {
          if (!stream.destroyed)
            stream.respond({ ":status": 200, "grpc-status": "0" }, { endStream: true });
        }, 30);
      },
      { waitForEnd: false },
    );
    const replies: GrpcReply[] = [];
    const conn = openGrpc(base, call({ stream: true, timeoutMs: 40 }), (r) => replies.push(r));
    conn.send(new TextEncoder().encode("x"), false);
    await new Promise((r) => setTimeout(r, 10));
    conn.cancel();
    await conn.done;
    await new Promise((r) => setTimeout(r, 80));
    expect(replies).toStrictEqual([]);
    expect(seen[0]?.closed).toBe(true);
  });
});

// Real servers the Envoy side of the conformance suite talks to (and their in-process twins for
// the emulator): a gRPC echo service over h2c, and a port nobody listens on.

import { createServer as createHttp1Server } from "node:http";
import { createServer as createH2cServer, type ServerHttp2Stream } from "node:http2";
import { type AddressInfo, createServer as createTcpServer, type Server } from "node:net";
import type { GrpcHandler, UpstreamRequest, UpstreamResponse } from "../../src/testing/index.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function frame(message: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

/** Splits gRPC length-prefixed frames out of a growing buffer. */
function takeFrames(buffer: Buffer): { messages: Uint8Array[]; rest: Buffer } {
  const messages: Uint8Array[] = [];
  let at = 0;
  while (buffer.length - at >= 5) {
    const len = buffer.readUInt32BE(at + 1);
    if (buffer.length - at - 5 < len) break;
    messages.push(new Uint8Array(buffer.subarray(at + 5, at + 5 + len)));
    at += 5 + len;
  }
  return { messages, rest: buffer.subarray(at) };
}

/**
 * The service both sides implement: conf.Echo/Say answers "pong:<request>", conf.Echo/Fail
 * fails with PERMISSION_DENIED (7) "denied", conf.Echo/Slow never answers, conf.Echo/Chat (a
 * stream) sends initial metadata, echoes each message as "echo:<message>" and closes with OK
 * when the client half-closes.
 */
export const grpcEchoHandler: GrpcHandler = (call, event) => {
  if (!call.stream) {
    if (call.method === "Slow") return undefined;
    if (call.method === "Say") {
      return { messages: [encoder.encode(`pong:${decoder.decode(event.message)}`)] };
    }
    return { status: 7, message: "denied" };
  }
  if (event.message === undefined && !event.endOfStream)
    return { initialMetadata: { "x-server-md": "1" } };
  if (event.endOfStream && (event.message === undefined || event.message.length === 0)) {
    return { trailingMetadata: { "grpc-status": "0" }, status: 0 };
  }
  return { messages: [encoder.encode(`echo:${decoder.decode(event.message)}`)] };
};

export interface GrpcServer {
  port: number;
  close(): Promise<void>;
}

/** The same service as a real h2c server for Envoy's gRPC client. */
export async function startGrpcEchoServer(): Promise<GrpcServer> {
  const server = createH2cServer();
  server.on("stream", (stream: ServerHttp2Stream, headers) => {
    const path = String(headers[":path"] ?? "");
    const method = path.split("/").pop() ?? "";
    let buffered: Buffer = Buffer.alloc(0);
    const respond = () => {
      if (!stream.headersSent) {
        stream.respond(
          { ":status": 200, "content-type": "application/grpc", "x-server-md": "1" },
          { waitForTrailers: true },
        );
      }
    };
    if (method === "Chat") respond();
    stream.on("wantTrailers", () => {
      const failed = method === "Fail";
      stream.sendTrailers(
        failed ? { "grpc-status": "7", "grpc-message": "denied" } : { "grpc-status": "0" },
      );
    });
    stream.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (method !== "Chat") return;
      const { messages, rest } = takeFrames(buffered);
      buffered = rest;
      for (const m of messages) stream.write(frame(encoder.encode(`echo:${decoder.decode(m)}`)));
    });
    stream.on("end", () => {
      if (method === "Slow") return; // never answers; the client's timeout resets the stream
      respond();
      if (method === "Say") {
        const request = takeFrames(buffered).messages[0] ?? new Uint8Array(0);
        stream.end(frame(encoder.encode(`pong:${decoder.decode(request)}`)));
      } else {
        stream.end();
      }
    });
    stream.on("error", () => undefined);
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", () => ok()));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
      }),
  };
}

/** A port that refuses connections: bound once to get a free number, then closed. */
export async function refusedPort(): Promise<number> {
  const server: Server = createTcpServer();
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", () => ok()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((ok) => server.close(() => ok()));
  return port;
}

/**
 * An h2c upstream that sends trailers: it answers 200 "ok" with trailers x-upstream-trailer: u1
 * and x-saw-trailer echoing the request trailer x-added-trailer (what the filter added).
 */
export async function startTrailerServer(): Promise<GrpcServer> {
  const server = createH2cServer();
  server.on("stream", (stream: ServerHttp2Stream) => {
    stream.on("data", () => undefined);
    let seen = "<none>";
    stream.on("trailers", (trailers) => {
      seen = String(trailers["x-added-trailer"] ?? "<none>");
    });
    stream.on("end", () => {
      stream.respond({ ":status": 200, "content-type": "text/plain" }, { waitForTrailers: true });
      stream.on("wantTrailers", () =>
        stream.sendTrailers({ "x-upstream-trailer": "u1", "x-saw-trailer": seen }),
      );
      stream.end("ok");
    });
    stream.on("error", () => undefined);
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", () => ok()));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

/** The same upstream for the emulator. */
export const trailerUpstream = (req: UpstreamRequest): UpstreamResponse => ({
  status: 200,
  headers: { "content-type": "text/plain" },
  body: "ok",
  trailers: {
    "x-upstream-trailer": "u1",
    "x-saw-trailer": req.trailers?.get("x-added-trailer") ?? "<none>",
  },
});

/**
 * An HTTP/1.1 upstream that ends its chunked response with trailers: 200 "ok" and the trailer
 * x-upstream-trailer: u1 (which Envoy's HTTP/1 codec drops).
 */
export async function startH1TrailerServer(): Promise<GrpcServer> {
  const server = createHttp1Server((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "text/plain", trailer: "x-upstream-trailer" });
      res.addTrailers({ "x-upstream-trailer": "u1" });
      res.end("ok");
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", () => ok()));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}

// The headers of a local reply as the test host's connection manager builds them, for HTTP and
// gRPC requests, and the host's byte buffers' write rules, on their own (the conformance
// scenarios compare local replies and buffer writes with real Envoy through a module).

import { describe, expect, it } from "vitest";
import {
  ByteBuffer,
  grpcLocalReplyHeaders,
  grpcStatusForHttp,
  isGrpcRequest,
  type LocalReply,
  localReplyHeaders,
} from "../../src/testing/contexts.ts";
import { HeaderMap } from "../../src/testing/headers.ts";
import { Status } from "../../src/testing/status.ts";

const body = (s: string) => new TextEncoder().encode(s);

describe("localReplyHeaders", () => {
  it("puts :status first, then the filter's headers, then a body's length and text/plain", () => {
    expect(localReplyHeaders(403, [["x-why", "no"]], body("denied")).pairs()).toEqual([
      [":status", "403"],
      ["x-why", "no"],
      ["content-length", "6"],
      ["content-type", "text/plain"],
    ]);
  });

  it("keeps the filter's content-type, and sets the length over the filter's", () => {
    const map = localReplyHeaders(
      200,
      [
        ["content-type", "application/json"],
        ["content-length", "99"],
      ],
      body("{}"),
    );
    expect(map.pairs()).toEqual([
      [":status", "200"],
      ["content-type", "application/json"],
      ["content-length", "2"],
    ]);
  });

  it("has no content-type without a body, not even the filter's", () => {
    expect(
      localReplyHeaders(
        204,
        [
          ["content-type", "text/html"],
          ["x-a", "1"],
        ],
        new Uint8Array(0),
      ).pairs(),
    ).toEqual([
      [":status", "204"],
      ["x-a", "1"],
    ]);
  });
});

describe("a local reply to a gRPC request", () => {
  const reply = (status: number, text: string, grpcStatus: number | null = null): LocalReply => ({
    status,
    body: text,
    bodyBytes: body(text),
    headers: [["x-why", "no"]],
    details: "",
    grpcStatus,
  });

  it("is trailers-only: 200, the filter's headers, grpc-status and the body as grpc-message", () => {
    expect(grpcLocalReplyHeaders(reply(403, "no way")).pairs()).toEqual([
      [":status", "200"],
      ["x-why", "no"],
      ["content-type", "application/grpc"],
      ["grpc-status", "7"],
      ["grpc-message", "no way"],
      ["content-length", "0"],
    ]);
    // The status the filter named wins over the mapped one; no grpc-message without a body.
    expect(grpcLocalReplyHeaders(reply(403, "", 5)).pairs()).toEqual([
      [":status", "200"],
      ["x-why", "no"],
      ["content-type", "application/grpc"],
      ["grpc-status", "5"],
      ["content-length", "0"],
    ]);
  });

  it("percent-encodes grpc-message outside printable ASCII, and % itself", () => {
    const message = (text: string) => grpcLocalReplyHeaders(reply(500, text)).get("grpc-message");
    expect(message(" ~az09")).toBe(" ~az09");
    expect(message("50%\n\u007f\u001f")).toBe("50%25%0A%7F%1F");
    expect(message("é")).toBe("%C3%A9");
  });

  it("maps the HTTP status to Envoy's gRPC status when the filter names none", () => {
    const mapped = [400, 401, 403, 404, 429, 502, 503, 504, 500, 200, 405].map(grpcStatusForHttp);
    expect(mapped).toEqual([13, 16, 7, 12, 14, 14, 14, 14, 2, 2, 2]);
  });

  it("is taken for a request whose content-type is application/grpc, or that with + or ;", () => {
    const is = (type?: string) =>
      isGrpcRequest(new HeaderMap(type === undefined ? [] : [["content-type", type]]));
    expect(is("application/grpc")).toBe(true);
    expect(is("application/grpc+proto")).toBe(true);
    expect(is("application/grpc;charset=utf-8")).toBe(true);
    expect(is("application/grpc-web")).toBe(false);
    expect(is("application/grpcx")).toBe(false);
    expect(is("text/application/grpc+proto")).toBe(false);
    expect(is("application/json")).toBe(false);
    expect(is()).toBe(false);
    expect(isGrpcRequest(null)).toBe(false);
  });
});

describe("a host byte buffer's writes (proxy_set_buffer_bytes)", () => {
  const text = (b: ByteBuffer) => new TextDecoder().decode(b.bytes);

  it("replaces the front from 0, appends from the end or past it, and refuses the middle", () => {
    const buffer = new ByteBuffer(body("abcdef"));
    expect(buffer.copyFrom(0, 2, body("XY-"))).toBe(Status.Ok);
    expect(text(buffer)).toBe("XY-cdef");
    expect(buffer.copyFrom(0, 100, body("all"))).toBe(Status.Ok);
    expect(text(buffer)).toBe("all");
    expect(buffer.copyFrom(3, 0, body("+end"))).toBe(Status.Ok);
    expect(text(buffer)).toBe("all+end");
    expect(buffer.copyFrom(50, 9, body("!"))).toBe(Status.Ok);
    expect(text(buffer)).toBe("all+end!");
    expect(buffer.copyFrom(2, 0, body("x"))).toBe(Status.BadArgument);
    expect(text(buffer)).toBe("all+end!");
  });

  it("refuses every write to a read-only buffer", () => {
    const buffer = new ByteBuffer(body("abc"), false);
    expect(buffer.copyFrom(0, 0, body("x"))).toBe(Status.BadArgument);
    expect(buffer.copyFrom(3, 0, body("x"))).toBe(Status.BadArgument);
    expect(text(buffer)).toBe("abc");
  });
});

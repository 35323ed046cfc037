// How the client parses response headers the test host sends: Envoy writes response header
// values unchecked, so a value holding CR LF arrives as more header lines. And the other side:
// the request an upstream reads, when a response gets `content-length: 0`, a body's chunks.

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import {
  bytesOf,
  chunksOf,
  echoUpstream,
  forwardTo,
  needsZeroLength,
  onTheWire,
  upstreamRequest,
} from "../../src/testing/exchange.ts";
import { HeaderMap } from "../../src/testing/headers.ts";

describe("onTheWire", () => {
  it("splits a value with line breaks into the header lines a client reads", () => {
    const sent = new HeaderMap([
      [":status", "200"],
      ["x-a", "first\r\nx-injected:  one \nbare line\n: no name\nx-b :two"],
      ["x-c", "kept"],
    ]);
    expect(onTheWire(sent).pairs()).toEqual([
      [":status", "200"],
      ["x-a", "first"],
      ["x-injected", "one"],
      ["x-b", "two"],
      ["x-c", "kept"],
    ]);
  });

  it("hands back a copy of headers without line breaks", () => {
    const sent = new HeaderMap([["x-a", "1"]]);
    const got = onTheWire(sent);
    expect(got).not.toBe(sent);
    expect(got.pairs()).toEqual([["x-a", "1"]]);
  });
});

describe("upstreamRequest", () => {
  const passed = (
    pairs: Array<[string, string]>,
    body = "",
    trailers: HeaderMap | null = null,
  ) => ({
    headers: new HeaderMap(pairs),
    body: new TextEncoder().encode(body),
    trailers,
    complete: true,
  });

  it("reads the request as an HTTP/1 server would: no pseudo-headers, host from :authority", () => {
    const got = upstreamRequest(
      passed(
        [
          [":method", "POST"],
          [":path", "/a?b=1"],
          [":authority", "example.com"],
          ["content-length", "2"],
          ["x-a", "1"],
        ],
        "hi",
      ),
    );
    expect(got.method).toBe("POST");
    expect(got.path).toBe("/a?b=1");
    expect(got.body).toBe("hi");
    expect(got.bodyBytes).toEqual(new TextEncoder().encode("hi"));
    expect(got.trailers).toBeNull();
    expect(got.headers).toStrictEqual({
      "content-length": "2",
      "x-a": "1",
      host: "example.com",
      "x-envoy-expected-rq-timeout-ms": "15000",
    });
  });

  it("keeps the router's timeout the connection manager already set", () => {
    const got = upstreamRequest(
      passed([
        [":method", "GET"],
        ["x-envoy-expected-rq-timeout-ms", "250"],
      ]),
    );
    expect(got.headers["x-envoy-expected-rq-timeout-ms"]).toBe("250");
    expect(got.headers.host).toBeUndefined();
  });

  it("gives a request without headers GET / and no host", () => {
    const got = upstreamRequest({
      headers: null,
      body: new Uint8Array(0),
      trailers: null,
      complete: true,
    });
    expect(got.method).toBe("GET");
    expect(got.path).toBe("/");
    expect(got.headerMap.pairs()).toEqual([]);
    expect(got.headers).toStrictEqual({ "x-envoy-expected-rq-timeout-ms": "15000" });
  });

  it("frames a body without content-length as chunked, and a request ended by trailers too", () => {
    expect(upstreamRequest(passed([[":method", "POST"]], "x")).headers["transfer-encoding"]).toBe(
      "chunked",
    );
    const trailers = new HeaderMap([["x-t", "1"]]);
    const ended = upstreamRequest(passed([[":method", "GET"]], "", trailers));
    expect(ended.headers["transfer-encoding"]).toBe("chunked");
    expect(ended.trailers).toBe(trailers);
    expect(
      upstreamRequest(
        passed(
          [
            [":method", "POST"],
            ["content-length", "1"],
          ],
          "x",
        ),
      ).headers["transfer-encoding"],
    ).toBeUndefined();
    expect(
      upstreamRequest(passed([[":method", "GET"]])).headers["transfer-encoding"],
    ).toBeUndefined();
  });

  it("gives an empty request of a method with a body content-length: 0, and GET none", () => {
    expect(upstreamRequest(passed([[":method", "POST"]])).headers["content-length"]).toBe("0");
    expect(upstreamRequest(passed([[":method", "GET"]])).headers["content-length"]).toBeUndefined();
    expect(
      upstreamRequest(passed([[":method", "POST"]], "x")).headers["content-length"],
    ).toBeUndefined();
  });

  it("reads a value holding a byte that is not UTF-8 as latin-1, and text as given", () => {
    const got = upstreamRequest(
      passed([
        [":method", "GET"],
        ["x-raw", "a\udce9"],
        ["x-text", "é"],
      ]),
    );
    expect(got.headers["x-raw"]).toBe("aé");
    expect(got.headers["x-text"]).toBe("é");
  });
});

describe("needsZeroLength", () => {
  const h = (pairs: Array<[string, string]>) => new HeaderMap(pairs);
  const none = new Uint8Array(0);

  it("is true for a 200 that ends without a body or a length", () => {
    expect(needsZeroLength(h([[":status", "200"]]), none)).toBe(true);
    expect(needsZeroLength(h([[":status", "200"]]), none, "get")).toBe(true);
  });

  it("is false with a body, a length, chunked framing, or no status", () => {
    expect(needsZeroLength(h([[":status", "200"]]), new Uint8Array(1))).toBe(false);
    expect(
      needsZeroLength(
        h([
          [":status", "200"],
          ["content-length", "0"],
        ]),
        none,
      ),
    ).toBe(false);
    expect(
      needsZeroLength(
        h([
          [":status", "200"],
          ["transfer-encoding", "chunked"],
        ]),
        none,
      ),
    ).toBe(false);
    expect(needsZeroLength(h([]), none)).toBe(false);
  });

  it("is false for 1xx, 204, 304 and the answer to HEAD, true at 200 and 205", () => {
    expect(needsZeroLength(h([[":status", "199"]]), none)).toBe(false);
    expect(needsZeroLength(h([[":status", "204"]]), none)).toBe(false);
    expect(needsZeroLength(h([[":status", "304"]]), none)).toBe(false);
    expect(needsZeroLength(h([[":status", "200"]]), none, "head")).toBe(false);
    expect(needsZeroLength(h([[":status", "205"]]), none)).toBe(true);
    expect(needsZeroLength(h([[":status", "303"]]), none)).toBe(true);
  });
});

describe("chunksOf and bytesOf", () => {
  it("makes one chunk of a body, none of an empty one, and keeps given chunks", () => {
    expect(chunksOf(undefined)).toEqual([]);
    expect(chunksOf("")).toEqual([]);
    expect(chunksOf(new Uint8Array(0))).toEqual([]);
    expect(chunksOf("ab")).toEqual([new TextEncoder().encode("ab")]);
    const raw = new Uint8Array([1, 2]);
    expect(chunksOf(raw)[0]).toBe(raw);
    expect(chunksOf(["a", "", raw])).toEqual([
      new TextEncoder().encode("a"),
      new Uint8Array(0),
      raw,
    ]);
    expect(bytesOf(raw)).toBe(raw);
  });
});

describe("echoUpstream", () => {
  it("answers 200 with JSON of what it received", async () => {
    const req = upstreamRequest({
      headers: new HeaderMap([
        [":method", "PUT"],
        [":path", "/p"],
        ["x-a", "1"],
      ]),
      body: new Uint8Array([0xff, 0x41]),
      trailers: null,
      complete: true,
    });
    const res = await echoUpstream(req);
    expect(res.status).toBe(200);
    expect(res.headers).toStrictEqual({ "content-type": "application/json" });
    expect(JSON.parse(res.body as string)).toStrictEqual({
      method: "PUT",
      path: "/p",
      headers: req.headers,
      body: req.body,
      bodyBase64: "/0E=",
    });
  });
});

describe("forwardTo", () => {
  it("sends the request to the server and hands back its answer without hop-by-hop headers", async () => {
    const seen: Array<{
      method?: string;
      url?: string;
      headers: Record<string, unknown>;
      body: string;
    }> = [];
    const server = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on("data", (c: Buffer) => parts.push(c));
      req.on("end", () => {
        seen.push({
          method: req.method,
          url: req.url,
          headers: req.headers,
          body: Buffer.concat(parts).toString(),
        });
        res.writeHead(201, { "x-up": "1", connection: "keep-alive", "keep-alive": "timeout=5" });
        res.end("made");
      });
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    try {
      const { port } = server.address() as AddressInfo;
      const upstream = forwardTo(`http://127.0.0.1:${port}`);
      const res = await upstream(
        upstreamRequest({
          headers: new HeaderMap([
            [":method", "POST"],
            [":path", "/x?y=1"],
            // A filter changed the body and left the length: fetch frames what it sends.
            ["content-length", "9"],
            ["x-a", "1"],
          ]),
          body: new TextEncoder().encode("data"),
          trailers: null,
          complete: true,
        }),
      );
      expect(res.status).toBe(201);
      expect(new TextDecoder().decode(res.body as Uint8Array)).toBe("made");
      const names = (res.headers as Array<[string, string]>).map(([k]) => k);
      expect(names).toContain("x-up");
      // Every header the server sent but the hop-by-hop ones, each once, as a pair.
      expect([...names].sort()).toEqual(["date", "x-up"]);
      expect((res.headers as unknown[]).every((h) => Array.isArray(h) && h.length === 2)).toBe(
        true,
      );
      expect(names).not.toContain("connection");
      expect(names).not.toContain("keep-alive");
      expect(names).not.toContain("transfer-encoding");
      const got = await upstream(
        upstreamRequest({
          headers: new HeaderMap([
            [":method", "GET"],
            [":path", "/g"],
          ]),
          body: new Uint8Array(0),
          trailers: null,
          complete: true,
        }),
      );
      expect(got.status).toBe(201);
      expect(seen[0]).toMatchObject({ method: "POST", url: "/x?y=1", body: "data" });
      expect(seen[0]?.headers["x-a"]).toBe("1");
      expect(seen[0]?.headers["content-length"]).toBe("4");
      expect(seen[1]).toMatchObject({ method: "GET", url: "/g", body: "" });
      expect(seen[1]?.headers["content-length"]).toBeUndefined();
      expect(seen[1]?.headers["transfer-encoding"]).toBeUndefined();
    } finally {
      server.close();
    }
  });
});

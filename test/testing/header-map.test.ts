// The test host's header map (src/testing/headers.ts) as a filter sees it through the ABI:
// names folded, pseudo-headers first, first-value lookups, Envoy's inline names joined, byte
// sizes, and the copies a test gets back. Checked directly, without a module.

import { describe, expect, it } from "vitest";
import { HeaderMap, toHeaderMap } from "../../src/testing/headers.ts";
import { byteString } from "../../src/testing/wire.ts";

describe("HeaderMap", () => {
  it("folds names to lower case on the way in and on every lookup", () => {
    const map = new HeaderMap([["X-Trace", "a"]]);
    map.add("x-TRACE", "b");
    expect(map.pairs()).toEqual([
      ["x-trace", "a"],
      ["x-trace", "b"],
    ]);
    expect(map.get("X-TRACE")).toBe("a");
    expect(map.getAll("X-Trace")).toEqual(["a", "b"]);
    expect(map.has("x-trace")).toBe(true);
    expect(map.has("x-other")).toBe(false);
    expect(map.get("x-other")).toBeUndefined();
    expect(map.getAll("x-other")).toEqual([]);
    map.remove("X-TRACE");
    expect(map.count).toBe(0);
  });

  it("keeps pseudo-headers in order before every regular header", () => {
    const map = new HeaderMap([
      ["a", "1"],
      [":method", "GET"],
      ["b", "2"],
      [":path", "/"],
    ]);
    map.add(":authority", "h");
    map.add("c", "3");
    expect(map.pairs().map(([k]) => k)).toEqual([":method", ":path", ":authority", "a", "b", "c"]);
    // Only pseudo-headers: the next one goes at the end.
    const pseudo = new HeaderMap([[":status", "200"]]);
    pseudo.add(":x", "y");
    expect(pseudo.pairs()).toEqual([
      [":status", "200"],
      [":x", "y"],
    ]);
  });

  it("counts pseudo-headers removed, so later ones still go before regular headers", () => {
    const map = new HeaderMap([
      [":method", "GET"],
      [":path", "/"],
      ["a", "1"],
      ["b", "2"],
    ]);
    map.remove(":method");
    map.remove("a");
    map.add(":scheme", "http");
    expect(map.pairs()).toEqual([
      [":path", "/"],
      [":scheme", "http"],
      ["b", "2"],
    ]);
    map.remove("b");
    map.add(":x", "1");
    map.add("c", "2");
    expect(map.pairs().map(([k]) => k)).toEqual([":path", ":scheme", ":x", "c"]);
  });

  it("set drops every value of a name and adds one; replaceAll starts over", () => {
    const map = new HeaderMap([
      [":path", "/"],
      ["v", "1"],
      ["w", "x"],
      ["v", "2"],
    ]);
    map.set("V", "3");
    expect(map.pairs()).toEqual([
      [":path", "/"],
      ["w", "x"],
      ["v", "3"],
    ]);
    map.set(":path", "/new");
    expect(map.pairs()[0]).toEqual([":path", "/new"]);
    map.replaceAll([
      ["z", "1"],
      [":status", "204"],
    ]);
    expect(map.pairs()).toEqual([
      [":status", "204"],
      ["z", "1"],
    ]);
    map.add(":b", "2");
    expect(map.pairs().map(([k]) => k)).toEqual([":status", ":b", "z"]);
  });

  it("reports Envoy's byte size (names plus values, bytes not characters) and count", () => {
    const map = new HeaderMap([
      ["ab", "cde"],
      ["é", "€"],
    ]);
    expect(map.count).toBe(2);
    expect(map.byteSize()).toBe(2 + 3 + 2 + 3);
    const raw = new HeaderMap([["r", byteString(Uint8Array.of(0xe9))]]);
    expect(raw.byteSize()).toBe(2);
    expect(raw.getBytes("r")).toEqual(Uint8Array.of(0xe9));
    expect(raw.getBytes("none")).toBeUndefined();
    expect(new HeaderMap().byteSize()).toBe(0);
  });

  it("joins repeats of an inline name with a comma once it stands for a stream's map", () => {
    const map = new HeaderMap([
      ["via", "a"],
      ["x-plain", "1"],
      ["via", "b"],
      ["x-plain", "2"],
    ]);
    // A plain map keeps every entry.
    expect(map.count).toBe(4);
    expect(map.asKind("request-headers")).toBe(map);
    expect(map.pairs()).toEqual([
      ["via", "a,b"],
      ["x-plain", "1"],
      ["x-plain", "2"],
    ]);
    map.add("via", "");
    expect(map.get("via")).toBe("a,b");
    map.set("via", "");
    map.add("via", "c");
    expect(map.getAll("via")).toEqual(["c"]);
    map.add("Via", "d");
    expect(map.getAll("via")).toEqual(["c,d"]);
    // A pseudo-header that is inline joins too, staying in place.
    map.add(":path", "/a");
    map.add(":path", "/b");
    expect(map.pairs()[0]).toEqual([":path", "/a,/b"]);
    // Asking for the same kind again changes nothing.
    map.add("x-plain", "3");
    expect(map.asKind("request-headers").getAll("x-plain")).toEqual(["1", "2", "3"]);
  });

  it("joins only the inline names of its kind, and re-sorts pseudo-headers when it changes kind", () => {
    const trailers = new HeaderMap([
      ["grpc-status", "0"],
      ["grpc-status", "1"],
      ["via", "a"],
      ["via", "b"],
    ]).asKind("response-trailers");
    expect(trailers.pairs()).toEqual([
      ["grpc-status", "0,1"],
      ["via", "a"],
      ["via", "b"],
    ]);
    const response = new HeaderMap([
      ["x", "1"],
      [":status", "200"],
      ["via", "a"],
      ["via", "b"],
    ]).asKind("response-headers");
    expect(response.pairs()).toEqual([
      [":status", "200"],
      ["x", "1"],
      ["via", "a,b"],
    ]);
    response.add(":y", "2");
    expect(response.pairs().map(([k]) => k)).toEqual([":status", ":y", "x", "via"]);
  });

  it("keeps every repeat apart in request trailers, which have no inline names", () => {
    const trailers = new HeaderMap([
      ["via", "a"],
      ["via", "b"],
    ]).asKind("request-trailers");
    trailers.add("content-type", "x");
    trailers.add("content-type", "y");
    expect(trailers.pairs()).toEqual([
      ["via", "a"],
      ["via", "b"],
      ["content-type", "x"],
      ["content-type", "y"],
    ]);
  });

  it("reads host as :authority on request headers only", () => {
    const request = new HeaderMap([[":authority", "a.test"]]).asKind("request-headers");
    expect(request.get("Host")).toBe("a.test");
    expect(request.has("host")).toBe(true);
    request.set("host", "b.test");
    expect(request.pairs()).toEqual([[":authority", "b.test"]]);
    const response = new HeaderMap([[":authority", "a.test"]]).asKind("response-headers");
    expect(response.get("host")).toBeUndefined();
    response.add("host", "h");
    expect(response.pairs()).toEqual([
      [":authority", "a.test"],
      ["host", "h"],
    ]);
    expect(new HeaderMap([[":authority", "a"]]).get("host")).toBeUndefined();
  });

  it("hands out copies: pairs, clones and toHeaderMap never share entries", () => {
    const map = new HeaderMap([
      [":path", "/"],
      ["a", "1"],
    ]).asKind("request-headers");
    const pairs = map.pairs();
    (pairs[1] as [string, string])[1] = "changed";
    pairs.push(["b", "2"]);
    expect(map.pairs()).toEqual([
      [":path", "/"],
      ["a", "1"],
    ]);
    const clone = map.clone();
    clone.add("a", "2");
    clone.add(":scheme", "http");
    clone.add("via", "x");
    clone.add("via", "y");
    expect(map.pairs()).toEqual([
      [":path", "/"],
      ["a", "1"],
    ]);
    // The clone keeps the kind (host, inline joins) and the pseudo-header count.
    expect(clone.pairs()).toEqual([
      [":path", "/"],
      [":scheme", "http"],
      ["a", "1"],
      ["a", "2"],
      ["via", "x,y"],
    ]);
    expect(clone.get("host")).toBeUndefined();
    clone.add("host", "h");
    expect(clone.get(":authority")).toBe("h");
    const copied = toHeaderMap(map);
    expect(copied).not.toBe(map);
    expect(copied.pairs()).toEqual(map.pairs());
    copied.add("c", "3");
    expect(map.has("c")).toBe(false);
  });

  it("folds repeated names with ', ' in toObject", () => {
    const map = new HeaderMap([
      ["a", "1"],
      ["b", "2"],
      ["a", "3"],
      ["a", ""],
    ]);
    expect(map.toObject()).toEqual({ a: "1, 3, ", b: "2" });
    expect(new HeaderMap().toObject()).toEqual({});
  });
});

describe("toHeaderMap", () => {
  it("takes nothing, pairs, objects with lists and bytes", () => {
    expect(toHeaderMap(undefined).pairs()).toEqual([]);
    const bytes = Uint8Array.of(0x61, 0xff);
    expect(
      toHeaderMap([
        ["B", "1"],
        [":path", bytes],
      ]).pairs(),
    ).toEqual([
      [":path", byteString(bytes)],
      ["b", "1"],
    ]);
    const map = toHeaderMap({ X: ["1", bytes], y: "2", z: bytes });
    expect(map.pairs()).toEqual([
      ["x", "1"],
      ["x", byteString(bytes)],
      ["y", "2"],
      ["z", byteString(bytes)],
    ]);
    expect(map.getBytes("z")).toEqual(bytes);
  });
});

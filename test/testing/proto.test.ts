// The protobuf messages the test host serves as attributes (xds.node, metadata), byte for byte
// as the protobuf wire format lays them out: each expected block below is written from the
// format (tag = field << 3 | wire type; length-delimited fields carry a varint length).

import { describe, expect, it } from "vitest";
import { metadataMessage, nodeMessage, struct } from "../../src/testing/proto.ts";

const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));
/** A length-delimited field with a one-byte tag and length. */
const ld = (field: number, body: number[]) => [(field << 3) | 2, body.length, ...body];

describe("struct (google.protobuf.Struct)", () => {
  it("encodes each kind of value in a map entry, keys sorted", () => {
    const entry = (k: string, v: number[]) => ld(1, [...ld(1, ascii(k)), ...ld(2, v)]);
    expect(struct({ s: "v", n: null, b: true, f: false, x: 1.5 })).toEqual([
      ...entry("b", [0x20, 1]),
      ...entry("f", [0x20, 0]),
      ...entry("n", [0x08, 0]),
      ...entry("s", ld(3, ascii("v"))),
      ...entry("x", [0x11, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f]),
    ]);
  });

  it("nests lists and structs", () => {
    const entry = (k: string, v: number[]) => ld(1, [...ld(1, ascii(k)), ...ld(2, v)]);
    expect(struct({ l: [true, "a"], o: { k: null } })).toEqual([
      ...entry("l", ld(6, [...ld(1, [0x20, 1]), ...ld(1, ld(3, ascii("a")))])),
      ...entry("o", ld(5, entry("k", [0x08, 0]))),
    ]);
    expect(struct({})).toEqual([]);
  });

  it("writes lengths of 128 bytes and more as multi-byte varints", () => {
    const at127 = struct({ k: "a".repeat(127 - 2) });
    // entry body: key (3 bytes) + value field (2 + 127) = 132 bytes: length 0x84 0x01
    expect(at127.slice(0, 3)).toEqual([0x0a, 0x84, 0x01]);
    // the value field's own length, 127 (one byte), and its string's, 125
    expect(at127.slice(6, 10)).toEqual([0x12, 127, 0x1a, 125]);
    const at128 = struct({ k: "a".repeat(128) });
    expect(at128.slice(6, 11)).toEqual([0x12, 0x83, 0x01, 0x1a, 0x80]);
    expect(at128[11]).toBe(0x01);
    const big = struct({ k: "a".repeat(20000) });
    // 20000 = 0x4e20: 0xa0 0x9c 0x01
    expect(big.slice(11, 15)).toEqual([0x1a, 0xa0, 0x9c, 0x01]);
    // entry tag and length (4), key (3), value tag and length (4), string tag and length (4)
    expect(big).toHaveLength(4 + 3 + 4 + 4 + 20000);
  });
});

describe("nodeMessage (envoy.config.core.v3.Node)", () => {
  const agent = ld(6, ascii("envoy"));

  it("writes id, cluster and metadata as set, and the user agent name", () => {
    expect([...nodeMessage({ id: "n1", cluster: "c" })]).toEqual([
      ...ld(1, ascii("n1")),
      ...ld(2, ascii("c")),
      ...agent,
    ]);
    expect([...nodeMessage({ metadata: { k: "v" } })]).toEqual([
      ...ld(3, struct({ k: "v" })),
      ...agent,
    ]);
  });

  it("leaves out what is unset or empty", () => {
    expect([...nodeMessage({})]).toEqual(agent);
    expect([...nodeMessage({ id: "", cluster: "", metadata: {} })]).toEqual(agent);
  });
});

describe("metadataMessage (envoy.config.core.v3.Metadata)", () => {
  it("writes one filter_metadata entry per namespace, sorted", () => {
    expect([...metadataMessage({ zz: { a: 1 }, aa: {} })]).toEqual([
      ...ld(1, [...ld(1, ascii("aa")), ...ld(2, [])]),
      ...ld(1, [...ld(1, ascii("zz")), ...ld(2, struct({ a: 1 }))]),
    ]);
    expect([...metadataMessage({})]).toEqual([]);
  });
});

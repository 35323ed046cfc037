// The module reader's answers on well-formed modules written byte by byte: imports and exports
// of every kind, memory limits with their flags, custom sections wherever they sit, and
// LEB128 numbers of the full five bytes.

import { describe, expect, it } from "vitest";
import { type FuncType, readWasmModule } from "../../src/wasm/binary.ts";

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const section = (id: number, content: number[]) => [id, content.length, ...content];
const module = (...sections: number[][]) => Uint8Array.from([...HEADER, ...sections.flat()]);
const byteOf = (text: string) => text.charCodeAt(0);

/** Type section: one type, (i32) -> (). */
const I32_TO_NONE = section(1, [1, 0x60, 1, 0x7f, 0]);
const i32ToNone: FuncType = { params: ["i32"], results: [] };

describe("readWasmModule on well-formed hand-written modules", () => {
  it("reads an import of every kind, and an imported memory's limits", () => {
    const imports = section(2, [
      5,
      ...[1, byteOf("e"), 1, byteOf("f"), 0x00, 0], // function of type 0
      ...[1, byteOf("e"), 1, byteOf("t"), 0x01, 0x70, 0x00, 1], // table: funcref, min 1
      ...[1, byteOf("e"), 1, byteOf("m"), 0x02, 0x01, 1, 2], // memory: min 1, max 2
      ...[1, byteOf("e"), 1, byteOf("g"), 0x03, 0x7f, 1], // global: mutable i32
      ...[1, byteOf("e"), 1, byteOf("x"), 0x04, 0, 0], // tag: attribute 0, type 0
    ]);
    const info = readWasmModule(module(I32_TO_NONE, imports));
    expect(info.imports).toStrictEqual([
      { module: "e", name: "f", kind: "function", type: i32ToNone },
      { module: "e", name: "t", kind: "table" },
      { module: "e", name: "m", kind: "memory", memory: { min: 1, max: 2, shared: false } },
      { module: "e", name: "g", kind: "global" },
      { module: "e", name: "x", kind: "tag" },
    ]);
    expect(info.functions).toStrictEqual([i32ToNone]);
    expect(info.memories).toStrictEqual([{ min: 1, max: 2, shared: false, imported: true }]);
  });

  it("reads memory limits without a maximum, with one, and shared", () => {
    // memory section: flags 0x00 min 1; flags 0x01 min 1 max 3; flags 0x03 min 2 max 4
    const info = readWasmModule(module(section(5, [3, 0x00, 1, 0x01, 1, 3, 0x03, 2, 4])));
    expect(info.memories).toStrictEqual([
      { min: 1, shared: false, imported: false },
      { min: 1, max: 3, shared: false, imported: false },
      { min: 2, max: 4, shared: true, imported: false },
    ]);
  });

  it("reads an export of every kind; only a function's carries its type", () => {
    const exports = section(7, [
      5,
      ...[1, byteOf("f"), 0x00, 0], // function 0
      ...[1, byteOf("t"), 0x01, 0], // table 0
      ...[1, byteOf("m"), 0x02, 0], // memory 0
      ...[1, byteOf("g"), 0x03, 5], // global 5: globals are not read, so not range-checked
      ...[1, byteOf("x"), 0x04, 2], // tag 2: likewise
    ]);
    const info = readWasmModule(
      module(
        I32_TO_NONE,
        section(3, [1, 0]),
        section(5, [1, 0x00, 1]),
        exports,
        section(10, [1, 2, 0, 0x0b]),
      ),
    );
    expect(info.exports).toStrictEqual([
      { name: "f", kind: "function", index: 0, type: i32ToNone },
      { name: "t", kind: "table", index: 0 },
      { name: "m", kind: "memory", index: 0 },
      { name: "g", kind: "global", index: 5 },
      { name: "x", kind: "tag", index: 2 },
    ]);
  });

  it("reads custom sections before, between and after the others, in any number", () => {
    const custom = (name: string) => section(0, [1, byteOf(name), 0xaa]);
    const info = readWasmModule(
      module(
        custom("a"),
        I32_TO_NONE,
        custom("b"),
        custom("c"),
        section(3, [1, 0]),
        section(10, [1, 2, 0, 0x0b]),
        custom("d"),
        section(0, [1, byteOf("e")]), // a name that ends exactly where its section does
      ),
    );
    expect(info.types).toStrictEqual([i32ToNone]);
    expect(info.functions).toStrictEqual([i32ToNone]);
  });

  it("reads LEB128 numbers of the full five bytes", () => {
    // a memory of min 2^32 - 1 pages (0xff 0xff 0xff 0xff 0x0f), and a function whose type
    // index 0 takes five bytes (0x80 0x80 0x80 0x80 0x00)
    const info = readWasmModule(
      module(
        I32_TO_NONE,
        section(3, [1, 0x80, 0x80, 0x80, 0x80, 0x00]),
        section(5, [1, 0x00, 0xff, 0xff, 0xff, 0xff, 0x0f]),
        section(10, [1, 2, 0, 0x0b]),
      ),
    );
    expect(info.memories).toStrictEqual([{ min: 2 ** 32 - 1, shared: false, imported: false }]);
    expect(info.functions).toStrictEqual([i32ToNone]);
  });
});

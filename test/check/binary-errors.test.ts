// The module reader's answers byte by byte, on modules written by hand: every value type by
// name, and the exact problem (with its section and offset) for each kind of malformed input.

import { describe, expect, it } from "vitest";
import { readWasmModule, WasmFormatError } from "../../src/wasm/binary.ts";

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const section = (id: number, content: number[]) => [id, content.length, ...content];
const module = (...sections: number[][]) => Uint8Array.from([...HEADER, ...sections.flat()]);

const byteOf = (text: string) => text.charCodeAt(0);

function failure(bytes: Uint8Array): WasmFormatError {
  try {
    readWasmModule(bytes);
  } catch (e) {
    if (e instanceof WasmFormatError) return e;
    throw e;
  }
  throw new Error("read without an error");
}

describe("readWasmModule on hand-written modules", () => {
  it("names every value type", () => {
    const params = [0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f];
    const info = readWasmModule(module(section(1, [1, 0x60, params.length, ...params, 0])));
    expect(info.types).toEqual([
      { params: ["i32", "i64", "f32", "f64", "v128", "funcref", "externref"], results: [] },
    ]);
  });

  it("names an unknown value type with its byte and offset", () => {
    const e = failure(module(section(1, [1, 0x60, 1, 0x40, 0])));
    expect(e.problem).toBe("unknown value type 0x40");
    expect(e.section).toBe("type section");
    expect(e.offset).toBe(HEADER.length + 5);
  });

  it("names an unknown export kind with its byte", () => {
    const e = failure(module(section(7, [1, 1, 0x78, 0x05, 0])));
    expect(e.problem).toBe("unknown export kind 0x5");
    expect(e.section).toBe("export section");
    expect(e.offset).toBe(HEADER.length + 5);
  });

  it("says how many bytes a name announced and how many its section has left", () => {
    const e = failure(module(section(7, [1, 10, 0x78])));
    expect(e.problem).toBe("10 bytes announced but only 1 remain");
  });

  it("says by how much a section's content falls short of its declared size", () => {
    const e = failure(module(section(1, [1, 0x60, 0, 0, 0x00, 0x00])));
    expect(e.problem).toBe("section content ends 2 bytes before its declared size");
    expect(e.section).toBe("type section");
  });

  it("names itself and the header for input that is not wasm", () => {
    const e = failure(Uint8Array.from([0x00, 0x61, 0x73, 0x6e, 0x01, 0x00, 0x00, 0x00]));
    expect(e.name).toBe("WasmFormatError");
    expect(e.message).toBe(
      "malformed wasm in the header at byte 0 (0x0): not a wasm module (the magic bytes \\0asm are missing)",
    );
  });

  it.each([
    ["no bytes", []],
    ["\\0as cut short", [0x00, 0x61, 0x73]],
    ["a first byte of 1", [0x01, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]],
    ["\\0b", [0x00, 0x62, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]],
    ["\\0ar", [0x00, 0x61, 0x72, 0x6d, 0x01, 0x00, 0x00, 0x00]],
    ["\\0asn", [0x00, 0x61, 0x73, 0x6e, 0x01, 0x00, 0x00, 0x00]],
  ])("refuses magic bytes that are not \\0asm: %s", (_, bytes) => {
    const e = failure(Uint8Array.from(bytes));
    expect([e.section, e.offset, e.problem]).toEqual([
      "header",
      0,
      "not a wasm module (the magic bytes \\0asm are missing)",
    ]);
  });

  it.each([
    ["no version", []],
    ["a version cut short", [0x01, 0x00, 0x00]],
    ["version 2", [0x02, 0x00, 0x00, 0x00]],
    ["a second byte of 1", [0x01, 0x01, 0x00, 0x00]],
    ["a third byte of 1", [0x01, 0x00, 0x01, 0x00]],
    ["a fourth byte of 1", [0x01, 0x00, 0x00, 0x01]],
  ])("refuses a binary version other than 1: %s", (_, version) => {
    const e = failure(Uint8Array.from([...HEADER.slice(0, 4), ...version]));
    expect([e.section, e.offset, e.problem]).toEqual([
      "header",
      4,
      "unsupported binary version (expected 1)",
    ]);
  });

  it("names an unknown section id in the module", () => {
    const e = failure(module([14, 0]));
    expect([e.section, e.offset, e.problem]).toEqual(["module", 8, "unknown section id 14"]);
  });

  it("says how far a section's size runs past the end of the module", () => {
    // type section, size 10, two bytes of content
    const e = failure(module([1, 10, 0, 0]));
    expect([e.section, e.offset, e.problem]).toEqual([
      "type section",
      10,
      "section size 10 runs past the end of the module (2 bytes left)",
    ]);
  });

  it("says where the module ends inside a section's size", () => {
    // type section id, then a size whose LEB128 goes on past the last byte
    const e = failure(module([1, 0x80]));
    expect([e.section, e.offset, e.problem]).toEqual([
      "type section",
      10,
      "unexpected end of data",
    ]);
  });

  it("stops at a section's declared end even when more bytes follow", () => {
    // type section of 2 bytes: one type, form 0x60, and its parameters would begin at the
    // section's end (the function section that follows must not be read as them)
    const e = failure(module(section(1, [1, 0x60]), section(3, [1, 0])));
    expect([e.section, e.offset, e.problem]).toEqual([
      "type section",
      12,
      "unexpected end of data",
    ]);
  });

  it("refuses a five-byte LEB128 whose last byte holds bits past 32", () => {
    // function section: one function of type index 0x80 0x80 0x80 0x80 0x10 (2^32)
    const types = section(1, [1, 0x60, 0, 0]);
    const e = failure(module(types, section(3, [1, 0x80, 0x80, 0x80, 0x80, 0x10])));
    expect([e.section, e.offset, e.problem]).toEqual([
      "function section",
      17,
      "LEB128 value does not fit in 32 bits",
    ]);
  });

  it("names a name that is not UTF-8 at its length byte", () => {
    // export section: one export, a one-byte name 0xff
    const e = failure(module(section(7, [1, 1, 0xff, 0x03, 0])));
    expect([e.section, e.offset, e.problem]).toEqual([
      "export section",
      11,
      "name is not valid UTF-8",
    ]);
  });

  it("refuses a type index equal to the number of types", () => {
    const e = failure(module(section(1, [1, 0x60, 0, 0]), section(3, [1, 1])));
    expect([e.section, e.offset, e.problem]).toEqual([
      "function section",
      17,
      "type index 1 out of range (1 defined)",
    ]);
  });

  it("refuses 64-bit memory limits by name", () => {
    // memory section: one memory, flags 0x04 (memory64), min 1
    const e = failure(module(section(5, [1, 0x04, 1])));
    expect([e.section, e.offset, e.problem]).toEqual([
      "memory section",
      11,
      "64-bit (memory64) limits are not supported",
    ]);
  });

  it("names unknown limits flags with their byte", () => {
    const e = failure(module(section(5, [1, 0x08, 1])));
    expect([e.section, e.offset, e.problem]).toEqual([
      "memory section",
      11,
      "unknown limits flags 0x8",
    ]);
  });

  it("reads a custom section's name, and says when it is cut", () => {
    // custom section: a name announcing 5 bytes, 1 there
    const e = failure(module(section(0, [5, byteOf("a")])));
    expect([e.section, e.offset, e.problem]).toEqual([
      "custom section",
      11,
      "5 bytes announced but only 1 remain",
    ]);
  });

  it("names a duplicate export name at its second use", () => {
    // export section: globals 0 and 1, both exported as "a"
    const e = failure(module(section(7, [2, 1, byteOf("a"), 0x03, 0, 1, byteOf("a"), 0x03, 1])));
    expect([e.section, e.offset, e.problem]).toEqual([
      "export section",
      15,
      'duplicate export name "a"',
    ]);
  });

  it("refuses a start function that does not exist", () => {
    const e = failure(module(section(8, [0])));
    expect([e.section, e.offset, e.problem]).toEqual([
      "start section",
      10,
      "function index 0 out of range (0 defined)",
    ]);
  });

  it("refuses an exported function index past the functions", () => {
    // one type, one function, "f" exported as function 1, one body
    const e = failure(
      module(
        section(1, [1, 0x60, 0, 0]),
        section(3, [1, 0]),
        section(7, [1, 1, byteOf("f"), 0x00, 1]),
        section(10, [1, 2, 0, 0x0b]),
      ),
    );
    expect([e.section, e.offset, e.problem]).toEqual([
      "export section",
      24,
      "function index 1 out of range (1 defined)",
    ]);
  });

  it("refuses an exported memory index past the memories", () => {
    // one memory, "m" exported as memory 1
    const e = failure(module(section(5, [1, 0x00, 1]), section(7, [1, 1, byteOf("m"), 0x02, 1])));
    expect([e.section, e.offset, e.problem]).toEqual([
      "export section",
      19,
      "memory index 1 out of range (1 defined)",
    ]);
  });

  it("says how many function bodies came for how many functions", () => {
    const e = failure(
      module(
        section(1, [1, 0x60, 0, 0]),
        section(3, [1, 0]),
        section(10, [2, 2, 0, 0x0b, 2, 0, 0x0b]),
      ),
    );
    expect([e.section, e.offset, e.problem]).toEqual([
      "code section",
      20,
      "2 function bodies for 1 declared functions",
    ]);
  });

  it("says at the module's end that declared functions have no code section", () => {
    const bytes = module(section(1, [1, 0x60, 0, 0]), section(3, [1, 0]));
    const e = failure(bytes);
    expect([e.section, e.offset, e.problem]).toEqual([
      "module",
      bytes.length,
      "1 functions declared but the code section is missing",
    ]);
  });

  it("names a type form other than func", () => {
    const e = failure(module(section(1, [1, 0x5f, 0, 0])));
    expect([e.section, e.offset, e.problem]).toEqual([
      "type section",
      11,
      "unsupported type form 0x5f, only func types",
    ]);
  });

  describe("imports", () => {
    /** An import section of one import "e"."x" with `kind` and `rest` after it; the kind byte
     *  is at offset 15. */
    const oneImport = (kind: number, ...rest: number[]) =>
      section(2, [1, 1, byteOf("e"), 1, byteOf("x"), kind, ...rest]);

    it("names an unknown import kind with its byte", () => {
      const e = failure(module(oneImport(0x05)));
      expect([e.section, e.offset, e.problem]).toEqual([
        "import section",
        15,
        "unknown import kind 0x5",
      ]);
    });

    it("refuses a global mutability other than 0 or 1 at its byte", () => {
      // global, i32, mutability 2
      const e = failure(module(oneImport(0x03, 0x7f, 2)));
      expect([e.section, e.offset, e.problem]).toEqual([
        "import section",
        17,
        "global mutability must be 0 or 1",
      ]);
    });

    it("refuses a tag attribute other than 0 at its byte", () => {
      // tag, attribute 1, type 0
      const e = failure(module(section(1, [1, 0x60, 0, 0]), oneImport(0x04, 1, 0)));
      expect([e.section, e.offset, e.problem]).toEqual([
        "import section",
        22,
        "tag attribute must be 0",
      ]);
    });

    it("refuses a tag whose type does not exist", () => {
      // tag, attribute 0, type 0 of none
      const e = failure(module(oneImport(0x04, 0, 0)));
      expect([e.section, e.offset, e.problem]).toEqual([
        "import section",
        17,
        "type index 0 out of range (0 defined)",
      ]);
    });
  });
});

// The module reader's answers byte by byte, on modules written by hand: every value type by
// name, and the exact problem (with its section and offset) for each kind of malformed input.

import { describe, expect, it } from "vitest";
import { readWasmModule, WasmFormatError } from "../../src/wasm/binary.ts";

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const section = (id: number, content: number[]) => [id, content.length, ...content];
const module = (...sections: number[][]) => Uint8Array.from([...HEADER, ...sections.flat()]);

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
});

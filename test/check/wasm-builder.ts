// A tiny byte-level wasm builder for tests: types, imports, functions, memory, globals,
// exports, start and code sections. Function bodies return zeroes, so every module it builds
// also validates in a real engine.

import type { ValType } from "../../src/wasm/binary.ts";

const VALTYPE_BYTES: Record<ValType, number> = {
  i32: 0x7f,
  i64: 0x7e,
  f32: 0x7d,
  f64: 0x7c,
  v128: 0x7b,
  funcref: 0x70,
  externref: 0x6f,
};
/** `<type>.const 0` for each number type a body may have to return. */
const ZERO: Partial<Record<ValType, number[]>> = {
  i32: [0x41, 0x00],
  i64: [0x42, 0x00],
  f32: [0x43, 0, 0, 0, 0],
  f64: [0x44, 0, 0, 0, 0, 0, 0, 0, 0],
};
const KIND = { function: 0, table: 1, memory: 2, global: 3 } as const;

/** Unsigned LEB128. */
export function leb128(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  do {
    const low = rest % 128;
    rest = Math.floor(rest / 128);
    out.push(rest > 0 ? low | 0x80 : low);
  } while (rest > 0);
  return out;
}

const utf8 = new TextEncoder();
const name = (text: string) => {
  const bytes = [...utf8.encode(text)];
  return [...leb128(bytes.length), ...bytes];
};
const vec = (items: number[][]) => [...leb128(items.length), ...items.flat()];
const section = (id: number, content: number[]) => [id, ...leb128(content.length), ...content];

export interface Signature {
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
}

export class WasmBuilder {
  private readonly types: Signature[] = [];
  private readonly imports: number[][] = [];
  private importedFunctions = 0;
  private readonly functions: number[] = [];
  private readonly bodies: number[][] = [];
  private readonly memories: number[][] = [];
  private readonly globals: number[][] = [];
  private readonly exports: number[][] = [];
  private startFunction: number | undefined;

  /** Imports a function; call before `func`, as imports come first in the index space. */
  importFunc(module: string, field: string, params: ValType[], results: ValType[] = []): number {
    if (this.functions.length) throw new Error("import functions before defining any");
    this.imports.push([
      ...name(module),
      ...name(field),
      KIND.function,
      ...leb128(this.typeIndex({ params, results })),
    ]);
    return this.importedFunctions++;
  }

  importMemory(module: string, field: string, minPages = 1): this {
    this.imports.push([...name(module), ...name(field), KIND.memory, 0x00, ...leb128(minPages)]);
    return this;
  }

  /** Imports a funcref table with no minimum size. */
  importTable(module: string, field: string): this {
    this.imports.push([
      ...name(module),
      ...name(field),
      KIND.table,
      VALTYPE_BYTES.funcref,
      0x00,
      0x00,
    ]);
    return this;
  }

  importGlobal(module: string, field: string): this {
    this.imports.push([...name(module), ...name(field), KIND.global, VALTYPE_BYTES.i32, 0x00]);
    return this;
  }

  /** Defines a function returning zeroes; optionally exports it. Returns its index. */
  func(params: ValType[], results: ValType[] = [], exportAs?: string): number {
    const index = this.importedFunctions + this.functions.length;
    this.functions.push(this.typeIndex({ params, results }));
    const body = [0x00, ...results.flatMap((t) => ZERO[t] ?? []), 0x0b];
    this.bodies.push([...leb128(body.length), ...body]);
    if (exportAs !== undefined) this.export(exportAs, "function", index);
    return index;
  }

  /** Defines a function whose body is `code` (instructions without locals or the final
   *  `end`); optionally exports it. Returns its index. */
  code(params: ValType[], results: ValType[], code: number[], exportAs?: string): number {
    const index = this.importedFunctions + this.functions.length;
    this.functions.push(this.typeIndex({ params, results }));
    const body = [0x00, ...code, 0x0b];
    this.bodies.push([...leb128(body.length), ...body]);
    if (exportAs !== undefined) this.export(exportAs, "function", index);
    return index;
  }

  /** Defines a memory, exported as `exportAs` (`null`: not exported). */
  memory(minPages = 1, exportAs: string | null = "memory"): this {
    const index = this.memories.length;
    this.memories.push([0x00, ...leb128(minPages)]);
    if (exportAs !== null) this.export(exportAs, "memory", index);
    return this;
  }

  /** An immutable i32 global set to 0. */
  global(exportAs?: string): this {
    const index = this.globals.length;
    this.globals.push([VALTYPE_BYTES.i32, 0x00, 0x41, 0x00, 0x0b]);
    if (exportAs !== undefined) this.export(exportAs, "global", index);
    return this;
  }

  /** A mutable i32 global starting at `value` (0 to 8191); returns its index. */
  mutableGlobal(value: number): number {
    if (value < 0 || value > 8191) throw new Error(`mutableGlobal: ${value} is out of range`);
    const init = value < 64 ? [value] : [(value & 0x7f) | 0x80, value >> 7];
    this.globals.push([VALTYPE_BYTES.i32, 0x01, 0x41, ...init, 0x0b]);
    return this.globals.length - 1;
  }

  export(exportName: string, kind: keyof typeof KIND, index: number): this {
    this.exports.push([...name(exportName), KIND[kind], ...leb128(index)]);
    return this;
  }

  start(functionIndex: number): this {
    this.startFunction = functionIndex;
    return this;
  }

  build(): Uint8Array {
    const encodeType = (t: Signature) => [
      0x60,
      ...vec(t.params.map((p) => [VALTYPE_BYTES[p]])),
      ...vec(t.results.map((r) => [VALTYPE_BYTES[r]])),
    ];
    const sections = [
      this.types.length && section(1, vec(this.types.map(encodeType))),
      this.imports.length && section(2, vec(this.imports)),
      this.functions.length && section(3, vec(this.functions.map((t) => leb128(t)))),
      this.memories.length && section(5, vec(this.memories)),
      this.globals.length && section(6, vec(this.globals)),
      this.exports.length && section(7, vec(this.exports)),
      this.startFunction !== undefined && section(8, leb128(this.startFunction)),
      this.bodies.length && section(10, vec(this.bodies)),
    ];
    const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    return Uint8Array.from([...header, ...sections.flatMap((s) => s || [])]);
  }

  private typeIndex(sig: Signature): number {
    const key = (t: Signature) => `${t.params.join(",")}->${t.results.join(",")}`;
    const found = this.types.findIndex((t) => key(t) === key(sig));
    if (found >= 0) return found;
    this.types.push(sig);
    return this.types.length - 1;
  }
}

export interface FuncSpec {
  readonly module?: string;
  readonly name: string;
  readonly params: ValType[];
  readonly results?: ValType[];
}

/** `n` i32 parameters or results. */
export const I32x = (n: number): ValType[] => Array<"i32">(n).fill("i32");

/** wasi_snapshot_preview1.poll_oneoff: linked by current Envoy, missing from older releases
 *  (the check warns on it and passes). */
export const POLL_ONEOFF: FuncSpec = {
  module: "wasi_snapshot_preview1",
  name: "poll_oneoff",
  params: I32x(4),
  results: ["i32"],
};

export interface FilterModuleOptions {
  /** Function imports added after the standard env.proxy_log and fd_write. */
  readonly imports?: readonly FuncSpec[];
  /** Names of standard exports to leave out. */
  readonly without?: readonly string[];
  /** Function exports added after the standard ones. */
  readonly exports?: readonly FuncSpec[];
}

/**
 * A builder holding the smallest module Envoy accepts as an ABI 0.2.1 HTTP filter: imports
 * env.proxy_log and wasi_snapshot_preview1.fd_write; exports memory, the ABI marker, malloc,
 * proxy_on_memory_allocate, _initialize and proxy_on_request_headers. Fresh on every call.
 */
export function filterModule(options: FilterModuleOptions = {}): WasmBuilder {
  const b = new WasmBuilder();
  const imports: FuncSpec[] = [
    { module: "env", name: "proxy_log", params: ["i32", "i32", "i32"], results: ["i32"] },
    {
      module: "wasi_snapshot_preview1",
      name: "fd_write",
      params: ["i32", "i32", "i32", "i32"],
      results: ["i32"],
    },
    ...(options.imports ?? []),
  ];
  for (const i of imports) b.importFunc(i.module ?? "env", i.name, i.params, i.results);
  const without = new Set(options.without);
  if (!without.has("memory")) b.memory(1);
  const standard: FuncSpec[] = [
    { name: "proxy_abi_version_0_2_1", params: [] },
    { name: "malloc", params: ["i32"], results: ["i32"] },
    { name: "proxy_on_memory_allocate", params: ["i32"], results: ["i32"] },
    { name: "_initialize", params: [] },
    { name: "proxy_on_request_headers", params: ["i32", "i32", "i32"], results: ["i32"] },
  ];
  for (const e of [...standard.filter((s) => !without.has(s.name)), ...(options.exports ?? [])]) {
    b.func(e.params, e.results, e.name);
  }
  return b;
}

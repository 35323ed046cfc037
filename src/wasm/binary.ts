// A strict reader for the sections of a wasm binary that decide whether a proxy-wasm module
// links: type, import, function, memory, export and start (plus the code section's count).
//
// Hand-written rather than a dependency: it is a couple of hundred lines, and
// `WebAssembly.Module.imports()` gives names and kinds but no function signatures, while a
// signature that differs from the host's is exactly what Envoy rejects ("import type
// mismatch"). Strict on purpose: magic, version, LEB128 bounds, section order, sizes and
// indices are validated, and anything malformed throws a WasmFormatError naming the byte
// offset and the section.

export type ValType = "i32" | "i64" | "f32" | "f64" | "v128" | "funcref" | "externref";
export type ExternKind = "function" | "table" | "memory" | "global" | "tag";

export interface FuncType {
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
}

/** Memory limits in 64 KiB pages. */
export interface MemoryLimits {
  readonly min: number;
  readonly max?: number;
  readonly shared: boolean;
}

export interface WasmImport {
  readonly module: string;
  readonly name: string;
  readonly kind: ExternKind;
  /** Set for function imports. */
  readonly type?: FuncType;
  /** Set for memory imports. */
  readonly memory?: MemoryLimits;
}

export interface WasmExport {
  readonly name: string;
  readonly kind: ExternKind;
  /** Index into the kind's index space (imports first). */
  readonly index: number;
  /** Set for function exports. */
  readonly type?: FuncType;
}

export interface WasmMemory extends MemoryLimits {
  readonly imported: boolean;
}

export interface WasmModuleInfo {
  readonly types: readonly FuncType[];
  readonly imports: readonly WasmImport[];
  readonly exports: readonly WasmExport[];
  /** The function index space: imported functions first, then the module's own. */
  readonly functions: readonly FuncType[];
  /** The memory index space: imported memories first. */
  readonly memories: readonly WasmMemory[];
  /** Function index of the start section, or null when the module has none. */
  readonly start: number | null;
}

/** Thrown for any malformed input; `offset` is the byte where reading failed. */
export class WasmFormatError extends Error {
  constructor(
    readonly offset: number,
    readonly section: string,
    readonly problem: string,
  ) {
    super(
      `malformed wasm in the ${section} at byte ${offset} (0x${offset.toString(16)}): ${problem}`,
    );
    this.name = "WasmFormatError";
  }
}

/** Section names by id: "type section", "import section", ... */
const SECTION_NAMES =
  "custom type import function table memory global export start element code data data-count tag"
    .split(" ")
    .map((name) => `${name} section`);
/** Required order of the non-custom sections (the tag section sits between memory and global). */
const SECTION_ORDER = [1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11];
const VAL_TYPES = new Map<number, ValType>([
  [0x7f, "i32"],
  [0x7e, "i64"],
  [0x7d, "f32"],
  [0x7c, "f64"],
  [0x7b, "v128"],
  [0x70, "funcref"],
  [0x6f, "externref"],
]);
const MAGIC = [0x00, 0x61, 0x73, 0x6d];
const VERSION = [0x01, 0x00, 0x00, 0x00];
const EXTERN_KINDS: readonly ExternKind[] = ["function", "table", "memory", "global", "tag"];
const utf8 = new TextDecoder("utf-8", { fatal: true });

class Reader {
  pos = 0;
  /** Where reading must stop: the end of the section being read (set for each section). */
  end = 0;
  section = "header";

  constructor(private readonly bytes: Uint8Array) {}

  fail(problem: string, at = this.pos): never {
    throw new WasmFormatError(at, this.section, problem);
  }

  byte(): number {
    if (this.pos >= this.end) this.fail("unexpected end of data");
    // A section's size is checked against the input, so end never passes its last byte.
    return this.bytes[this.pos++] as number;
  }

  /** Unsigned LEB128, at most 5 bytes, value below 2^32. */
  u32(): number {
    const start = this.pos;
    let value = 0;
    // No bound on i: the fifth byte either ends the number or fails.
    for (let i = 0; ; i++) {
      const b = this.byte();
      if (i === 4 && (b & 0xf0) !== 0) this.fail("LEB128 value does not fit in 32 bits", start);
      value += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) return value;
    }
  }

  take(length: number): Uint8Array {
    if (length > this.end - this.pos) {
      this.fail(`${length} bytes announced but only ${this.end - this.pos} remain`);
    }
    this.pos += length;
    return this.bytes.subarray(this.pos - length, this.pos);
  }

  name(): string {
    const at = this.pos;
    const raw = this.take(this.u32());
    try {
      return utf8.decode(raw);
    } catch {
      return this.fail("name is not valid UTF-8", at);
    }
  }

  valType(): ValType {
    const at = this.pos;
    const b = this.byte();
    return VAL_TYPES.get(b) ?? this.fail(`unknown value type 0x${b.toString(16)}`, at);
  }

  index(count: number, what: string): number {
    const at = this.pos;
    const i = this.u32();
    if (i >= count) this.fail(`${what} index ${i} out of range (${count} defined)`, at);
    return i;
  }

  limits(): MemoryLimits {
    const at = this.pos;
    const flags = this.byte();
    if (flags & 0x04) this.fail("64-bit (memory64) limits are not supported", at);
    if (flags & ~0x03) this.fail(`unknown limits flags 0x${flags.toString(16)}`, at);
    const min = this.u32();
    return flags & 0x01
      ? { min, max: this.u32(), shared: !!(flags & 0x02) }
      : { min, shared: !!(flags & 0x02) };
  }

  vec<T>(read: () => T): T[] {
    const count = this.u32();
    const items: T[] = [];
    for (let i = 0; i < count; i++) items.push(read());
    return items;
  }
}

/** Reads the linkage-relevant parts of a wasm binary; throws WasmFormatError on malformed input. */
export function readWasmModule(bytes: Uint8Array): WasmModuleInfo {
  const r = new Reader(bytes);
  // A byte past the end of a short input is undefined, which matches no expected byte.
  const holds = (at: number, expected: readonly number[]) =>
    expected.every((b, i) => bytes[at + i] === b);
  if (!holds(0, MAGIC)) r.fail("not a wasm module (the magic bytes \\0asm are missing)", 0);
  if (!holds(4, VERSION)) r.fail("unsupported binary version (expected 1)", 4);
  r.pos = MAGIC.length + VERSION.length;

  const types: FuncType[] = [];
  const imports: WasmImport[] = [];
  const exports: WasmExport[] = [];
  const functions: FuncType[] = [];
  const memories: WasmMemory[] = [];
  let start: number | null = null;
  let ownFunctions = 0;
  let sawCode = false;
  let lastRank = -1;

  while (r.pos < bytes.length) {
    r.section = "module";
    r.end = bytes.length;
    const idAt = r.pos;
    const id = r.byte();
    const section = SECTION_NAMES[id] ?? r.fail(`unknown section id ${id}`, idAt);
    r.section = section;
    const size = r.u32();
    if (size > bytes.length - r.pos) {
      r.fail(
        `section size ${size} runs past the end of the module (${bytes.length - r.pos} bytes left)`,
      );
    }
    const sectionEnd = r.pos + size;
    r.end = sectionEnd;
    if (id !== 0) {
      const rank = SECTION_ORDER.indexOf(id);
      if (rank <= lastRank) r.fail("section is duplicated or out of order", idAt);
      lastRank = rank;
    }

    switch (id) {
      case 1:
        for (const type of r.vec(() => readFuncType(r))) types.push(type);
        break;
      case 2:
        for (const imp of r.vec(() => readImport(r, types, functions, memories))) imports.push(imp);
        break;
      case 3: {
        const own = r.vec(() => types[r.index(types.length, "type")] as FuncType);
        ownFunctions = own.length;
        for (const type of own) functions.push(type);
        break;
      }
      case 5:
        for (const limits of r.vec(() => r.limits())) memories.push({ ...limits, imported: false });
        break;
      case 7: {
        const seen = new Set<string>();
        r.vec(() => {
          const at = r.pos;
          const name = r.name();
          if (seen.has(name)) r.fail(`duplicate export name "${name}"`, at);
          seen.add(name);
          exports.push(readExportDesc(r, name, functions, memories));
        });
        break;
      }
      case 8:
        start = r.index(functions.length, "function");
        break;
      case 10: {
        const at = r.pos;
        const bodies = r.u32();
        if (bodies !== ownFunctions) {
          r.fail(`${bodies} function bodies for ${ownFunctions} declared functions`, at);
        }
        sawCode = true;
        r.pos = sectionEnd;
        break;
      }
      default:
        // Custom, table, global, element, data, data count and tag sections: not needed for
        // linkage. A custom section must still start with a readable name.
        if (id === 0) r.name();
        r.pos = sectionEnd;
    }
    if (r.pos !== sectionEnd) {
      r.fail(`section content ends ${sectionEnd - r.pos} bytes before its declared size`);
    }
  }
  if (ownFunctions > 0 && !sawCode) {
    r.section = "module";
    r.fail(`${ownFunctions} functions declared but the code section is missing`, bytes.length);
  }
  return { types, imports, exports, functions, memories, start };
}

function readFuncType(r: Reader): FuncType {
  const at = r.pos;
  const form = r.byte();
  if (form !== 0x60) r.fail(`unsupported type form 0x${form.toString(16)}, only func types`, at);
  return { params: r.vec(() => r.valType()), results: r.vec(() => r.valType()) };
}

function readExportDesc(
  r: Reader,
  name: string,
  functions: readonly FuncType[],
  memories: readonly WasmMemory[],
): WasmExport {
  const at = r.pos;
  const kindByte = r.byte();
  const kind =
    EXTERN_KINDS[kindByte] ?? r.fail(`unknown export kind 0x${kindByte.toString(16)}`, at);
  if (kind === "function") {
    const index = r.index(functions.length, "function");
    return { name, kind, index, type: functions[index] as FuncType };
  }
  // Tables, globals and tags are not read, so only memory indices can be range-checked.
  const index = kind === "memory" ? r.index(memories.length, "memory") : r.u32();
  return { name, kind, index };
}

function readImport(
  r: Reader,
  types: FuncType[],
  functions: FuncType[],
  memories: WasmMemory[],
): WasmImport {
  const module = r.name();
  const name = r.name();
  const at = r.pos;
  const kindByte = r.byte();
  const kind =
    EXTERN_KINDS[kindByte] ?? r.fail(`unknown import kind 0x${kindByte.toString(16)}`, at);
  switch (kind) {
    case "function": {
      const type = types[r.index(types.length, "type")] as FuncType;
      functions.push(type);
      return { module, name, kind, type };
    }
    case "table":
      r.valType();
      r.limits();
      return { module, name, kind };
    case "memory": {
      const memory = r.limits();
      memories.push({ ...memory, imported: true });
      return { module, name, kind, memory };
    }
    case "global":
      r.valType();
      if (r.byte() > 1) r.fail("global mutability must be 0 or 1", r.pos - 1);
      return { module, name, kind };
    case "tag":
      if (r.byte() !== 0) r.fail("tag attribute must be 0", r.pos - 1);
      r.index(types.length, "type");
      return { module, name, kind };
  }
}

/** True when two function types have the same parameters and results. */
export function sameFuncType(a: FuncType, b: FuncType): boolean {
  const same = (x: readonly ValType[], y: readonly ValType[]) =>
    x.length === y.length && x.every((t, i) => t === y[i]);
  return same(a.params, b.params) && same(a.results, b.results);
}

/** `(i32, i64) -> i32`; runs of three or more equal types are counted: `(12 x i32) -> i32`. */
export function formatFuncType(type: FuncType): string {
  const list = (types: readonly ValType[]) => {
    const parts: string[] = [];
    for (let i = 0; i < types.length; ) {
      let run = 1;
      while (types[i + run] === types[i]) run++;
      parts.push(run >= 3 ? `${run} x ${types[i]}` : Array(run).fill(types[i]).join(", "));
      i += run;
    }
    return `(${parts.join(", ")})`;
  };
  return `${list(type.params)} -> ${type.results.length === 1 ? type.results[0] : list(type.results)}`;
}

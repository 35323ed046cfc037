// Compiles one AssemblyScript test driver from harness/ with the project's compiler and
// instantiates it: the way the vitest suites reach the building blocks. `buffersOf` writes
// inputs into a driver and reads its result (harness/buffers.ts is the driver's side).

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { asc } from "../../../src/build/asc.ts";
import { WA, type WasmMemory } from "../../../src/testing/wasm-api.ts";

/** Instantiates harness/<name>.ts. Unoptimized (a third of the compile time) unless
 *  LIB_O3=1, which builds it as filters are built (for measuring speed). */
export async function loadHarness<T extends { memory: WasmMemory }>(name: string): Promise<T> {
  const here = dirname(fileURLToPath(import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), `meshwasm-${name}-`));
  try {
    const outFile = join(dir, `${name}.wasm`);
    let output = "";
    const sink = {
      write(chunk: string | Uint8Array) {
        output += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
        return true;
      },
    };
    const entry = resolve(here, "harness", `${name}.ts`);
    const optimize = process.env.LIB_O3 ? ["-O3"] : [];
    // Our own asconfig: the project's (found by default) aliases abort/trace/seed to the
    // SDK's proxy-wasm shims, which these host-free drivers do not link.
    const config = resolve(here, "harness", "asconfig.json");
    const args = [entry, "--config", config, "--outFile", outFile, ...optimize];
    args.push("--runtime", "incremental");
    args.push("--noColors");
    const result = await asc.main(args, { stdout: sink, stderr: sink });
    if (result.error) throw new Error(`compiling harness/${name}.ts failed:\n${output}`);
    const module = await WA.compile(readFileSync(outFile));
    const instance = new WA.Instance(module, {
      env: {
        abort(_msg: number, _file: number, line: number, column: number) {
          throw new Error(`harness/${name}.ts aborted at ${line}:${column}`);
        },
        seed: () => 1,
        trace: () => {},
      },
    });
    return instance.exports as unknown as T;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The exports of harness/buffers.ts, which the drivers re-export. */
export interface BufferExports {
  memory: WasmMemory;
  reserve(size: number): number;
  reserveSecond(size: number): number;
  resultPtr(): number;
  resultLength(): number;
}

/** Writing a driver's inputs and reading its result. */
export interface Buffers {
  /** The bytes become the driver's input. */
  put(bytes: Uint8Array): void;
  /** The bytes become the driver's second input. */
  putSecond(bytes: Uint8Array): void;
  /** The text's UTF-16 code units (little-endian) become the input. */
  putUtf16(text: string): void;
  /** A copy of the driver's last result. */
  result(): Buffer;
}

export function buffersOf(x: BufferExports): Buffers {
  const write = (ptr: number, bytes: Uint8Array) =>
    new Uint8Array(x.memory.buffer, ptr, bytes.length).set(bytes);
  return {
    put: (bytes) => write(x.reserve(bytes.length), bytes),
    putSecond: (bytes) => write(x.reserveSecond(bytes.length), bytes),
    putUtf16(text) {
      // Reserved first: reserving may grow the memory, which detaches the old buffer.
      const ptr = x.reserve(text.length * 2);
      const view = new DataView(x.memory.buffer, ptr, text.length * 2);
      for (let i = 0; i < text.length; i++) view.setUint16(i * 2, text.charCodeAt(i), true);
    },
    result: () => Buffer.from(new Uint8Array(x.memory.buffer, x.resultPtr(), x.resultLength())),
  };
}

// Compiles an AssemblyScript filter to a proxy-wasm module that loads in Envoy.
//
// The flags are what make a module Envoy-clean: `--exportStart _initialize` so top-level
// code runs in the host's start call instead of at instantiation, and `--use` aliases that
// send AssemblyScript's hidden imports (abort, trace, seed) to the SDK's replacements.

import { existsSync } from "node:fs";
import { mkdir, stat } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { asc } from "./asc.ts";

/** Optimization presets. O3 was chosen by measurement (see README "Build choices"). */
export type OptimizeLevel = "O3" | "Oz" | "O2" | "Os" | "none";
/** AssemblyScript runtime variants. */
export type RuntimeVariant = "incremental" | "minimal" | "stub";

export interface CompileOptions {
  /** The filter's entry file (it must `export *` from the SDK's exports module). */
  entry: string;
  /** Where to write the `.wasm`. */
  outFile: string;
  optimize?: OptimizeLevel;
  runtime?: RuntimeVariant;
  /** Also write the text format next to the module. */
  text?: boolean;
  /** Keep debug names (bigger module, readable traps). */
  debug?: boolean;
  /** The project folder that `entry` and `outFile` are relative to (default: the working
   *  directory). */
  baseDir?: string;
}

export interface CompileResult {
  outFile: string;
  bytes: number;
  millis: number;
}

export const DEFAULT_OPTIMIZE: OptimizeLevel = "O3";
export const DEFAULT_RUNTIME: RuntimeVariant = "incremental";

/** The SDK's `assembly/` folder, wherever this package is installed. */
export function sdkAssemblyDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "assembly");
}

/**
 * The compiler's internal path of the SDK's panic module. In a project that depends on
 * meshwasm (installed or linked under node_modules/meshwasm) the compiler knows it as
 * `~lib/meshwasm/...`; in this repository it is a path relative to the project folder.
 */
export function panicModulePath(baseDir: string = process.cwd()): string {
  const dependency = join(baseDir, "node_modules", "meshwasm", "assembly", "internal", "panic.ts");
  if (existsSync(dependency)) return "~lib/meshwasm/assembly/internal/panic";
  const rel = relative(baseDir, resolve(sdkAssemblyDir(), "internal", "panic"))
    .split(sep)
    .join("/");
  const marker = "node_modules/";
  const at = rel.lastIndexOf(marker);
  return at >= 0 ? `~lib/${rel.slice(at + marker.length)}` : rel;
}

/** The asc arguments for a filter build. */
export function compilerArgs(options: CompileOptions): string[] {
  const optimize = options.optimize ?? DEFAULT_OPTIMIZE;
  const runtime = options.runtime ?? DEFAULT_RUNTIME;
  const panic = panicModulePath(options.baseDir);
  const args = [
    options.entry,
    "--outFile",
    options.outFile,
    "--runtime",
    runtime,
    "--exportStart",
    "_initialize",
    "--use",
    `abort=${panic}/meshwasmAbort`,
    "--use",
    `trace=${panic}/meshwasmTrace`,
    "--use",
    `seed=${panic}/meshwasmSeed`,
    "--noColors",
  ];
  if (options.baseDir) args.push("--baseDir", options.baseDir);
  if (optimize !== "none") {
    // --converge would shrink modules by under 1% for twice the compile time.
    args.push(`-${optimize}`);
  }
  if (options.debug) args.push("--debug");
  if (options.text) args.push("--textFile", options.outFile.replace(/\.wasm$/, ".wat"));
  return args;
}

/** Compiles one filter; rejects with the compiler's diagnostics on failure. */
export async function compileFilter(options: CompileOptions): Promise<CompileResult> {
  const outPath = resolve(options.baseDir ?? ".", options.outFile);
  await mkdir(dirname(outPath), { recursive: true });
  const started = performance.now();
  let output = "";
  const sink = {
    write(chunk: string | Uint8Array) {
      output += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
      return true;
    },
  };
  const result = await asc.main(compilerArgs(options), { stdout: sink, stderr: sink });
  if (result.error) {
    throw new Error(`compiling ${options.entry} failed:\n${output.trim() || result.error.message}`);
  }
  const { size } = await stat(outPath);
  return { outFile: options.outFile, bytes: size, millis: performance.now() - started };
}

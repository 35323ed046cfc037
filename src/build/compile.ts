// Compiles an AssemblyScript filter to a proxy-wasm module that loads in Envoy.
//
// The settings that make a module Envoy-clean live in the package's `asconfig.json` (so a
// plain `asc --config node_modules/meshwasm/asconfig.json` builds the same module):
// `exportStart: _initialize`, so top-level code runs in the host's start call instead of at
// instantiation, and `use` aliases that send AssemblyScript's hidden imports (abort, trace,
// seed) to the SDK's replacements, which the SDK declares `@global` so the aliases need no
// path. This module adds the entry, the output file, the optional overrides and the transform
// that leaves unused per-stream callbacks out of the exports (transform/exports.mjs; a plain
// asc build exports every callback unless given `--transform meshwasm/transform`).

import { existsSync, readFileSync } from "node:fs";
import { mkdir, readFile, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
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
  /** Check the bounds of every array and buffer access, also those written `unchecked()`
   *  (asc `--uncheckedBehavior never`): a size off by one then traps instead of writing onto
   *  the next block of the heap. For test builds; the checks cost time on the hot path. */
  boundsChecked?: boolean;
  /** The project folder that `entry` and `outFile` are relative to (default: the working
   *  directory). */
  baseDir?: string;
  /** Export every proxy-wasm callback, also the per-stream HTTP ones the filter does not use
   *  (by default they are left out, so Envoy does not enter the VM for them; see
   *  transform/exports.mjs). */
  exportAll?: boolean;
  /** Also leave out these per-stream callbacks (bits in the order of the SDK's StreamCallbacks),
   *  which the configuration the module is built for does not need; the module then refuses a
   *  configuration that needs one (see for-config.ts). Not with exportAll. */
  prunedCallbacks?: number;
}

export interface CompileResult {
  outFile: string;
  bytes: number;
  millis: number;
  /** Warnings the compiler reported (errors reject instead). */
  warnings: Diagnostic[];
}

/** One compiler message, with the place it points at when it has one. */
export interface Diagnostic {
  category: "error" | "warning" | "info";
  /** AssemblyScript's diagnostic code, e.g. 2304 for "Cannot find name". */
  code: number;
  message: string;
  /** The compiler's path of the file (relative to the project, or `~lib/...`). */
  file?: string;
  /** 1-based line and column. */
  line?: number;
  column?: number;
}

/** A failed compile; `diagnostics` holds every message, errors first. */
export class CompileError extends Error {
  /** What to show: each error as file:line:column text, or the compiler's output when it
   *  reported none. */
  readonly errors: string[];

  constructor(
    readonly entry: string,
    readonly diagnostics: Diagnostic[],
    readonly output: string,
  ) {
    const errors = diagnostics.filter((d) => d.category === "error");
    const lines = errors.length > 0 ? errors.map(formatDiagnostic) : [output.trim()];
    super(`compiling ${entry} failed:\n${lines.join("\n")}`);
    this.name = "CompileError";
    this.errors = lines;
  }
}

export const DEFAULT_OPTIMIZE: OptimizeLevel = "O3";
export const DEFAULT_RUNTIME: RuntimeVariant = "minimal";

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The package's `asconfig.json`: the SDK's build settings. */
export const ASCONFIG_PATH: string = join(packageRoot, "asconfig.json");

/** The compiler transform that leaves unused per-stream callbacks out of the exports. */
export const PRUNE_EXPORTS_TRANSFORM: string = join(packageRoot, "transform", "exports.mjs");

/** The SDK's `assembly/` folder, wherever this package is installed. */
export function sdkAssemblyDir(): string {
  return join(packageRoot, "assembly");
}

/** `file:line:column: error TS2304: message`, the shape editors and terminals link. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.file ? `${d.file}${d.line ? `:${d.line}:${d.column ?? 1}` : ""}: ` : "";
  return `${where}${d.category} TS${d.code}: ${d.message}`;
}

/** The asc arguments for a filter build. */
export function compilerArgs(options: CompileOptions): string[] {
  const optimize = options.optimize ?? DEFAULT_OPTIMIZE;
  const args = [
    options.entry,
    "--config",
    ASCONFIG_PATH,
    "--target",
    "release",
    "--outFile",
    options.outFile,
    "--noColors",
  ];
  if (options.runtime && options.runtime !== DEFAULT_RUNTIME)
    args.push("--runtime", options.runtime);
  if (options.baseDir) args.push("--baseDir", options.baseDir);
  // The release target is -O3; other presets override it, "none" turns optimization off.
  if (optimize === "none") args.push("--optimizeLevel", "0", "--shrinkLevel", "0");
  else if (optimize !== DEFAULT_OPTIMIZE) args.push(`-${optimize}`);
  if (options.debug) args.push("--debug");
  if (options.boundsChecked) args.push("--uncheckedBehavior", "never");
  if (!options.exportAll) args.push("--transform", PRUNE_EXPORTS_TRANSFORM);
  if (options.prunedCallbacks !== undefined) {
    if (options.exportAll)
      throw new Error("prunedCallbacks: not with exportAll (nothing is pruned)");
    args.push("--use", `MESHWASM_PRUNED_CALLBACKS=${options.prunedCallbacks}`);
  }
  if (options.text) args.push("--textFile", options.outFile.replace(/\.wasm$/, ".wat"));
  return args;
}

const CATEGORIES: Record<number, Diagnostic["category"]> = { 1: "info", 2: "warning", 3: "error" };

export interface RawDiagnostic {
  code: number;
  category: number;
  message: string;
  range: { start: number; source: { normalizedPath: string } } | null;
}

/**
 * The file on disk behind a compiler path: project files are relative to `baseDir`, packages
 * are `~lib/<package>/...` under node_modules, the standard library (`~lib/rt/...`) has none.
 */
function sourceFile(normalizedPath: string, baseDir: string): string | undefined {
  if (!normalizedPath.startsWith("~lib/")) return resolve(baseDir, normalizedPath);
  const inPackage = normalizedPath.slice("~lib/".length);
  const candidate = join(baseDir, "node_modules", inPackage);
  return existsSync(candidate) ? candidate : undefined;
}

/** A compiler diagnostic as a Diagnostic, with its 1-based line and column where the file behind
 *  it can be read (`texts` caches the files read). */
export function toDiagnostic(
  message: RawDiagnostic,
  baseDir: string,
  texts: Map<string, string>,
): Diagnostic {
  const d: Diagnostic = {
    category: CATEGORIES[message.category] ?? "info",
    code: message.code,
    message: message.message,
  };
  const range = message.range;
  if (range) {
    d.file = range.source.normalizedPath;
    const path = sourceFile(d.file, baseDir);
    let text = path ? texts.get(path) : undefined;
    if (path && text === undefined && existsSync(path)) {
      text = readFileSync(path, "utf8");
      texts.set(path, text);
    }
    if (text !== undefined) {
      const before = text.slice(0, range.start);
      d.line = before.split("\n").length;
      d.column = range.start - before.lastIndexOf("\n");
    }
  }
  return d;
}

/** The diagnostics with the errors first, each kind in the order reported. */
export function errorsFirst(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) => Number(b.category === "error") - Number(a.category === "error"),
  );
}

/** Compiles one filter; rejects with a `CompileError` listing file:line diagnostics. */
export async function compileFilter(options: CompileOptions): Promise<CompileResult> {
  // Stryker disable next-line StringLiteral: equivalent, resolve treats "" as it treats "." (the working directory)
  const outPath = resolve(options.baseDir ?? ".", options.outFile);
  await mkdir(dirname(outPath), { recursive: true });
  const started = performance.now();
  let output = "";
  const diagnostics: Diagnostic[] = [];
  // Stryker disable next-line StringLiteral: equivalent, as above
  const baseDir = resolve(options.baseDir ?? ".");
  const texts = new Map<string, string>();
  const sink = {
    write(chunk: string | Uint8Array) {
      // Stryker disable next-line ConditionalExpression,EqualityOperator,StringLiteral: equivalent, asc writes text only; the bytes form decodes a string to itself
      output += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
      // Stryker disable next-line BooleanLiteral: equivalent, asc does not read what write returns
      return true;
    },
  };
  const result = await asc.main(compilerArgs(options), {
    stdout: sink,
    stderr: sink,
    reportDiagnostic: (message) => diagnostics.push(toDiagnostic(message, baseDir, texts)),
  });
  // Stryker disable next-line ArrowFunction,ConditionalExpression,EqualityOperator,StringLiteral: equivalent, asc returns an error whenever it reported one, so `result.error` alone decides (the whole condition made true or false, which the tests kill, goes with it)
  if (result.error || diagnostics.some((d) => d.category === "error")) {
    // Stryker disable next-line LogicalOperator,OptionalChaining,StringLiteral: equivalent, asc prints its failure before it returns one, so the output is never empty and this is not used
    const fallback = result.error?.message ?? "";
    throw new CompileError(options.entry, errorsFirst(diagnostics), output || fallback);
  }
  const { size } = await stat(outPath);
  return {
    outFile: options.outFile,
    bytes: size,
    millis: performance.now() - started,
    warnings: diagnostics.filter((d) => d.category === "warning"),
  };
}

/** Reads a built module (for the module check after a build). */
export function readModule(path: string): Promise<Buffer> {
  return readFile(path);
}

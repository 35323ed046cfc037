// One module, many filters: checks a chain (the filters, in request order, and a configuration
// with a section per filter) and compiles it. The module's entry file is generated: it imports
// each filter's own entry file (which registers the filter's root as usual) and hands them to
// the SDK's registerChain (assembly/chain.ts), so no filter changes to join a chain.

import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { Ajv2020, type ErrorObject } from "ajv/dist/2020.js";
import {
  type CompileOptions,
  type CompileResult,
  compileFilter,
  sdkAssemblyDir,
} from "./compile.ts";

/** What is wrong with a chain, as a stable code a script or test can match. */
export type ChainProblem =
  | "empty-chain"
  | "unknown-filter"
  | "duplicate-filter"
  | "missing-section"
  | "unknown-section"
  | "invalid-section"
  | "invalid-configuration";

/** A chain that cannot be built or configured; the message names the filter or section. */
export class ChainSpecError extends Error {
  constructor(
    readonly problem: ChainProblem,
    message: string,
  ) {
    super(message);
    this.name = "ChainSpecError";
  }
}

/** A filter that can join a chain: its name and its entry file (absolute). */
export interface ChainFilter {
  name: string;
  entry: string;
  /** Its schema.json, when it has one: sections are checked against it. */
  schema?: string;
}

/** `telemetry, auth,rate-limit` → the names, in order; blanks are refused. */
export function parseChainList(text: string): string[] {
  const names = text.split(",").map((n) => n.trim());
  // Stryker disable next-line ConditionalExpression: equivalent, split gives at least one name, so the length check alone is never true
  if (names.length === 0 || names.every((n) => n === "")) {
    throw new ChainSpecError("empty-chain", "--chain: the chain names no filters");
  }
  const blank = names.indexOf("");
  if (blank >= 0) {
    throw new ChainSpecError(
      "empty-chain",
      `--chain "${text}": filter ${blank + 1} is empty (a stray comma?)`,
    );
  }
  return names;
}

/** The chain's filters, in order; unknown and repeated names are refused by name. */
export function resolveChain(
  names: readonly string[],
  available: readonly ChainFilter[],
): ChainFilter[] {
  if (names.length === 0) throw new ChainSpecError("empty-chain", "the chain names no filters");
  const seen = new Set<string>();
  return names.map((name) => {
    if (seen.has(name)) {
      throw new ChainSpecError(
        "duplicate-filter",
        `filter "${name}" appears twice in the chain (${names.join(", ")}); a filter runs once per chain`,
      );
    }
    seen.add(name);
    const found = available.find((f) => f.name === name);
    if (!found) {
      const known = available.map((f) => f.name).join(", ") || "none";
      throw new ChainSpecError(
        "unknown-filter",
        `unknown filter "${name}" in the chain; known filters: ${known}`,
      );
    }
    return found;
  });
}

/** The chain a configuration file describes: its sections' names, in order. */
export function chainOfConfiguration(config: unknown, origin: string): string[] {
  const sections = asSections(config, origin);
  const names = Object.keys(sections);
  if (names.length === 0) {
    throw new ChainSpecError("empty-chain", `${origin}: the configuration has no filter sections`);
  }
  return names;
}

function asSections(config: unknown, origin: string): Record<string, unknown> {
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new ChainSpecError(
      "invalid-configuration",
      `${origin}: a chain's configuration is a JSON object with a section per filter, got ${Array.isArray(config) ? "an array" : typeof config}`,
    );
  }
  return config as Record<string, unknown>;
}

function describeAjv(e: ErrorObject): string {
  // Stryker disable next-line ConditionalExpression,StringLiteral: equivalent, the empty path sliced and joined is empty too
  const where = e.instancePath === "" ? "" : e.instancePath.slice(1).replaceAll("/", ".");
  const extra =
    e.keyword === "additionalProperties"
      ? ` ("${(e.params as { additionalProperty: string }).additionalProperty}")`
      : "";
  return `${where || "(the section)"} ${e.message ?? e.keyword}${extra}`;
}

/**
 * Checks a chain's configuration: an object with exactly one section per filter of the chain,
 * each section valid against the filter's schema.json where it has one.
 */
export function checkChainConfiguration(
  chain: readonly ChainFilter[],
  config: unknown,
  origin = "the chain's configuration",
): void {
  const sections = asSections(config, origin);
  const names = chain.map((f) => f.name);
  for (const key of Object.keys(sections)) {
    if (!names.includes(key)) {
      throw new ChainSpecError(
        "unknown-section",
        `${origin}: section "${key}" names no filter of the chain (${names.join(", ")})`,
      );
    }
  }
  // Stryker disable next-line ObjectLiteral,BooleanLiteral: equivalent for `{}` and allErrors, only the first error is reported and Ajv stops at that same error without allErrors (strict's `true`, which a test kills, goes with them); Ajv's default strictness only logs
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  for (const filter of chain) {
    if (!(filter.name in sections)) {
      throw new ChainSpecError(
        "missing-section",
        `${origin}: section "${filter.name}" is missing; the chain needs one per filter (${names.join(", ")})`,
      );
    }
    if (!filter.schema || !existsSync(filter.schema)) continue;
    const validate = ajv.compile(JSON.parse(readFileSync(filter.schema, "utf8")) as object);
    if (!validate(sections[filter.name])) {
      // Stryker disable next-line ArrayDeclaration: equivalent, a failed validation always sets errors, so the fallback is never read
      const first = (validate.errors ?? [])[0];
      // Stryker disable next-line StringLiteral: equivalent, the same: there is always a first error to describe
      const reason = first ? describeAjv(first) : "does not match the filter's schema";
      throw new ChainSpecError("invalid-section", `${origin}: section "${filter.name}": ${reason}`);
    }
  }
}

function importPath(fromDir: string, file: string): string {
  const path = relative(fromDir, file).replaceAll("\\", "/").replace(/\.ts$/, "");
  return path.startsWith(".") ? path : `./${path}`;
}

/**
 * The generated entry file of a chain. `sdk` is how the entry imports the SDK: a path to its
 * `assembly/` folder, or `meshwasm/assembly` in a user's project.
 */
export function chainEntrySource(
  chain: readonly ChainFilter[],
  entryFile: string,
  sdk: string,
): string {
  const dir = dirname(entryFile);
  const sdkImport = sdk.startsWith("/") ? importPath(dir, sdk) : sdk;
  const names = chain.map((f) => JSON.stringify(f.name)).join(", ");
  return [
    `// Generated by \`meshwasm build --chain ${chain.map((f) => f.name).join(",")}\`: the filters`,
    "// in request order, each registering its own root; registerChain runs them in one HTTP",
    "// context with a configuration section per filter. Do not edit: it is rewritten each build.",
    ...chain.map((f) => `import ${JSON.stringify(importPath(dir, f.entry))};`),
    `import { registerChain } from ${JSON.stringify(sdkImport)};`,
    `export * from ${JSON.stringify(`${sdkImport}/exports`)};`,
    "",
    `registerChain([${names}]);`,
    "",
  ].join("\n");
}

export interface CompileChainOptions extends Omit<CompileOptions, "entry"> {
  chain: readonly ChainFilter[];
  /** How the entry imports the SDK (see chainEntrySource); default: this package's folder. */
  sdk?: string;
}

/** Writes the chain's entry file beside the output (`<out dir>/.chain/<name>.ts`) and compiles it. */
export async function compileChain(options: CompileChainOptions): Promise<CompileResult> {
  // Stryker disable next-line StringLiteral: equivalent, resolve("") is the working directory as resolve(".") is
  const baseDir = resolve(options.baseDir ?? ".");
  const outPath = resolve(baseDir, options.outFile);
  const entryName = outPath
    .replace(/\.wasm$/, "")
    .split("/")
    .pop() as string;
  const entry = join(dirname(outPath), ".chain", `${entryName}.ts`);
  await mkdir(dirname(entry), { recursive: true });
  // Written beside, then renamed: a build running at the same time never reads half a file.
  const tmp = `${entry}.${process.pid}.tmp`;
  writeFileSync(tmp, chainEntrySource(options.chain, entry, options.sdk ?? sdkAssemblyDir()));
  renameSync(tmp, entry);
  const { chain: _chain, sdk: _sdk, ...rest } = options;
  return compileFilter({ ...rest, entry: relative(baseDir, entry), baseDir });
}

// `meshwasm build [name...]`: compiles filters to build/<name>.wasm, runs the module check on
// each, prints sizes; compiler errors come as file:line:column lines.

import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { Command, Option } from "commander";
import {
  CompileError,
  compileFilter,
  DEFAULT_OPTIMIZE,
  DEFAULT_RUNTIME,
  formatDiagnostic,
  type OptimizeLevel,
  type RuntimeVariant,
} from "../../build/compile.ts";
import {
  buildForConfiguration,
  CallbacksKeptError,
  ConfigurationRefusedError,
} from "../../build/for-config.ts";
import { checkModule } from "../../check/surface.ts";
import type { PluginConfiguration } from "../../plugin.ts";
import type { CliContext } from "../context.ts";
import { CliError, ExitCode, usageError } from "../errors.ts";
import { type Filter, type Project, packageRoot } from "../project.ts";
import { buildChain, type ChainOptions, readJsonOption } from "./build-chain.ts";

export interface BuildSettings {
  optimize: OptimizeLevel;
  runtime: RuntimeVariant;
  /** Output folder relative to the project root. */
  out: string;
  text: boolean;
  debug: boolean;
  /** Export every proxy-wasm callback, also the per-stream ones the filter does not use. */
  exportAll: boolean;
  /** `--for-config`: the plugin configuration (a file, or inline JSON) the module is built
   *  for; the per-stream callbacks it does not need are left out. */
  forConfig?: string;
}

export interface BuiltFilter {
  name: string;
  /** Entry file relative to the project root. */
  source: string;
  /** Module path relative to the project root. */
  wasm: string;
  ok: boolean;
  bytes?: number;
  millis?: number;
  /** Compiler errors and warnings, and module-check findings, as file:line text. */
  errors: string[];
  warnings: string[];
  /** With --for-config: the callbacks the configuration needs, and those left out. */
  needed?: string[];
  removed?: string[];
}

export const DEFAULT_BUILD: BuildSettings = {
  optimize: DEFAULT_OPTIMIZE,
  runtime: DEFAULT_RUNTIME,
  out: "build",
  text: false,
  debug: false,
  exportAll: false,
};

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

/** Builds `filters` and prints one line each; returns what happened to each. */
export async function buildFilters(
  ctx: CliContext,
  filters: readonly Filter[],
  settings: BuildSettings = DEFAULT_BUILD,
): Promise<BuiltFilter[]> {
  const { out } = ctx;
  const project = ctx.project();
  const results: BuiltFilter[] = [];
  const forConfig =
    settings.forConfig === undefined
      ? undefined
      : readJsonOption("--for-config", settings.forConfig, ctx.cwd);
  const progress = out.progress(
    `building ${filters.length} filter${filters.length === 1 ? "" : "s"} (-${settings.optimize}, ${settings.runtime} runtime)`,
  );
  for (const filter of filters) {
    progress.update(`building ${filter.name}`);
    const wasm = `${settings.out}/${filter.name}.wasm`;
    const built: BuiltFilter = {
      name: filter.name,
      source: project.rel(filter.entry),
      wasm,
      ok: false,
      errors: [],
      warnings: [],
    };
    results.push(built);
    try {
      const compile = (pruned?: number) =>
        compileFilter({
          entry: project.rel(filter.entry),
          outFile: wasm,
          baseDir: project.root,
          optimize: settings.optimize,
          runtime: settings.runtime,
          text: settings.text,
          debug: settings.debug,
          exportAll: settings.exportAll,
          ...(pruned === undefined ? {} : { prunedCallbacks: pruned }),
        });
      let result: Awaited<ReturnType<typeof compile>>;
      if (forConfig === undefined) {
        result = await compile();
      } else {
        const made = await buildForConfiguration(
          compile,
          resolve(project.root, wasm),
          forConfig as PluginConfiguration,
          `--for-config ${settings.forConfig}`,
        );
        built.needed = made.needed;
        built.removed = made.removed;
        result = made;
      }
      built.bytes = result.bytes;
      built.millis = Math.round(result.millis);
      built.warnings.push(...result.warnings.map((d) => formatDiagnostic(d)));
      const report = checkModule(readFileSync(resolve(project.root, wasm)));
      built.errors.push(...report.errors.map((e) => `${wasm}: module check: ${e}`));
      built.warnings.push(...report.warnings.map((w) => `${wasm}: module check: ${w}`));
      built.ok = report.ok;
    } catch (error) {
      if (error instanceof ConfigurationRefusedError || error instanceof CallbacksKeptError) {
        built.errors.push(error.message);
        continue;
      }
      if (!(error instanceof CompileError)) throw error;
      built.errors.push(...error.errors);
    }
  }
  const failed = results.filter((r) => !r.ok);
  if (failed.length === 0)
    progress.done(`built ${results.length} filter${results.length === 1 ? "" : "s"}`);
  else progress.fail(`${failed.length} of ${results.length} failed to build`);
  for (const r of results) {
    const size =
      r.bytes === undefined
        ? ""
        : `  ${kib(r.bytes).padStart(9)}  ${String(r.millis).padStart(5)} ms`;
    if (r.ok) out.line(`  ${out.c.green("ok")}    ${r.wasm.padEnd(36)}${size}`);
    else out.line(`  ${out.c.red("FAIL")}  ${r.wasm.padEnd(36)}${size}`);
    if (r.removed !== undefined) {
      out.line(
        `        for its configuration: ${r.removed.length > 0 ? `left out ${r.removed.join(", ")}` : "nothing to leave out"}`,
      );
    }
    for (const e of r.errors) out.line(`        ${out.c.red(e)}`);
    for (const w of r.warnings) out.line(`        ${out.c.yellow(w)}`);
  }
  return results;
}

/** Newest modification time of the files under `dir`, skipping test folders and node_modules. */
function newestSource(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "test" || entry.name === "__tests__")
      continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Whether build/<name>.wasm is newer than everything it could be built from: the project's
 * filter folders and the installed SDK (assembly/, filters/lib and the build's transform).
 */
export function isUpToDate(project: Project, filter: Filter): boolean {
  const wasm = project.wasmPath(filter.name);
  if (!existsSync(wasm)) return false;
  const sources = Math.max(
    ...project.filterDirs.map((d) => newestSource(join(project.root, d))),
    newestSource(join(packageRoot, "assembly")),
    newestSource(join(packageRoot, "filters", "lib")),
    newestSource(join(packageRoot, "transform")),
    // The build settings (runtime, optimization) make a different module too.
    statSync(join(packageRoot, "asconfig.json")).mtimeMs,
  );
  return statSync(wasm).mtimeMs > sources;
}

/**
 * Builds the named filters (all when none) that are not up to date, with the default settings;
 * throws a CliError when any fails. `meshwasm test` and `meshwasm run` build this way.
 */
export async function buildOrFail(ctx: CliContext, names: readonly string[]): Promise<Filter[]> {
  const project = ctx.project();
  const selected = project.select(names);
  if (selected.length === 0) throw noFilters(project);
  const filters = selected.filter((f) => !isUpToDate(project, f));
  for (const f of selected) {
    if (!filters.includes(f)) ctx.out.detail(`${f.name} is up to date (build/${f.name}.wasm)`);
  }
  if (filters.length === 0) return selected;
  const results = await buildFilters(ctx, filters);
  const failed = results.filter((r) => !r.ok);
  if (failed.length > 0) {
    throw new CliError(`${failed.map((r) => r.name).join(", ")} did not build`, {
      hint: "fix the errors above (file:line:column) and run the command again",
    });
  }
  return selected;
}

export function noFilters(project: Project): CliError {
  return new CliError(
    `no filters found in ${project.filterDirs.map((d) => `${d}/`).join(", ")} of ${project.root}`,
    {
      exitCode: ExitCode.Usage,
      hint: "create one with `meshwasm new <name>` (a filter is <dir>/<name>/assembly/index.ts)",
    },
  );
}

export default function buildCommand(ctx: CliContext): Command {
  return new Command("build")
    .description("compile filters to build/<name>.wasm and check them the way Envoy would")
    .argument("[name...]", "filters to build (default: all)")
    .addOption(
      new Option("-O, --optimize <level>", "optimization preset")
        .choices(["O3", "Oz", "O2", "Os", "none"])
        .default(DEFAULT_BUILD.optimize),
    )
    .addOption(
      new Option("--runtime <variant>", "AssemblyScript runtime")
        .choices(["incremental", "minimal", "stub"])
        .default(DEFAULT_BUILD.runtime),
    )
    .option("--out <dir>", "output folder, relative to the project", DEFAULT_BUILD.out)
    .option("--text", "also write the text format (.wat)", false)
    .option("--debug", "keep debug names (bigger module, readable traps)", false)
    .option(
      "--export-all",
      "export every proxy-wasm callback (by default the per-stream ones the filter does not use are left out, so Envoy skips them)",
      false,
    )
    .option(
      "--for-config <file>",
      "build for this plugin configuration (a JSON file, or inline JSON; with a chain, the chain's configuration): the per-stream callbacks it does not need are left out, and the module refuses a configuration that needs one",
    )
    .option("--json", "print the results as JSON", false)
    .option(
      "--chain <filters>",
      "build ONE module running these filters in order (comma-separated), each with its own configuration section",
    )
    .option(
      "--chain-config <file>",
      "the chain's configuration ({\"<filter>\": {...}, ...}): checked against each filter's schema; without --chain, its sections' order is the chain",
    )
    .option(
      "-o, --output <file>",
      "the chain's module, a path in the project (with --chain or --chain-config)",
      "build/chain.wasm",
    )
    .addHelpText(
      "after",
      "\nExamples:\n  meshwasm build                 every filter\n  meshwasm build my-filter -O Oz --runtime incremental\n  meshwasm build --chain telemetry,auth,rate-limit,header-router -o build/chain.wasm\n  meshwasm build --chain-config chain.json -o build/chain.wasm",
    )
    .action(async (names: string[], opts: BuildSettings & ChainOptions & { json: boolean }) => {
      ctx.out.setJson(opts.json);
      if (opts.chain !== undefined || opts.chainConfig !== undefined) {
        if (names.length > 0)
          throw usageError("give filters either as names or with --chain, not both");
        await buildChain(ctx, opts);
        return;
      }
      if (opts.forConfig !== undefined && opts.exportAll)
        throw usageError(
          "--for-config leaves callbacks out; --export-all keeps them all: give one",
        );
      const project = ctx.project();
      const filters = project.select(names);
      if (filters.length === 0) throw noFilters(project);
      if (opts.forConfig !== undefined && filters.length !== 1) {
        throw usageError(
          `--for-config ${opts.forConfig}: a configuration is one filter's; name the filter to build (${filters.length} selected)`,
        );
      }
      const results = await buildFilters(ctx, filters, opts);
      if (opts.json) ctx.out.result({ ok: results.every((r) => r.ok), filters: results });
      if (results.some((r) => !r.ok)) process.exitCode = ExitCode.Failed;
    });
}

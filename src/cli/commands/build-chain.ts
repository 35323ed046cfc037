// `meshwasm build --chain a,b,c -o chain.wasm` and `meshwasm build --chain-config chain.json`:
// one module running several filters in order (src/build/chain.ts builds it).

import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  type ChainFilter,
  ChainSpecError,
  chainOfConfiguration,
  checkChainConfiguration,
  compileChain,
  parseChainList,
  resolveChain,
} from "../../build/chain.ts";
import { CompileError, sdkAssemblyDir } from "../../build/compile.ts";
import {
  buildForConfiguration,
  CallbacksKeptError,
  ConfigurationRefusedError,
} from "../../build/for-config.ts";
import { checkModule } from "../../check/surface.ts";
import type { PluginConfiguration } from "../../plugin.ts";
import type { CliContext } from "../context.ts";
import { CliError, usageError } from "../errors.ts";
import type { Project } from "../project.ts";
import type { BuildSettings } from "./build.ts";

export interface ChainOptions {
  chain?: string;
  chainConfig?: string;
  output: string;
}

/** The project's filters as chain members (entry file and schema). */
export function chainFilters(project: Project): ChainFilter[] {
  return project.filters().map((f) => ({
    name: f.name,
    entry: f.entry,
    schema: join(f.folder, "schema.json"),
  }));
}

/** Reads a JSON option (`--chain-config`, `--for-config`): a JSON file, or inline JSON. */
export function readJsonOption(option: string, value: string, cwd: string): unknown {
  const inline = value.trimStart().startsWith("{");
  let text = value;
  if (!inline) {
    const path = resolve(cwd, value);
    if (!existsSync(path)) throw usageError(`${option} ${value}: no such file`);
    // Stryker disable next-line StringLiteral: equivalent, without the encoding the file comes as bytes, which JSON.parse reads as the same text
    text = readFileSync(path, "utf8");
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw usageError(
      `${option} ${inline ? "" : `${value} `}is not valid JSON: ${(error as Error).message}`,
    );
  }
}

/** Checks the chain (and its configuration when given) and compiles it; throws a CliError. */
export async function buildChain(
  ctx: CliContext,
  opts: ChainOptions & Partial<BuildSettings>,
): Promise<void> {
  const { out } = ctx;
  const project = ctx.project();
  let chain: ChainFilter[];
  // --for-config is the chain's configuration too, and the module is built for it.
  if (opts.forConfig !== undefined && opts.chainConfig !== undefined) {
    throw usageError(
      "give the chain's configuration once: --for-config <file> checks it like --chain-config and builds the module for it",
    );
  }
  if (opts.forConfig !== undefined && opts.exportAll)
    throw usageError("--for-config leaves callbacks out; --export-all keeps them all: give one");
  const option = opts.forConfig !== undefined ? "--for-config" : "--chain-config";
  const file = opts.forConfig ?? opts.chainConfig;
  let config: unknown;
  try {
    config = file === undefined ? undefined : readJsonOption(option, file, ctx.cwd);
    const names =
      opts.chain !== undefined
        ? parseChainList(opts.chain)
        : chainOfConfiguration(config, `${option} ${file}`);
    chain = resolveChain(names, chainFilters(project));
    if (config !== undefined) checkChainConfiguration(chain, config, `${option} ${file}`);
  } catch (error) {
    if (error instanceof ChainSpecError) {
      if (out.json) out.result({ ok: false, problem: error.problem, error: error.message });
      throw usageError(
        error.message,
        "a chain is `--chain a,b,c` (filters in request order) and a configuration with one section per filter",
      );
    }
    throw error;
  }
  const names = chain.map((f) => f.name);
  const progress = out.progress(`building the chain ${names.join(" → ")}`);
  try {
    const compile = (pruned?: number) =>
      compileChain({
        chain,
        outFile: opts.output,
        baseDir: project.root,
        sdk: project.isMeshwasmItself ? sdkAssemblyDir() : "meshwasm/assembly",
        ...(opts.optimize ? { optimize: opts.optimize } : {}),
        ...(opts.runtime ? { runtime: opts.runtime } : {}),
        ...(opts.text ? { text: true } : {}),
        ...(opts.debug ? { debug: true } : {}),
        ...(opts.exportAll ? { exportAll: true } : {}),
        ...(pruned === undefined ? {} : { prunedCallbacks: pruned }),
      });
    let removed: string[] | undefined;
    let result: Awaited<ReturnType<typeof compile>>;
    if (opts.forConfig === undefined) {
      result = await compile();
    } else {
      const made = await buildForConfiguration(
        compile,
        resolve(project.root, opts.output),
        config as PluginConfiguration,
        `--for-config ${opts.forConfig}`,
      );
      removed = made.removed;
      result = made;
    }
    const report = checkModule(readFileSync(resolve(project.root, opts.output)));
    if (!report.ok) {
      progress.fail("the chain's module fails the module check");
      for (const e of report.errors) out.line(`  ${out.c.red(e)}`);
      throw new CliError(`${opts.output} would not load in Envoy`);
    }
    progress.done(
      `built ${opts.output}: ${names.join(" → ")} (${(result.bytes / 1024).toFixed(1)} KiB)`,
    );
    if (removed !== undefined) {
      out.line(
        `  for its configuration: ${removed.length > 0 ? `left out ${removed.join(", ")}` : "nothing to leave out"}`,
      );
    }
    if (out.json) {
      out.result({
        ok: true,
        wasm: opts.output,
        chain: names,
        bytes: result.bytes,
        ...(removed === undefined ? {} : { removed }),
      });
    }
  } catch (error) {
    if (error instanceof ConfigurationRefusedError) {
      progress.fail("the chain refused its configuration");
      throw new CliError(error.message);
    }
    if (error instanceof CallbacksKeptError) {
      progress.fail("the chain could not be built for its configuration");
      throw new CliError(error.message);
    }
    if (!(error instanceof CompileError)) throw error;
    progress.fail("the chain did not compile");
    for (const line of error.errors) out.line(`  ${out.c.red(line)}`);
    throw new CliError(`the chain ${names.join(",")} did not build`);
  }
}

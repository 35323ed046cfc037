// A module built for one plugin configuration (`meshwasm build --for-config <file>`): the
// per-stream callbacks that configuration does not need are left out, so Envoy does not enter
// the VM for them.
//
// The filter is compiled as usual, run in the test host with the configuration, and asked
// (the SDK's meshwasm_needed_callbacks export, filled from RootContext.neededCallbacks after
// onConfigure) which callbacks the configuration needs. When some exported ones are not needed,
// it is compiled again with `--use MESHWASM_PRUNED_CALLBACKS=<bits>`: the build's transform
// removes those exports before Binaryen optimizes (their dispatch code goes too), and the SDK
// keeps the bits, so the module refuses (configure returns false, with a log line naming the
// field, its value and the callback) a later configuration that needs one of them.

import { rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { callbackBits, callbackNames, STREAM_CALLBACKS } from "../../transform/callbacks.mjs";
import type { PluginConfiguration } from "../plugin.ts";
import { createHost } from "../testing/host.ts";
import { PluginStartError } from "../testing/status.ts";
import { readWasmModule } from "../wasm/binary.ts";
import type { CompileResult } from "./compile.ts";

export const NEEDED_CALLBACKS_EXPORT = "meshwasm_needed_callbacks";

/** The configuration a module was to be built for does not configure it. */
export class ConfigurationRefusedError extends Error {
  constructor(
    readonly origin: string,
    readonly logs: string[],
  ) {
    super(
      `${origin}: the filter refused this configuration` +
        (logs.length > 0 ? `:\n${logs.join("\n")}` : " (it logged nothing)"),
    );
    this.name = "ConfigurationRefusedError";
  }
}

/** The build for a configuration could not leave out a callback the configuration does not
 *  need: the filter exports it itself, not through the SDK's dispatcher (which the build can
 *  leave out). */
export class CallbacksKeptError extends Error {
  constructor(
    readonly outPath: string,
    readonly origin: string,
    readonly kept: string[],
  ) {
    super(
      `${origin}: the module built for it still exports ${kept.join(", ")}, which it does not need: ` +
        "the filter defines them itself, and only the SDK's own callbacks can be left out (build it without --for-config)",
    );
    this.name = "CallbacksKeptError";
  }
}

/** The per-stream callbacks a module exports. */
export function exportedCallbacks(wasm: Uint8Array): string[] {
  const names = new Set(readWasmModule(wasm).exports.map((e) => e.name));
  return STREAM_CALLBACKS.filter((name) => names.has(name));
}

/**
 * What `configuration` needs of the per-stream callbacks (their names), asked of the module in
 * the test host; a refused configuration throws ConfigurationRefusedError with the filter's log.
 */
export async function neededCallbacks(
  wasm: Uint8Array,
  configuration: PluginConfiguration,
  origin = "the configuration",
): Promise<string[]> {
  let host: Awaited<ReturnType<typeof createHost>>;
  try {
    host = await createHost({ module: wasm, configuration, logLevel: "warn" });
  } catch (error) {
    if (error instanceof PluginStartError) throw new ConfigurationRefusedError(origin, error.logs);
    throw error;
  }
  const vm = host.vms[0];
  const root = host.roots[0];
  // Stryker disable next-line ConditionalExpression,LogicalOperator: equivalent, a started host always has its first VM and root (createHost throws otherwise)
  if (!vm || !root || !vm.has(NEEDED_CALLBACKS_EXPORT)) {
    // A module without the SDK's answer (not built with meshwasm's SDK): it needs everything.
    host.close();
    return [...STREAM_CALLBACKS];
  }
  // Stryker disable BlockStatement: equivalent for the finally block, closing the host only runs the roots' proxy_on_done, which changes nothing of the answer (the try block's, which the tests kill, goes with it)
  try {
    const bits = vm.call(NEEDED_CALLBACKS_EXPORT, root, root.id);
    return bits < 0 ? [...STREAM_CALLBACKS] : callbackNames(bits);
  } finally {
    host.close();
  }
  // Stryker restore BlockStatement
}

export interface ForConfigResult extends CompileResult {
  /** The per-stream callbacks the configuration needs. */
  needed: string[];
  /** The exported callbacks left out because the configuration does not need them. */
  removed: string[];
}

export interface PruneResult {
  /** The per-stream callbacks the configuration needs. */
  needed: string[];
  /** The exported callbacks left out because the configuration does not need them. */
  removed: string[];
  /** The second compile, when something was left out (the module is then at its path). */
  pruned?: CompileResult;
}

/**
 * The second half of a build for `configuration`: `wasm` is the filter compiled as usual; when
 * it exports a callback the configuration does not need, `compile(pruned)` compiles it again
 * to `outPath` with `--use MESHWASM_PRUNED_CALLBACKS=<pruned>`, and the result is checked to
 * leave those callbacks out and still take the configuration. A refused configuration throws
 * ConfigurationRefusedError before anything is compiled.
 */
export async function pruneForConfiguration(
  wasm: Uint8Array,
  compile: (pruned: number) => Promise<CompileResult>,
  outPath: string,
  configuration: PluginConfiguration,
  origin = "the configuration",
): Promise<PruneResult> {
  const needed = await neededCallbacks(wasm, configuration, origin);
  const exported = exportedCallbacks(wasm);
  let removed = exported.filter((name) => !needed.includes(name));
  // A configuration that needs the log needs no delete (the SDK ends each stream at its log,
  // assembly/internal/needs.ts): only true of a module that exports proxy_on_log.
  if (needed.includes("proxy_on_log") && !exported.includes("proxy_on_log")) {
    removed = removed.filter((name) => name !== "proxy_on_delete");
  }
  if (removed.length === 0) return { needed, removed };
  const pruned = await compile(callbackBits(removed));
  const path = resolve(outPath);
  const built = new Uint8Array(await readFile(path));
  const left = exportedCallbacks(built).filter((name) => removed.includes(name));
  if (left.length > 0) {
    // Stryker disable next-line ObjectLiteral,BooleanLiteral: equivalent, the module was just read from this path, so it is there to remove
    rmSync(path, { force: true });
    throw new CallbacksKeptError(outPath, origin, left);
  }
  // The module built for the configuration must take it.
  await neededCallbacks(built, configuration, origin);
  return { needed, removed, pruned };
}

/**
 * Builds a module for `configuration`. `compile(pruned)` compiles to `outPath` (with
 * `--use MESHWASM_PRUNED_CALLBACKS=<pruned>` when pruned is given); it runs once, or twice when
 * the first module exports a callback the configuration does not need.
 */
export async function buildForConfiguration(
  compile: (pruned?: number) => Promise<CompileResult>,
  outPath: string,
  configuration: PluginConfiguration,
  origin = "the configuration",
): Promise<ForConfigResult> {
  const first = await compile();
  const path = resolve(outPath);
  let made: PruneResult;
  try {
    const wasm = new Uint8Array(await readFile(path));
    made = await pruneForConfiguration(wasm, compile, outPath, configuration, origin);
  } catch (error) {
    // A refused configuration leaves no module behind: it would not serve that configuration.
    rmSync(path, { force: true });
    throw error;
  }
  const { needed, removed, pruned } = made;
  if (!pruned) return { ...first, needed, removed };
  return { ...pruned, millis: first.millis + pruned.millis, needed, removed };
}

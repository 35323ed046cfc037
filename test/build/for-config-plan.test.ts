// What a build for one configuration decides (`meshwasm build --for-config`), on hand-made
// modules: which per-stream callbacks the configuration needs (the module's own answer in the
// test host), which exports go, the second compile and the checks of its result. The compile
// step here writes the hand-made module a build would have made (each a few hundred bytes, no
// compiler), so every case takes milliseconds.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { CompileResult } from "../../src/build/compile.ts";
import {
  buildForConfiguration,
  CallbacksKeptError,
  ConfigurationRefusedError,
  exportedCallbacks,
  NEEDED_CALLBACKS_EXPORT,
  neededCallbacks,
  pruneForConfiguration,
} from "../../src/build/for-config.ts";
import { WasmLoadError } from "../../src/testing/status.ts";
import { findGuestExport, type GuestExport } from "../../src/wasm/abi.ts";
import { readWasmModule } from "../../src/wasm/binary.ts";
import { callbackBits, callbackNames, STREAM_CALLBACKS } from "../../transform/callbacks.mjs";
import { WasmBuilder } from "../check/wasm-builder.ts";

const scratch = mkdtempSync(join(tmpdir(), "meshwasm-for-config-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Signed LEB128, for i32.const. */
function sleb128(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  for (;;) {
    const byte = rest & 0x7f;
    rest >>= 7;
    const done = (rest === 0 && (byte & 0x40) === 0) || (rest === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}
const i32 = (value: number) => [0x41, ...sleb128(value)];

interface ModuleSpec {
  /** The per-stream callbacks it exports. */
  callbacks: readonly string[];
  /** What meshwasm_needed_callbacks answers; undefined: the module does not export it. */
  needs?: number;
  /** proxy_on_configure returns false, after logging this at error level when given. */
  refuse?: boolean;
  log?: string;
  /** The levels `log` is logged at (default info, then error). */
  levels?: number[];
}

/** A module the test host starts: the ABI marker, an allocator, the callbacks named, and a
 *  proxy_on_configure that takes the configuration or refuses it. */
function filterModule(spec: ModuleSpec): Uint8Array {
  const b = new WasmBuilder();
  const proxyLog = b.importFunc("env", "proxy_log", ["i32", "i32", "i32"], ["i32"]);
  b.memory(1);
  b.func([], [], "proxy_abi_version_0_2_1");
  b.func(["i32"], ["i32"], "malloc");
  b.func(["i32", "i32"], [], "proxy_on_context_create");
  const logged = [...new TextEncoder().encode(spec.log ?? "")].flatMap((byte, i) => [
    ...i32(64 + i),
    ...i32(byte),
    0x3a, // i32.store8
    0x00,
    0x00,
  ]);
  const log = spec.log
    ? [
        ...logged,
        // The same text at info level (2), then at error level (4): a host asked for warnings
        // and worse keeps the second alone.
        ...(spec.levels ?? [2, 4]).flatMap((level) => [
          ...i32(level),
          ...i32(64),
          ...i32((spec.log as string).length),
          0x10,
          proxyLog,
          0x1a,
        ]),
      ]
    : [];
  b.code(["i32", "i32"], ["i32"], [...log, ...i32(spec.refuse ? 0 : 1)], "proxy_on_configure");
  // The SDK's name for its answer (assembly/exports.ts), written out.
  if (spec.needs !== undefined)
    b.code(["i32"], ["i32"], i32(spec.needs), "meshwasm_needed_callbacks");
  for (const name of spec.callbacks) {
    const { params, results } = (findGuestExport(name) as GuestExport).type;
    b.func([...params], [...results], name);
  }
  return b.build();
}

const ALL = [...STREAM_CALLBACKS];
const HEADERS = ["proxy_on_request_headers", "proxy_on_response_headers"];

interface Compiles {
  calls: (number | undefined)[];
  compile: (pruned?: number) => Promise<CompileResult>;
}

/** A compile step that writes, per call, the module `make(pruned)` gives to `outPath`. */
function compiles(outPath: string, make: (pruned: number | undefined) => Uint8Array): Compiles {
  const calls: (number | undefined)[] = [];
  return {
    calls,
    compile: async (pruned?: number) => {
      calls.push(pruned);
      const bytes = make(pruned);
      writeFileSync(outPath, bytes);
      return {
        outFile: relative(process.cwd(), outPath),
        bytes: bytes.length,
        millis: 10 + calls.length,
        warnings: [],
      };
    },
  };
}

/** A build that leaves out what it was asked to, as the transform does. */
const pruning = (spec: ModuleSpec) => (pruned: number | undefined) =>
  filterModule({
    ...spec,
    callbacks: spec.callbacks.filter((name) => !callbackNames(pruned ?? 0).includes(name)),
  });

const exportsOf = (path: string) => readWasmModule(readFileSync(path)).exports.map((e) => e.name);

describe("exportedCallbacks", () => {
  it("lists the per-stream callbacks a module exports, in the SDK's bit order", () => {
    const wasm = filterModule({
      callbacks: ["proxy_on_delete", "proxy_on_log", "proxy_on_request_headers"],
    });
    expect(exportedCallbacks(wasm)).toStrictEqual([
      "proxy_on_request_headers",
      "proxy_on_log",
      "proxy_on_delete",
    ]);
    expect(exportedCallbacks(filterModule({ callbacks: [] }))).toStrictEqual([]);
  });
});

describe("neededCallbacks", () => {
  it("reads the module's answer for the configuration", async () => {
    const wasm = filterModule({
      callbacks: ALL,
      needs: callbackBits(["proxy_on_log", "proxy_on_request_body"]),
    });
    expect(await neededCallbacks(wasm, { tag: true })).toStrictEqual([
      "proxy_on_request_body",
      "proxy_on_log",
    ]);
    expect(await neededCallbacks(filterModule({ callbacks: ALL, needs: 0 }), {})).toStrictEqual([]);
  });

  it("takes every callback as needed when the module cannot say (no answer, or a negative one)", async () => {
    expect(await neededCallbacks(filterModule({ callbacks: HEADERS }), {})).toStrictEqual(ALL);
    expect(
      await neededCallbacks(filterModule({ callbacks: HEADERS, needs: -1 }), {}),
    ).toStrictEqual(ALL);
    expect(
      await neededCallbacks(filterModule({ callbacks: HEADERS, needs: -2 }), {}),
    ).toStrictEqual(ALL);
    expect(NEEDED_CALLBACKS_EXPORT).toBe("meshwasm_needed_callbacks");
  });

  it("throws the filter's refusal with what it logged, naming where the configuration came from", async () => {
    const error = await neededCallbacks(
      filterModule({ callbacks: ALL, needs: 0, refuse: true, log: 'field "tag": not a bool' }),
      { tag: 3 },
      "tag.json",
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationRefusedError);
    const refused = error as ConfigurationRefusedError;
    expect(refused.name).toBe("ConfigurationRefusedError");
    expect(refused.origin).toBe("tag.json");
    expect(refused.logs).toHaveLength(1);
    expect(refused.logs[0]).toContain('field "tag": not a bool');
    expect(refused.message).toBe(
      `tag.json: the filter refused this configuration:\n${refused.logs[0]}`,
    );
    const silent = await neededCallbacks(filterModule({ callbacks: ALL, refuse: true }), {}).catch(
      (e: unknown) => e,
    );
    expect((silent as Error).message).toBe(
      "the configuration: the filter refused this configuration (it logged nothing)",
    );
  });

  it("gives every line the filter logged, one a line", async () => {
    const error = (await neededCallbacks(
      filterModule({ callbacks: [], refuse: true, log: "bad", levels: [4, 3] }),
      {},
    ).catch((e: unknown) => e)) as ConfigurationRefusedError;
    expect(error.logs).toHaveLength(2);
    expect(error.message).toBe(
      `the configuration: the filter refused this configuration:\n${error.logs[0]}\n${error.logs[1]}`,
    );
  });

  it("lets a module that does not load fail as it does, not as a refusal", async () => {
    const error = await neededCallbacks(new WasmBuilder().build(), {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WasmLoadError);
  });
});

describe("pruneForConfiguration", () => {
  it("compiles nothing more when the configuration needs every exported callback", async () => {
    const out = join(scratch, "all.wasm");
    const spec = { callbacks: HEADERS, needs: callbackBits([...HEADERS, "proxy_on_log"]) };
    const { calls, compile } = compiles(out, pruning(spec));
    const result = await pruneForConfiguration(filterModule(spec), compile, out, {});
    expect(result).toStrictEqual({ needed: [...HEADERS, "proxy_on_log"], removed: [] });
    expect(calls).toStrictEqual([]);
  });

  it("compiles again without the exports the configuration does not need", async () => {
    const out = join(scratch, "pruned.wasm");
    const spec = {
      callbacks: [...HEADERS, "proxy_on_request_body", "proxy_on_delete"],
      needs: callbackBits(["proxy_on_request_headers"]),
    };
    const { calls, compile } = compiles(out, pruning(spec));
    const result = await pruneForConfiguration(filterModule(spec), compile, out, {});
    const removed = ["proxy_on_request_body", "proxy_on_response_headers", "proxy_on_delete"];
    expect(result.needed).toStrictEqual(["proxy_on_request_headers"]);
    expect(result.removed).toStrictEqual(removed);
    expect(calls).toStrictEqual([callbackBits(removed)]);
    expect(result.pruned?.millis).toBe(11);
    expect(exportsOf(out)).toContain("proxy_on_request_headers");
    expect(exportsOf(out)).not.toContain("proxy_on_delete");
  });

  it("keeps proxy_on_delete when the log is needed but the module has no proxy_on_log", async () => {
    const out = join(scratch, "log.wasm");
    const needs = callbackBits(["proxy_on_request_headers", "proxy_on_log"]);
    const noLog = { callbacks: [...HEADERS, "proxy_on_delete"], needs };
    const first = compiles(out, pruning(noLog));
    const kept = await pruneForConfiguration(filterModule(noLog), first.compile, out, {});
    expect(kept.removed).toStrictEqual(["proxy_on_response_headers"]);
    expect(first.calls).toStrictEqual([callbackBits(["proxy_on_response_headers"])]);

    // With proxy_on_log exported, the log ends each stream: proxy_on_delete goes.
    const withLog = { callbacks: [...HEADERS, "proxy_on_log", "proxy_on_delete"], needs };
    const second = compiles(out, pruning(withLog));
    const gone = await pruneForConfiguration(filterModule(withLog), second.compile, out, {});
    expect(gone.removed).toStrictEqual(["proxy_on_response_headers", "proxy_on_delete"]);

    // Not needing the log, a module without it lets proxy_on_delete go too.
    const noNeed = {
      callbacks: [...HEADERS, "proxy_on_delete"],
      needs: callbackBits(["proxy_on_request_headers"]),
    };
    const third = compiles(out, pruning(noNeed));
    const both = await pruneForConfiguration(filterModule(noNeed), third.compile, out, {});
    expect(both.removed).toStrictEqual(["proxy_on_response_headers", "proxy_on_delete"]);
  });

  it("removes a second module that still exports what was to go, and names those callbacks", async () => {
    const out = join(scratch, "left.wasm");
    const spec = { callbacks: ALL, needs: callbackBits(["proxy_on_request_headers"]) };
    const { compile } = compiles(out, () => filterModule(spec));
    const error = await pruneForConfiguration(filterModule(spec), compile, out, {}, "c.json").catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CallbacksKeptError);
    expect((error as CallbacksKeptError).kept).toStrictEqual(ALL.slice(1));
    expect((error as CallbacksKeptError).outPath).toBe(out);
    expect((error as Error).message).toBe(
      `c.json: the module built for it still exports ${ALL.slice(1).join(", ")}, which it does not need: the filter defines them itself, and only the SDK's own callbacks can be left out (build it without --for-config)`,
    );
    expect(existsSync(out)).toBe(false);
  });

  it("checks that the second module takes the configuration", async () => {
    const out = join(scratch, "refuses.wasm");
    const spec = { callbacks: HEADERS, needs: callbackBits(["proxy_on_request_headers"]) };
    const { compile } = compiles(out, () =>
      filterModule({ callbacks: ["proxy_on_request_headers"], needs: spec.needs, refuse: true }),
    );
    const error = await pruneForConfiguration(filterModule(spec), compile, out, {}, "c.json").catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigurationRefusedError);
    expect((error as ConfigurationRefusedError).origin).toBe("c.json");
  });

  it("names the configuration by default when the second module still exports a callback", async () => {
    const out = join(scratch, "default.wasm");
    const spec = { callbacks: HEADERS, needs: 0 };
    const { compile } = compiles(out, () => filterModule(spec));
    const error = await pruneForConfiguration(filterModule(spec), compile, out, {}).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toMatch(
      `the configuration: the module built for it still exports ${HEADERS.join(", ")}, which`,
    );
  });

  it("refuses a configuration the module refuses, before compiling", async () => {
    const out = join(scratch, "never.wasm");
    const { calls, compile } = compiles(out, () => filterModule({ callbacks: [] }));
    const error = await pruneForConfiguration(
      filterModule({ callbacks: ALL, needs: 0, refuse: true }),
      compile,
      out,
      {},
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationRefusedError);
    expect(calls).toStrictEqual([]);
  });
});

describe("buildForConfiguration", () => {
  it("compiles once when nothing can go, and returns that compile with the needs", async () => {
    const out = join(scratch, "once.wasm");
    const spec = { callbacks: HEADERS, needs: callbackBits(HEADERS) };
    const { calls, compile } = compiles(out, pruning(spec));
    const result = await buildForConfiguration(compile, out, {});
    expect(calls).toStrictEqual([undefined]);
    expect(result).toStrictEqual({
      outFile: relative(process.cwd(), out),
      bytes: filterModule(spec).length,
      millis: 11,
      warnings: [],
      needed: HEADERS,
      removed: [],
    });
  });

  it("compiles twice when callbacks go: the second module, both compiles' time", async () => {
    const out = join(scratch, "twice.wasm");
    const spec = { callbacks: HEADERS, needs: callbackBits(["proxy_on_response_headers"]) };
    const { calls, compile } = compiles(out, pruning(spec));
    const result = await buildForConfiguration(compile, out, {});
    expect(calls).toStrictEqual([undefined, callbackBits(["proxy_on_request_headers"])]);
    expect(result).toStrictEqual({
      outFile: relative(process.cwd(), out),
      bytes: filterModule({ ...spec, callbacks: ["proxy_on_response_headers"] }).length,
      millis: 11 + 12,
      warnings: [],
      needed: ["proxy_on_response_headers"],
      removed: ["proxy_on_request_headers"],
    });
    expect(exportedCallbacks(readFileSync(out))).toStrictEqual(["proxy_on_response_headers"]);
  });

  it("names the configuration by default, and fails as the read fails when no module was made", async () => {
    const out = join(scratch, "default-refused.wasm");
    const { compile } = compiles(out, () => filterModule({ callbacks: ALL, refuse: true }));
    const error = await buildForConfiguration(compile, out, {}).catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      "the configuration: the filter refused this configuration (it logged nothing)",
    );
    const nowhere = join(scratch, "never-written.wasm");
    const missing = await buildForConfiguration(
      async () => ({ outFile: nowhere, bytes: 0, millis: 0, warnings: [] }),
      nowhere,
      {},
    ).catch((e: unknown) => e);
    expect((missing as NodeJS.ErrnoException).code).toBe("ENOENT");
    expect((missing as NodeJS.ErrnoException).syscall).toBe("open");
  });

  it("leaves no module behind for a configuration the filter refuses", async () => {
    const out = join(scratch, "refused.wasm");
    const { compile } = compiles(out, () =>
      filterModule({ callbacks: ALL, refuse: true, log: "no" }),
    );
    const error = await buildForConfiguration(compile, out, { x: 1 }, "x.json").catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigurationRefusedError);
    expect((error as Error).message).toMatch(/^x\.json: the filter refused this configuration:\n/);
    expect(existsSync(out)).toBe(false);
  });
});

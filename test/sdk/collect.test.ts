// The collection policy of the minimal runtime (assembly/collect.ts): a collection marks every
// live object, so it runs once per as many bytes of garbage as the last one left live (or
// 64 KiB, or half the free memory when that is less), never per fixed number of callbacks, and
// garbage alone does not grow memory beyond twice the live heap. The module (test/modules/garbage) keeps a large live heap and makes the
// garbage each request asks for; it is built with AssemblyScript's runtime hooks
// (`ASC_RTRACE`), which count the collections and the objects they mark.

import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { hookRuntimeTrace } from "../../bench/lib/rtrace.ts";
import { asc } from "../../src/build/asc.ts";
import { ASCONFIG_PATH, compilerArgs } from "../../src/build/compile.ts";
import { createHost, type Host } from "../../src/testing/index.ts";
import { WA, type WasmModule } from "../../src/testing/wasm-api.ts";

const ROOT = resolve(fileURLToPath(import.meta.url), "..", "..", "..");
const KEEP = 20_000;
const MIN_GARBAGE = 64 << 10;

let traced = false;
const counts = hookRuntimeTrace(() => traced);
let module: WasmModule;
/** The same module built without the SDK's allocator aliases (asconfig.json's `use`), as
 *  another build configuration would be: the heap is not counted, and collect.ts falls back
 *  to counting callbacks and the bytes the host hands over. */
let uncounted: WasmModule;

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) {
    if (entry !== "__tests__") newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

/** The garbage module with the runtime's hooks, built unless newer than its sources. */
async function compileGarbage(name: string, config: string): Promise<WasmModule> {
  const outFile = join(ROOT, "build", "test-modules", `${name}.wasm`);
  const sources = Math.max(
    newestMtime(join(ROOT, "test", "modules", "garbage")),
    newestMtime(join(ROOT, "assembly")),
    newestMtime(ASCONFIG_PATH),
  );
  if (!existsSync(outFile) || statSync(outFile).mtimeMs <= sources) {
    const args = compilerArgs({
      entry: join(ROOT, "test", "modules", "garbage", "assembly", "index.ts"),
      outFile,
    });
    args[args.indexOf(ASCONFIG_PATH)] = config;
    args.push("--use", "ASC_RTRACE=1");
    let output = "";
    const sink = {
      write: (c: string | Uint8Array) => {
        output += String(c);
      },
    };
    const result = await asc.main(args, { stdout: sink, stderr: sink });
    if (result.error) throw new Error(`compiling the garbage module: ${output}`);
  }
  return WA.compile(readFileSync(outFile));
}

beforeAll(async () => {
  module = await compileGarbage("garbage.rtrace", ASCONFIG_PATH);
  const settings = JSON.parse(readFileSync(ASCONFIG_PATH, "utf8"));
  settings.options.use = settings.options.use.filter(
    (u: string) => !/^(__alloc|__realloc|__free|meshwasmRaw)/.test(u),
  );
  const config = join(ROOT, "build", "test-modules", "asconfig.uncounted.json");
  writeFileSync(config, JSON.stringify(settings));
  uncounted = await compileGarbage("garbage.uncounted.rtrace", config);
}, 300_000);

async function start(keep: number, built: WasmModule = module): Promise<Host> {
  traced = true;
  try {
    return await createHost({ module: built, rootId: "garbage", configuration: { keep } });
  } finally {
    traced = false;
  }
}

function run(host: Host, requests: number, garbage: number): void {
  for (let i = 0; i < requests; i++) {
    const s = host.stream();
    const headers: Record<string, string> = {
      ":method": "GET",
      ":path": `/g/${i}`,
      ":authority": "a",
    };
    if (garbage > 0) headers["x-garbage"] = String(garbage);
    s.requestHeaders(headers, { endOfStream: true });
    s.responseHeaders({ ":status": "200" }, { endOfStream: true });
    s.complete();
  }
}

/** Collections and objects marked during `f`. */
function measure(f: () => void): { collections: number; marked: number } {
  const before = { ...counts };
  f();
  return { collections: counts.collect - before.collect, marked: counts.visit - before.visit };
}

describe("the minimal runtime's collection policy", () => {
  it("does not collect per callback count when a large heap makes little garbage", async () => {
    const host = await start(KEEP);
    try {
      run(host, 200, 0);
      // 2,000 requests are about 10,000 callbacks: a collection every 64 of them would mark
      // the 20,000 kept strings 150 times.
      const m = measure(() => run(host, 2_000, 0));
      expect(m.collections).toBeLessThanOrEqual(2);
      expect(m.marked / 2_000).toBeLessThan(KEEP / 500);
    } finally {
      host.close();
    }
  }, 300_000);

  it("collects in proportion to the garbage, and memory stays flat", async () => {
    const host = await start(KEEP);
    try {
      const perRequest = 16 << 10;
      run(host, 300, perRequest);
      const warm = host.memoryBytes();
      const requests = 3_000;
      const m = measure(() => run(host, requests, perRequest));
      expect(host.memoryBytes()).toBe(warm);
      // The kept strings are about a MiB: a collection once per about that much garbage marks
      // them about once per 70 requests (41 times in 3,000); one every 64 callbacks, once per
      // 32 (94 times).
      const total = requests * perRequest;
      expect(m.collections).toBeGreaterThan(total / (4 << 20));
      expect(m.collections).toBeLessThan(total / (768 << 10));
    } finally {
      host.close();
    }
  }, 300_000);

  it("with a small heap, lets at most 64 KiB of garbage pile up, in the memory it has", async () => {
    const host = await start(0);
    try {
      const perRequest = 4 << 10;
      run(host, 300, perRequest);
      const warm = host.memoryBytes();
      const requests = 3_000;
      const total = requests * perRequest;
      const m = measure(() => run(host, requests, perRequest));
      // Garbage alone never grows memory: the module stays in the page or two it started with.
      expect(host.memoryBytes()).toBe(warm);
      expect(warm).toBeLessThanOrEqual(2 * 65536);
      // A collection once per 64 KiB of garbage at least (per half the free memory when that is
      // less; about 29 KiB in one page); every 64 callbacks would let 140 KiB pile up here.
      expect(m.collections).toBeGreaterThanOrEqual(Math.floor(total / MIN_GARBAGE));
      // ...and not after every few callbacks.
      expect(m.collections).toBeLessThan(total / (16 << 10));
    } finally {
      host.close();
    }
  }, 300_000);
});

/** A request whose path, `length` bytes long, the module reads as a property: bytes the host
 *  hands over (through malloc) that the SDK does not free itself. */
function readPath(host: Host, length: number): void {
  const s = host.stream();
  s.requestHeaders(
    {
      ":method": "GET",
      ":path": `/${"p".repeat(length - 1)}`,
      ":authority": "a",
      "x-read-path": "1",
    },
    { endOfStream: true },
  );
  s.responseHeaders({ ":status": "200" }, { endOfStream: true });
  s.complete();
}

/** The requests (from 0) after which a collection had run, of `n` made by `request`. */
function collectedAfter(n: number, request: (i: number) => void): number[] {
  const at: number[] = [];
  for (let i = 0; i < n; i++) {
    const before = counts.collect;
    request(i);
    if (counts.collect > before) at.push(i);
  }
  return at;
}

describe("the collection policy of a build that does not count the heap", () => {
  // The garbage module's requests are two callbacks each (request headers, delete), and a
  // small heap stays in one page of linear memory.

  it("collects at the end of the VM's first callback, and not again in its start", async () => {
    for (const built of [uncounted, module]) {
      const before = counts.collect;
      const host = await start(0, built);
      try {
        expect(host.memoryBytes()).toBe(65536);
        expect(counts.collect - before).toBe(1);
      } finally {
        host.close();
      }
    }
  }, 300_000);

  it("collects once every 64 callbacks when nothing else is due", async () => {
    const host = await start(0, uncounted);
    try {
      run(host, 50, 0);
      const at = collectedAfter(200, () => run(host, 1, 0));
      expect(at.length).toBeGreaterThanOrEqual(6);
      expect(at.slice(1).map((n, i) => n - (at[i] as number))).toEqual(at.slice(1).map(() => 32));
    } finally {
      host.close();
    }
  }, 300_000);

  it("collects once the host has handed over 1/32 of linear memory (2 KiB of one page)", async () => {
    const host = await start(0, uncounted);
    try {
      run(host, 50, 0);
      // Two paths of 1,024 bytes reach 2 KiB: a collection after every second request...
      expect(collectedAfter(12, () => readPath(host, 1024))).toEqual([1, 3, 5, 7, 9, 11]);
      // ...two of 1,023 do not: after every third.
      expect(collectedAfter(12, () => readPath(host, 1023))).toEqual([2, 5, 8, 11]);
      // 1,024 and 1,023 bytes are one short of 2 KiB: a collection counts from nothing.
      expect(collectedAfter(12, (i) => readPath(host, i % 2 === 0 ? 1024 : 1023))).toEqual([
        2, 5, 8, 11,
      ]);
      expect(host.memoryBytes()).toBe(65536);
    } finally {
      host.close();
    }
  }, 300_000);
});

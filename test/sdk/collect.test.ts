// The collection policy of the minimal runtime (assembly/collect.ts): a collection marks every
// live object, so it runs once per as many bytes of garbage as the last one left live (or
// 64 KiB, or half the free memory when that is less), never per fixed number of callbacks, and
// garbage alone does not grow memory beyond twice the live heap. The module (test/modules/garbage) keeps a large live heap and makes the
// garbage each request asks for; it is built with AssemblyScript's runtime hooks
// (`ASC_RTRACE`), which count the collections and the objects they mark.

import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { hookRuntimeTrace } from "../../bench/lib/rtrace.ts";
import { asc } from "../../src/build/asc.ts";
import { compilerArgs } from "../../src/build/compile.ts";
import { createHost, type Host } from "../../src/testing/index.ts";
import { WA, type WasmModule } from "../../src/testing/wasm-api.ts";

const ROOT = resolve(fileURLToPath(import.meta.url), "..", "..", "..");
const KEEP = 20_000;
const MIN_GARBAGE = 64 << 10;

let traced = false;
const counts = hookRuntimeTrace(() => traced);
let module: WasmModule;

beforeAll(async () => {
  const outFile = join(ROOT, "build", "test-modules", "garbage.rtrace.wasm");
  const args = [
    ...compilerArgs({
      entry: join(ROOT, "test", "modules", "garbage", "assembly", "index.ts"),
      outFile,
    }),
    "--use",
    "ASC_RTRACE=1",
  ];
  let output = "";
  const sink = {
    write: (c: string | Uint8Array) => {
      output += String(c);
    },
  };
  const result = await asc.main(args, { stdout: sink, stderr: sink });
  if (result.error) throw new Error(`compiling the garbage module: ${output}`);
  module = await WA.compile(readFileSync(outFile));
}, 300_000);

async function start(keep: number): Promise<Host> {
  traced = true;
  try {
    return await createHost({ module, rootId: "garbage", configuration: { keep } });
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

// A worker thread of scripts/mutate-as.mjs: runs one compiled as-pect spec (its .wasm, built
// once with every mutant behind its switch) with one mutant switched on, the way as-pect's
// own runner does, and answers whether every test passed and, with no mutant on, which
// mutants the spec reached. The parent ends the thread when a run takes too long.
import { readFileSync } from "node:fs";
import { parentPort } from "node:worker_threads";
import { EmptyReporter, TestContext } from "@as-pect/core";
import { instantiate } from "@assemblyscript/loader";
import { MAGIC, patchBinary } from "./schema.mjs";

const binaries = new Map();

parentPort.on("message", async ({ wasm, fileName, id, count }) => {
  try {
    if (!binaries.has(wasm)) binaries.set(wasm, readFileSync(wasm));
    const { bytes } = patchBinary(binaries.get(wasm), id);
    const ctx = new TestContext({ reporter: new EmptyReporter(), binary: bytes, fileName });
    const memory = new WebAssembly.Memory({ initial: 10 });
    const module = await instantiate(bytes, ctx.createImports({ env: { memory } }));
    ctx.run(module);
    const failed = [];
    const walk = (node) => {
      if (!node.pass && node.type === 1) failed.push(node.name);
      for (const child of node.children ?? []) walk(child);
    };
    walk(ctx.rootNode);
    let covered = [];
    if (id < 0) {
      const mem = Buffer.from(module.exports.memory.buffer);
      const at = mem.indexOf(MAGIC);
      if (at >= 0) for (let m = 0; m < count; m++) if (mem[at + 16 + m] !== 0) covered.push(m);
    }
    parentPort.postMessage({ pass: ctx.pass, failed: failed.slice(0, 3), covered });
  } catch (error) {
    parentPort.postMessage({ pass: false, failed: [`error: ${error?.message ?? error}`], covered: [] });
  }
});

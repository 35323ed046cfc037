// What a root says its configuration needs of the per-stream callbacks (assembly/callbacks.ts,
// CallbackNeeds): the set each StreamCallbacks name stands for, the first reason given for each
// callback, noStreamState, a chain member's needs added with a prefix, and RootContext's
// default. test/modules/needs runs the steps its configuration lists and logs the set and
// each bit's reason; the set is also what the module answers the build
// (meshwasm_needed_callbacks).

import { readFile } from "node:fs/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { NEEDED_CALLBACKS_EXPORT } from "../../src/build/for-config.ts";
import { createHost } from "../../src/testing/index.ts";
import { WA, type WasmModule } from "../../src/testing/wasm-api.ts";
import { buildTestModule } from "../modules/build.ts";

let module: WasmModule;

beforeAll(async () => {
  module = await WA.compile(await readFile(await buildTestModule("needs")));
}, 300_000);

/** The bits in StreamCallbacks' order (RequestHeaders is bit 0, Delete bit 8). */
const BIT = {
  RequestHeaders: 1,
  RequestBody: 2,
  RequestTrailers: 4,
  ResponseHeaders: 8,
  ResponseBody: 16,
  ResponseTrailers: 32,
  Log: 64,
  Done: 128,
  Delete: 256,
} as const;

const KEEPS_STREAM_STATE =
  "the filter keeps state in a stream's context (the default; RootContext.neededCallbacks may call needs.noStreamState())";

/** Configures the module with `steps`: the set it logged and answers, and the reason of bits 0 to 9. */
async function needs(
  steps: string,
): Promise<{ mask: number; answered: number; reasons: string[] }> {
  const host = await createHost({ module, rootId: "needs", configuration: steps });
  try {
    const logs = host.logs("info");
    const mask = logs.find((l) => l.startsWith("mask "));
    const reasons: string[] = [];
    for (let bit = 0; bit < 10; bit++) {
      const prefix = `reason ${bit}: `;
      const line = logs.find((l) => l.startsWith(prefix));
      expect(line, `reason of bit ${bit}`).toBeDefined();
      reasons.push((line as string).slice(prefix.length));
    }
    const vm = host.vms[0];
    const root = host.roots[0];
    if (!vm || !root) throw new Error("no VM");
    const answered = Number(vm.call(NEEDED_CALLBACKS_EXPORT, root, root.id));
    return { mask: Number(mask?.slice("mask ".length)), answered, reasons };
  } finally {
    host.close();
  }
}

describe("CallbackNeeds", () => {
  it("needs proxy_on_delete alone until the root adds something, for keeping stream state", async () => {
    const n = await needs("");
    expect(n.mask).toBe(BIT.Delete);
    expect(n.answered).toBe(BIT.Delete);
    expect(n.reasons).toEqual(["", "", "", "", "", "", "", "", KEEPS_STREAM_STATE, ""]);
  });

  it.each(Object.entries(BIT))("StreamCallbacks.%s is bit %i", async (name, bit) => {
    const n = await needs(`state;need|${name}|because`);
    expect(n.mask).toBe(bit);
    expect(n.answered).toBe(bit);
    expect(n.reasons.filter((r) => r !== "")).toEqual(["because"]);
    expect(n.reasons[Math.log2(bit)]).toBe("because");
  });

  it("Request, Response and All are the unions of their callbacks", async () => {
    expect((await needs("state;need|Request|r")).mask).toBe(
      BIT.RequestHeaders | BIT.RequestBody | BIT.RequestTrailers,
    );
    expect((await needs("state;need|Response|r")).mask).toBe(
      BIT.ResponseHeaders | BIT.ResponseBody | BIT.ResponseTrailers,
    );
    expect((await needs("state;need|All|r")).mask).toBe(0x1ff);
  });

  it("keeps the first reason given for a callback; a later need adds only the new ones", async () => {
    const n = await needs(
      "state;need|RequestHeaders+Log|first;need|RequestHeaders+ResponseHeaders+Log|second",
    );
    expect(n.mask).toBe(BIT.RequestHeaders | BIT.ResponseHeaders | BIT.Log);
    expect(n.reasons).toEqual(["first", "", "", "second", "", "", "first", "", "", ""]);
  });

  it("noStreamState drops proxy_on_delete and its reason; a later need brings it back", async () => {
    const without = await needs("state;need|RequestHeaders|headers");
    // The build gets the set the configuration needs: the request's headers alone.
    expect(without.answered).toBe(BIT.RequestHeaders);
    expect(without.reasons[8]).toBe("");
    const again = await needs("state;need|RequestHeaders|headers;need|Delete|kept after all");
    expect(again.mask).toBe(BIT.RequestHeaders | BIT.Delete);
    expect(again.reasons[8]).toBe("kept after all");
  });

  it("add takes another set's callbacks with their reasons prefixed, keeping reasons already given", async () => {
    const n = await needs("state;need|Log|own;add|RequestHeaders+Log+Done|member 1: |its reason");
    // The member's own set keeps proxy_on_delete (it said nothing of stream state): added too.
    expect(n.mask).toBe(BIT.RequestHeaders | BIT.Log | BIT.Done | BIT.Delete);
    const member = "member 1: its reason";
    expect(n.reasons).toEqual([
      member,
      "",
      "",
      "",
      "",
      "",
      "own",
      member,
      `member 1: ${KEEPS_STREAM_STATE}`,
      "",
    ]);
  });

  it("a root that does not override neededCallbacks needs every callback", async () => {
    const n = await needs("state;default");
    expect(n.mask).toBe(0x1ff);
    const why = "the filter does not say which callbacks its configuration needs";
    expect(n.reasons).toEqual([why, why, why, why, why, why, why, why, why, ""]);
  });
});

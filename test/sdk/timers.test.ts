// A root's tick and the timers multiplexed on it (assembly/context.ts: setTickPeriod,
// addTimer, removeTimer, runTimers), with test/modules/timers: the tick the host is asked for,
// when each timer runs, and which root a call made from another root's stream sets.

import { readFile } from "node:fs/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { createHost, type Host } from "../../src/testing/index.ts";
import { RootContextState } from "../../src/testing/vm.ts";
import { WA, type WasmModule } from "../../src/testing/wasm-api.ts";
import { buildTestModule } from "../modules/build.ts";

let module: WasmModule;

beforeAll(async () => {
  module = await WA.compile(await readFile(await buildTestModule("timers")));
}, 300_000);

function start(configuration: string): Promise<Host> {
  return createHost({ module, rootId: "timers", configuration });
}

/** What ran at each of `ticks` steps of `ms`: the timers' names and "tick", per step. */
function run(h: Host, ticks: number, ms: number): string[][] {
  const steps: string[][] = [];
  for (let i = 0; i < ticks; i++) {
    const before = h.logs("info").length;
    h.advance(ms);
    steps.push(
      h
        .logs("info")
        .slice(before)
        .map((line) => line.slice(0, line.indexOf(" at "))),
    );
  }
  return steps;
}

describe("the tick a root asks for", () => {
  it.each([
    ["add a 300;add b 200", 100],
    ["add a 200;add b 300", 100],
    ["add a 300;add b 1", 1],
    ["add a 300;add b 0", 300],
    ["tick 50;add a 300", 50],
    ["tick 1;add a 300", 1],
    ["tick 300;add a 200;add b 120", 20],
    ["add a 300", 300],
    ["tick 70", 70],
  ])("%s: every %i ms", async (steps, tick) => {
    const h = await start(steps);
    expect(h.tickPeriod()).toBe(tick);
    expect(h.logs("info").every((line) => line.endsWith(": 0"))).toBe(true);
  });

  it("removing a timer asks for the tick of the others; removing the last stops the tick", async () => {
    const h = await start("add a 20;add b 30;remove a");
    expect(h.tickPeriod()).toBe(30);
    expect(h.logs("info")).toEqual(["add: 0", "add: 0", "remove: 0"]);
    // a, removed, never runs; b alone runs every 30 ms.
    expect(run(h, 3, 30)).toEqual([
      ["b", "tick"],
      ["b", "tick"],
      ["b", "tick"],
    ]);
    const last = await start("add a 20;add b 30;remove b");
    expect(last.tickPeriod()).toBe(20);
    expect(run(last, 2, 20)).toEqual([
      ["a", "tick"],
      ["a", "tick"],
    ]);
    expect((await start("add a 20;remove a")).tickPeriod()).toBe(0);
    // A timer never added changes nothing.
    const h2 = await start("add a 20;add b 30;remove c");
    expect(h2.tickPeriod()).toBe(10);
  });
});

describe("timers", () => {
  it("each runs once its period has passed, before onTick", async () => {
    const h = await start("add a 30;add b 20");
    expect(h.tickPeriod()).toBe(10);
    expect(run(h, 6, 10)).toEqual([
      ["tick"],
      ["b", "tick"],
      ["a", "tick"],
      ["b", "tick"],
      ["tick"],
      ["a", "b", "tick"],
    ]);
  });

  it("a tick 1 ms early runs a timer, and the early millisecond does not add up", async () => {
    // A 1 ms tick (the greatest common divisor of 3 and 2): each timer runs on the tick 1 ms
    // before it is due, and then every 3 and 2 ms, not every 2 and 1.
    const h = await start("add a 3;add b 2");
    expect(h.tickPeriod()).toBe(1);
    expect(run(h, 8, 1)).toEqual([
      ["b", "tick"],
      ["a", "tick"],
      ["b", "tick"],
      ["tick"],
      ["a", "b", "tick"],
      ["tick"],
      ["b", "tick"],
      ["a", "tick"],
    ]);
  });

  it("a late tick runs a timer once, and its period counts from then", async () => {
    const h = await start("add a 30");
    // The host's tick comes 50 ms late: the timer runs once, then 30 ms later.
    const root = h.roots[0];
    if (!root) throw new Error("no root");
    h.world.setTickPeriod(root, 80);
    expect(run(h, 1, 80)).toEqual([["a", "tick"]]);
    h.world.setTickPeriod(root, 10);
    expect(run(h, 3, 10)).toEqual([["tick"], ["tick"], ["a", "tick"]]);
  });
});

describe("a root acting from another root's stream", () => {
  it("sets its own tick, not the running stream's root's", async () => {
    const h = await createHost({
      module,
      rootId: "timers",
      configuration: "hold",
      sharedVm: [{ name: "b", rootId: "other", configuration: "" }],
    });
    const vm = h.vms[0];
    const other =
      vm &&
      [...vm.contexts.values()].find((c) => c instanceof RootContextState && c.plugin.name === "b");
    if (!(other instanceof RootContextState)) throw new Error("no root b");
    const act = (steps: string) => {
      const s = h.stream({ plugin: "b" });
      s.requestHeaders({ ":method": "GET", ":authority": "a", ":path": `/${steps}` });
    };
    act("tick_40");
    expect(h.tickPeriod()).toBe(40);
    act("add_c_60");
    expect(h.tickPeriod()).toBe(20);
    act("remove_c");
    expect(h.tickPeriod()).toBe(40);
    expect(other.tickPeriodMs).toBe(0);
  });
});

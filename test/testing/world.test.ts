// The test host's world on its own: virtual time and what it fires (ticks of every root and
// callout timeouts, in time order), the log level, shared data and queues, posted work. The
// host's suites reach these through modules; here each rule is checked directly.

import { describe, expect, it } from "vitest";
import type { CalloutOwner } from "../../src/testing/callouts.ts";
import { Status } from "../../src/testing/status.ts";
import {
  Clock,
  SharedData,
  SharedQueues,
  type TickTarget,
  World,
} from "../../src/testing/world.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | number | undefined) =>
  b instanceof Uint8Array ? new TextDecoder().decode(b) : b;

/** A world whose clock starts at 0, and what it fired, as "name@ms". */
function timeline(logLevel: "info" | "warn" = "info") {
  const world = new World({ logLevel, startTimeMs: 0 });
  const fired: string[] = [];
  const root = (name: string): TickTarget => ({
    tickPeriodMs: 0,
    nextTickAt: 0,
    tick: () => fired.push(`${name}@${world.nowMs()}`),
  });
  const owner: CalloutOwner = {
    httpCallResponse: (token, response) =>
      fired.push(`call ${token} ${response?.headers.get(":status")}@${world.nowMs()}`),
    grpcReceive: () => {},
    grpcInitialMetadata: () => {},
    grpcTrailingMetadata: () => {},
    grpcClose: () => {},
    listening: true,
  };
  world.callouts.knownClusters.add("silent");
  const call = (timeoutMs: number) =>
    world.callouts.httpCall(owner, {
      cluster: "silent",
      headers: [
        [":method", "GET"],
        [":path", "/"],
        [":authority", "silent"],
      ],
      body: new Uint8Array(0),
      trailers: [],
      timeoutMs,
    });
  return { world, fired, root, call };
}

describe("virtual time", () => {
  it("moves only when advanced; monotonic time starts at one second", () => {
    const clock = new Clock(7_000_000n);
    expect(clock.nowNanos()).toBe(7_000_000n);
    expect(clock.monotonicNanos()).toBe(1_000_000_000n);
    expect(clock.nowMs()).toBe(0);
    clock.advanceTo(2.5);
    expect(clock.nowNanos()).toBe(9_500_000n);
    expect(clock.monotonicNanos()).toBe(1_002_500_000n);
    expect(clock.nowMs()).toBe(2);
  });

  it("fires every root's ticks in time order, the earlier-set root first on a tie, at their time", () => {
    const { world, fired, root } = timeline();
    const a = root("a");
    const b = root("b");
    world.setTickPeriod(a, 100);
    world.setTickPeriod(b, 250);
    expect(world.nextEventAt()).toBe(100);
    world.advance(500);
    expect(fired).toEqual(["a@100", "a@200", "b@250", "a@300", "a@400", "a@500", "b@500"]);
    expect(world.nowMs()).toBe(500);
    expect(world.nextEventAt()).toBe(600);

    // A period of 0 stops the root's ticks.
    world.setTickPeriod(a, 0);
    expect(a.nextTickAt).toBe(0);
    expect(world.nextEventAt()).toBe(750);
    fired.length = 0;
    world.advance(300);
    expect(fired).toEqual(["b@750"]);
    world.setTickPeriod(b, 0);
    expect(world.nextEventAt()).toBeUndefined();
    world.advance(1000);
    expect(fired).toEqual(["b@750"]);
    expect(world.nowMs()).toBe(1800);
  });

  it("starts a root's period from the time it is set, and fires nothing past the end", () => {
    const { world, fired, root } = timeline();
    world.advance(30);
    const a = root("a");
    world.setTickPeriod(a, 100);
    expect(a.nextTickAt).toBe(130);
    world.advance(99);
    expect(fired).toEqual([]);
    world.advance(1);
    expect(fired).toEqual(["a@130"]);
  });

  it("times out callouts in time order between the ticks, a tick first on a tie", () => {
    const { world, fired, root, call } = timeline();
    const a = root("a");
    world.setTickPeriod(a, 100);
    const late = call(250);
    const early = call(100);
    const never = call(0); // no timeout: pending until answered
    expect(world.nextEventAt()).toBe(100);
    world.setTickPeriod(a, 0);
    expect(world.nextEventAt()).toBe(100); // the callout's
    world.setTickPeriod(a, 100);
    world.advance(300);
    expect(fired).toEqual([
      "a@100",
      `call ${early} 504@100`,
      "a@200",
      `call ${late} 504@250`,
      "a@300",
    ]);
    expect(never).toBeGreaterThan(0);
    world.setTickPeriod(a, 0);
    expect(world.nextEventAt()).toBeUndefined();
  });

  it("takes a callout's timeout when it falls before the next tick, not after", () => {
    const { world, root, call } = timeline();
    world.setTickPeriod(root("a"), 100);
    call(150);
    expect(world.nextEventAt()).toBe(100);
    call(40);
    expect(world.nextEventAt()).toBe(40);
  });
});

describe("the world's log", () => {
  it("keeps the filter's lines at the level and above, and every line of the host", () => {
    const { world } = timeline("warn");
    world.log(1, 2, "info from the filter", "wasm");
    world.log(1, 3, "warn from the filter", "wasm");
    world.log(1, 1, "debug from the host", "host");
    world.log(2, 9, "a level Envoy does not have", "host");
    expect(world.logs).toEqual([
      { level: "warn", message: "warn from the filter", worker: 1, source: "wasm" },
      { level: "debug", message: "debug from the host", worker: 1, source: "host" },
      { level: "info", message: "a level Envoy does not have", worker: 2, source: "host" },
    ]);
  });
});

describe("shared data", () => {
  it("takes Envoy's CAS tokens only (1 to 4294967295) as the first token", () => {
    expect(() => new World({ logLevel: "info", sharedDataCas: 0xffffffff })).not.toThrow();
    for (const bad of [0, 0x100000000, 1.5]) {
      expect(() => new World({ logLevel: "info", sharedDataCas: bad })).toThrow(
        `sharedDataCas: ${bad} is not a token of Envoy's counter (1 to 4294967295)`,
      );
    }
  });

  it("keeps a copy of what was written, per VM, and counts tokens past 32 bits from 1", () => {
    const shared = new SharedData(0xfffffffe);
    const value = bytes("one");
    expect(shared.set("vm", "k", value, 0)).toBe(Status.Ok);
    value.set(bytes("two"));
    expect(text(shared.get("vm", "k")?.value)).toBe("one");
    expect(shared.get("vm", "k")?.cas).toBe(0xfffffffe);
    expect(shared.get("other", "k")).toBeUndefined();
    expect(shared.set("vm", "k", bytes("b"), 1)).toBe(Status.CasMismatch);
    expect(shared.set("vm", "k", bytes("b"), 0xfffffffe)).toBe(Status.Ok);
    expect(shared.get("vm", "k")?.cas).toBe(0xffffffff);
    expect(shared.set("vm", "k", bytes("c"), 0)).toBe(Status.Ok);
    expect(shared.get("vm", "k")?.cas).toBe(1);
  });
});

describe("shared queues", () => {
  it("queues copies, per VM, wakes the owner after the current call, and counts what waits", () => {
    const woken: number[] = [];
    const posted: (() => void)[] = [];
    const queues = new SharedQueues({ post: (action) => posted.push(action) });
    const owner = { vmId: "vm", queueReady: (token: number) => woken.push(token) };
    const token = queues.register(owner, "q");
    expect(queues.register(owner, "q")).toBe(token);
    expect(queues.resolve("vm", "q")).toBe(token);
    expect(queues.resolve("other", "q")).toBeUndefined();
    expect(queues.size("vm", "nope")).toBe(0);
    expect(queues.size("vm", "q")).toBe(0);

    const item = bytes("first");
    expect(queues.enqueue(token, item)).toBe(Status.Ok);
    item.set(bytes("FIRST"));
    expect(queues.enqueue(token, bytes("second"))).toBe(Status.Ok);
    expect(queues.enqueue(token + 1, bytes("x"))).toBe(Status.NotFound);
    expect(queues.size("vm", "q")).toBe(2);
    expect(woken).toEqual([]);
    for (const action of posted) action();
    expect(woken).toEqual([token, token]);

    expect(queues.dequeue("other", token)).toBe(Status.BadArgument);
    expect(queues.dequeue("vm", token + 1)).toBe(Status.NotFound);
    expect(text(queues.dequeue("vm", token))).toBe("first");
    expect(text(queues.dequeue("vm", token))).toBe("second");
    expect(queues.dequeue("vm", token)).toBe(Status.Empty);
  });
});

describe("posted work", () => {
  it("runs in order when drained, with what it posts in turn", () => {
    const { world } = timeline();
    const ran: string[] = [];
    world.post(() => {
      ran.push("a");
      world.post(() => ran.push("c"));
    });
    world.post(() => ran.push("b"));
    expect(ran).toEqual([]);
    world.drain();
    expect(ran).toEqual(["a", "b", "c"]);
  });
});

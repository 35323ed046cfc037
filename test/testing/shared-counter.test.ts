// addSharedCounter under contention: the test host stands in for another worker that writes
// the counter between the plugin's read and its compare-and-swap write.

import { describe, expect, it } from "vitest";
import { createHost } from "../../src/testing/index.ts";
import { buildTestModule } from "../modules/build.ts";

const module = await buildTestModule("conformance");

function u64(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigInt64(0, BigInt(n), true);
  return out;
}

function readU64(bytes: Uint8Array | undefined): number {
  if (!bytes) throw new Error("conf_counter is not set");
  expect(bytes.length).toBe(8);
  return Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigInt64(0, true));
}

/** The other worker: adds one to whatever the plugin just read. */
const otherWorkerAddsOne = (current: Uint8Array | undefined): Uint8Array =>
  u64((current ? readU64(current) : 0) + 1);

describe("addSharedCounter", () => {
  it("adds to an unset counter and to a set one", async () => {
    const host = await createHost({ module });
    const first = await host.request({ path: "/shared/counter", headers: { "x-delta": "5" } });
    expect(first.headers["x-note-counter"]).toBe("5");
    const second = await host.request({ path: "/shared/counter", headers: { "x-delta": "2" } });
    expect(second.headers["x-note-counter"]).toBe("7");
    expect(readU64(host.sharedData("conf_counter"))).toBe(7);
  });

  it("retries when another worker writes between its read and its write, losing no update", async () => {
    const host = await createHost({ module });
    host.setSharedData("conf_counter", u64(10));
    // Three reads in a row are each overtaken by the other worker's +1; the fourth wins.
    host.contendSharedData("conf_counter", 3, otherWorkerAddsOne);
    const res = await host.request({ path: "/shared/counter", headers: { "x-delta": "5" } });
    expect(res.headers["x-note-counter"]).toBe("18");
    expect(readU64(host.sharedData("conf_counter"))).toBe(18);
  });

  it("reports failure (-1) when every attempt loses, leaving the other writes intact", async () => {
    const host = await createHost({ module });
    host.setSharedData("conf_counter", u64(10));
    host.contendSharedData("conf_counter", 4, otherWorkerAddsOne);
    const res = await host.request({
      path: "/shared/counter",
      headers: { "x-delta": "5", "x-attempts": "4" },
    });
    expect(res.headers["x-note-counter"]).toBe("-1");
    expect(readU64(host.sharedData("conf_counter"))).toBe(14);
  });

  it("creates an unset counter only while it is still absent, keeping a racing creator's write", async () => {
    const host = await createHost({ module });
    // The other worker creates the counter (1) between the plugin's read (absent) and its write.
    host.contendSharedData("conf_counter", 1, otherWorkerAddsOne);
    const res = await host.request({ path: "/shared/counter", headers: { "x-delta": "5" } });
    expect(res.headers["x-note-counter"]).toBe("6");
    expect(readU64(host.sharedData("conf_counter"))).toBe(6);
  });

  it("keeps every creator's update when each attempt is overtaken by another creation", async () => {
    const host = await createHost({ module });
    // Each read is followed by another worker's write: the first creates the key, the next add.
    host.contendSharedData("conf_counter", 3, otherWorkerAddsOne);
    const res = await host.request({ path: "/shared/counter", headers: { "x-delta": "5" } });
    expect(res.headers["x-note-counter"]).toBe("8");
    expect(readU64(host.sharedData("conf_counter"))).toBe(8);
  });

  it("counts exactly across two workers taking turns with contention", async () => {
    const host = await createHost({ module, workers: 2, vmId: "counter" });
    // No value set first: the creating write is itself conditional on the key being absent.
    for (let i = 0; i < 6; i++) {
      if (i % 2 === 0) host.contendSharedData("conf_counter", 1, otherWorkerAddsOne);
      const res = await host.request({ path: "/shared/counter", worker: i % 2 });
      expect(res.headers["x-note-counter"]).not.toBe("-1");
    }
    // Six increments from the plugin plus three from the contending writer.
    expect(readU64(host.sharedData("conf_counter"))).toBe(9);
  });
});

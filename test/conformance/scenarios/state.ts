// Shared data, shared queues, timers.

import { expect } from "vitest";
import type { Scenario } from "../harness.ts";

export const stateScenarios: Scenario[] = [
  {
    name: "shared data written by one request is read by the next",
    async run(t) {
      const set = await t.request("/shared/set");
      expect(set.headers["x-note-status"]).toBe("0");
      const get = await t.request("/shared/get");
      expect(get.headers["x-note-value"]).toBe("hello-shared");
      expect(get.headers["x-note-cas-nonzero"]).toBe("yes");
    },
  },
  {
    name: "shared data CAS: a stale token is CasMismatch, token 0 always writes",
    async run(t) {
      const res = await t.request("/shared/cas");
      expect(res.headers["x-note-first"]).toBe("0");
      expect(res.headers["x-note-stale"]).toBe("8");
      expect(res.headers["x-note-unconditional"]).toBe("0");
      expect(res.headers["x-note-final"]).toBe("d");
    },
  },
  {
    name: "shared data: an empty value is a present key with a token; create only while absent",
    async run(t) {
      const res = await t.request("/shared/empty");
      expect(res.headers["x-note-set"]).toBe("0");
      expect(res.headers["x-note-read"]).toBe("0");
      expect(res.headers["x-note-cas-nonzero"]).toBe("yes");
      expect(res.headers["x-note-rewrite"]).toBe("0");
      expect(res.headers["x-note-stale"]).toBe("8");
      expect(res.headers["x-note-create"]).toBe("0");
      expect(res.headers["x-note-create-again"]).toBe("8");
      expect(res.headers["x-note-created"]).toBe("c");
    },
  },
  {
    name: "a key nobody set is absent",
    async run(t) {
      const res = await t.request("/shared/missing");
      expect(res.headers["x-note-missing"]).toBe("null");
    },
  },
  {
    name: "enqueue wakes the registered root; the queue then reads Empty",
    setup: { vmId: "conf_vm" },
    async run(t) {
      const res = await t.request("/queue/enqueue");
      expect(res.headers["x-note-resolve-status"]).toBe("0");
      expect(res.headers["x-note-same-id"]).toBe("yes");
      expect(res.headers["x-note-enqueue-status"]).toBe("0");
      await t.wait(50);
      const read = await t.request("/queue/read");
      expect(read.headers["x-note-last"]).toBe("queued-item");
      expect(read.headers["x-note-empty-status"]).toBe("7");
    },
  },
  {
    name: "resolving an unknown queue is NotFound, enqueue to a bad id NotFound",
    async run(t) {
      const res = await t.request("/queue/unknown");
      expect(res.headers["x-note-resolve-status"]).toBe("1");
      expect(res.headers["x-note-enqueue-status"]).toBe("1");
    },
  },
  {
    name: "the tick fires every period",
    setup: { configuration: "tick" },
    async run(t) {
      await t.wait(300);
      const res = await t.request("/ticks");
      expect(res.headers["x-note-ticked"]).toBe("yes");
      expect(await t.counter("conf_ticks")).toBeGreaterThanOrEqual(2);
    },
  },
];

stateScenarios.push(
  {
    name: "two workers: shared data is one store for every VM of the vm_id",
    setup: { workers: 2, vmId: "conf_shared" },
    async run(t) {
      await t.request("/shared/set");
      for (let i = 0; i < 4; i++) {
        const res = await t.request("/shared/get");
        expect(res.headers["x-note-value"]).toBe("hello-shared");
      }
    },
  },
  {
    name: "two workers: a counter sums what every VM records",
    setup: { workers: 2 },
    async run(t) {
      for (let i = 0; i < 6; i++) await t.request("/metrics/x");
      expect(await t.counter("conf_requests")).toBe(6);
    },
  },
);

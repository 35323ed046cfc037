// Contexts made at their first callback. Test modules are built as `meshwasm build` builds a
// filter, without proxy_on_context_create, so Envoy never announces a context: the SDK makes
// a root at its proxy_on_vm_start / proxy_on_configure and a stream at the first callback that
// names it. test/modules/contexts has two roots ("alpha", "beta") whose streams override only
// onResponseHeaders, onLog and onDelete, so a stream's first VM entry is its response headers
// (or its log), and counts what each root made, logged and deleted.

import { expect } from "vitest";
import type { Scenario, Target } from "../harness.ts";

/** Waits until a counter reaches `value` (Envoy's log and delete run after the response). */
async function counterReaches(t: Target, name: string, value: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  let seen = await t.counter(name);
  while (seen !== value && Date.now() < deadline) {
    await t.wait(20);
    seen = await t.counter(name);
  }
  expect(seen, name).toBe(value);
}

const ALPHA = { module: "contexts", rootId: "alpha", configuration: "config A" };

export const contextScenarios: Scenario[] = [
  {
    name: "contexts: a module without proxy_on_context_create makes each stream at its first callback, and deletes it",
    setup: ALPHA,
    async run(t) {
      for (let i = 1; i <= 30; i++) {
        const res = await t.request(`/one/${i}`);
        expect(res.status).toBe(200);
        expect(res.headers["x-root"]).toBe("alpha");
        expect(res.headers["x-config"]).toBe("config A");
        // Only this stream is alive: every earlier one was deleted.
        expect(res.headers["x-live"]).toBe("1");
        expect(res.headers["x-roots-in-vm"]).toBe("1");
      }
      await counterReaches(t, "contexts_alpha_created", 30);
      await counterReaches(t, "contexts_alpha_logged", 30);
      await counterReaches(t, "contexts_alpha_deleted", 30);
    },
  },
  {
    name: "contexts: a module that keeps proxy_on_context_create gets each context announced",
    setup: { ...ALPHA, module: "contexts-announced" },
    async run(t) {
      for (let i = 1; i <= 5; i++) {
        const res = await t.request(`/announced/${i}`);
        expect([res.headers["x-root"], res.headers["x-live"]]).toEqual(["alpha", "1"]);
      }
      await counterReaches(t, "contexts_alpha_created", 5);
      await counterReaches(t, "contexts_alpha_deleted", 5);
    },
  },
  {
    name: "contexts: two plugins with different root ids in one VM each get their own streams",
    setup: {
      ...ALPHA,
      sharedVm: [{ name: "second", rootId: "beta", configuration: "config B" }],
    },
    async run(t) {
      for (let i = 0; i < 10; i++) {
        const a = await t.request(`/a/${i}`);
        expect([a.headers["x-root"], a.headers["x-config"], a.headers["x-live"]]).toEqual([
          "alpha",
          "config A",
          "1",
        ]);
        // One VM holds both roots: the stream's plugin_root_id picked this one.
        expect(a.headers["x-roots-in-vm"]).toBe("2");
        const b = await t.request(`/plugin/second/${i}`);
        expect([b.headers["x-root"], b.headers["x-config"], b.headers["x-live"]]).toEqual([
          "beta",
          "config B",
          "1",
        ]);
      }
      for (const root of ["alpha", "beta"]) {
        await counterReaches(t, `contexts_${root}_created`, 10);
        await counterReaches(t, `contexts_${root}_deleted`, 10);
      }
    },
  },
  {
    name: "contexts: a client gone before its headers ended costs nothing; one gone mid-body is made at its log and deleted",
    setup: ALPHA,
    async run(t) {
      await t.abandon("/gone/headers", "headers");
      await t.abandon("/gone/body", "body");
      // The mid-body stream's first VM entry is proxy_on_log: made there, then deleted.
      await counterReaches(t, "contexts_alpha_created", 1);
      await counterReaches(t, "contexts_alpha_logged", 1);
      await counterReaches(t, "contexts_alpha_deleted", 1);
      const res = await t.request("/after");
      expect(res.headers["x-live"]).toBe("1");
      await counterReaches(t, "contexts_alpha_deleted", 2);
    },
  },
  {
    name: "contexts: a module without proxy_on_delete ends each stream at its log: every stream is logged, and nothing reaches it after",
    setup: { ...ALPHA, module: "contexts-until-log" },
    async run(t) {
      // A callback after the log would find no context and make a new one (created, never
      // logged); a stream never logged would stay live. Neither may happen.
      for (let i = 1; i <= 30; i++) {
        const res = await t.request(`/until-log/${i}`);
        expect(res.status).toBe(200);
        expect(res.headers["x-live"]).toBe("1");
      }
      await t.abandon("/until-log/gone/headers", "headers");
      await t.abandon("/until-log/gone/body", "body");
      await counterReaches(t, "contexts_alpha_created", 31);
      await counterReaches(t, "contexts_alpha_logged", 31);
      // onDelete runs at the log.
      await counterReaches(t, "contexts_alpha_deleted", 31);
      const res = await t.request("/until-log/after");
      expect(res.headers["x-live"]).toBe("1");
      await counterReaches(t, "contexts_alpha_logged", 32);
      expect(await t.counter("contexts_alpha_created")).toBe(32);
    },
  },
  {
    // test/modules/context-create: a stream's constructor reads request.path and whether
    // source.address is readable (a stream has one, a root none), then again after a call
    // through the root's handle, then after one through its own; onRequestHeaders the same.
    name: "contexts: a stream is current while the host creates it, as in its callbacks: a property read sees the stream (request.path not yet), a root handle's call makes the root effective",
    setup: { module: "context-create" },
    async run(t) {
      const res = await t.request("/create");
      expect(res.status).toBe(200);
      await t.waitForLog(/^headers: /);
      const lines = t
        .logs()
        .map((l) => l.message)
        .filter((m) => /^(created|headers): /.test(m));
      expect(lines).toEqual([
        "created: none; stream none stream",
        "headers: /create; stream none stream",
      ]);
    },
  },
];

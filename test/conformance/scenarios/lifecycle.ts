// Plugin and stream lifecycle, failures, foreign functions.

import { generateKeyPairSync, sign } from "node:crypto";
import { expect } from "vitest";
import type { Scenario } from "../harness.ts";

const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
const publicDer = keys.publicKey.export({ type: "spki", format: "der" }).toString("hex");
const message = "signed by conformance";
const signature = sign("sha256", Buffer.from(message), keys.privateKey).toString("hex");

export const lifecycleScenarios: Scenario[] = [
  {
    name: "callbacks of one request run in Envoy's order",
    quirk:
      "Envoy runs proxy_on_log (access-log phase, headers readable again) before proxy_on_done and proxy_on_delete",
    async run(t) {
      await t.request("/lifecycle/order");
      await t.waitForLog(/cb:delete/);
      const order = t
        .logs()
        .filter((l) => l.message.startsWith("cb:"))
        .map((l) => l.message);
      expect(order).toEqual([
        "cb:request_headers",
        "cb:response_headers",
        "cb:response_body",
        "cb:log",
        "cb:log-path /lifecycle/order",
        "cb:done",
        "cb:delete",
      ]);
    },
  },
  {
    name: "onConfigure returning false stops the plugin from starting",
    setup: { configuration: "refuse" },
    startFails: /configuration refused on purpose/,
  },
  {
    name: "a trap in onConfigure stops the plugin from starting",
    setup: { configuration: "trap-configure" },
    startFails: /proxy_on_configure/,
  },
  {
    name: "the clock reads wall time in nanoseconds",
    async run(t) {
      const res = await t.request("/time/now");
      expect(res.headers["x-note-after-2020"]).toBe("yes");
    },
  },
  {
    name: "proxy_done outside a pending root shutdown is NotFound",
    async run(t) {
      const res = await t.request("/lifecycle/done");
      expect(res.headers["x-note-done-status"]).toBe("1");
    },
  },
  {
    name: "set_effective_context to an unknown id is BadArgument",
    async run(t) {
      const res = await t.request("/lifecycle/effective-bad");
      expect(res.headers["x-note-status"]).toBe("2");
    },
  },
  {
    name: "verify_signature checks an RSA signature",
    async run(t) {
      const res = await t.request("/foreign/verify", {
        headers: { "x-key": publicDer, "x-sig": signature, "x-msg": message },
      });
      expect(res.headers["x-note-status"]).toBe("0");
      expect(res.headers["x-note-valid"]).toBe("yes");
      expect(res.headers["x-note-tampered"]).toBe("no");
    },
  },
  {
    name: "clear_route_cache is available on the request path",
    async run(t) {
      const res = await t.request("/foreign/route-cache");
      expect(res.headers["x-note-status"]).toBe("0");
      expect(res.status).toBe(200);
    },
  },
  {
    name: "an unknown foreign function is NotFound",
    async run(t) {
      const res = await t.request("/foreign/unknown");
      expect(res.headers["x-note-status"]).toBe("1");
    },
  },
  {
    name: "set_envoy_filter_state with a key without a factory is NotFound",
    async run(t) {
      const res = await t.request("/foreign/filter-state");
      expect(res.headers["x-note-unknown-key"]).toBe("1");
    },
  },
  {
    name: "proxy_on_foreign_function reaches the root with its arguments as call data",
    emulatorOnly: "Envoy calls proxy_on_foreign_function from no HTTP or network filter path",
    async run(t) {
      t.callForeignFunction?.(7, "args-from-host");
      const res = await t.request("/foreign/called");
      expect(res.headers["x-note-foreign"]).toBe("7:args-from-host:14");
    },
  },
];

lifecycleScenarios.push(
  {
    name: "a module with a stray import does not load, naming the import",
    setup: { module: "stray-import" },
    startFails: /missing import: env\.proxy_get_configuration/,
  },
  {
    name: "a module without an allocator does not load",
    setup: { module: "no-malloc" },
    startFails: /missing malloc function/,
  },
  {
    name: "a module without the ABI marker does not load",
    setup: { module: "no-marker" },
    startFails: /Missing or unknown Proxy-Wasm ABI version/,
  },
  {
    name: "a trap in the start call stops the plugin, naming _initialize",
    setup: { module: "start-trap" },
    startFails: /_initialize failed/,
  },
  {
    name: "a host call forbidden during the start call stops the plugin",
    setup: { module: "start-restricted" },
    startFails: /restricted_callback/,
  },
  {
    name: "a log line from the module's top-level statements goes out, and the plugin starts",
    setup: { module: "start-log" },
    async run(t) {
      const res = await t.request("/start-log");
      expect(res.status).toBe(200);
      await t.waitForLog(/^start-log: logged at top level$/);
      // The root's callbacks ask the host: both run the module's log at debug (1).
      await t.waitForLog(/^start-log: level in onConfigure 1$/);
    },
  },
);

lifecycleScenarios.push({
  name: "a client that gives up on a paused request still gets onLog, onDone, onDelete",
  async run(t) {
    const res = await t.request("/lifecycle/abort", { abortAfterMs: 300 });
    expect(res.reset).toBe(true);
    await t.waitForLog(/cb:delete/);
    const order = t
      .logs()
      .filter((l) => l.message.startsWith("cb:"))
      .map((l) => l.message);
    expect(order).toEqual([
      "cb:request_headers",
      "cb:log",
      "cb:log-path /lifecycle/abort",
      "cb:done",
      "cb:delete",
    ]);
  },
});

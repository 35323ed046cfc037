// The conformance coverage listing on its own: the counting cells and the report of every
// ABI 0.2.1 host function, callback and served HTTP attribute, touched or missed.

import { describe, expect, it } from "vitest";
import { HTTP_ATTRIBUTES } from "../../src/testing/attributes.ts";
import { Coverage } from "../../src/testing/coverage.ts";
import { GUEST_EXPORTS, PROXY_HOST_FUNCTIONS } from "../../src/wasm/abi.ts";

const HOST = PROXY_HOST_FUNCTIONS.map((f) => f.name);
const CALLBACKS = GUEST_EXPORTS.filter((e) => e.role === "callback" && e.inSpec).map((e) => e.name);
const ATTRIBUTES = Object.keys(HTTP_ATTRIBUTES);

describe("Coverage", () => {
  it("hands out one cell per name of each kind, counting from zero", () => {
    const c = new Coverage();
    const cell = c.hostCell("proxy_log");
    expect(cell).toEqual({ count: 0 });
    expect(c.hostCell("proxy_log")).toBe(cell);
    expect(c.hostCell("proxy_get_property")).not.toBe(cell);
    const cb = c.callbackCell("proxy_on_tick");
    expect(c.callbackCell("proxy_on_tick")).toBe(cb);
    expect(cb).not.toBe(c.hostCell("proxy_on_tick"));
    const at = c.attributeCell("request.path");
    expect(at).toEqual({ count: 0 });
    expect(c.attributeCell("request.path")).toBe(at);
    expect(c.attributeCell("request.method")).not.toBe(at);
  });

  it("lists only what ran, with its count", () => {
    const c = new Coverage();
    c.hostCell("proxy_log").count += 3;
    c.hostCell("proxy_get_property"); // made, never counted
    c.callback("proxy_on_tick");
    c.callback("proxy_on_tick");
    c.callbackCell("proxy_on_vm_start");
    expect([...c.hostCalls]).toEqual([["proxy_log", 3]]);
    expect([...c.callbacks]).toEqual([["proxy_on_tick", 2]]);
  });

  it("reports every host function, callback and attribute, touched or missed", () => {
    const c = new Coverage();
    c.hostCell("proxy_log").count = 2;
    c.hostCell("fd_write").count = 1;
    c.hostCell("environ_get").count = 4;
    c.hostCell("proxy_get_property"); // never counted: missed
    c.callback("proxy_on_request_headers");
    c.callback("proxy_on_request_metadata"); // not in the 0.2.1 spec: not listed
    c.attributeCell("request.path").count = 5;
    c.attributeCell("request.method");
    const r = c.report();
    expect(r.missingHostCalls).toEqual(HOST.filter((n) => n !== "proxy_log"));
    expect(r.missingCallbacks).toEqual(CALLBACKS.filter((n) => n !== "proxy_on_request_headers"));
    expect(r.missingAttributes).toEqual(ATTRIBUTES.filter((n) => n !== "request.path"));
    const lines = r.text.split("\n");
    expect(lines).toHaveLength(HOST.length + CALLBACKS.length + ATTRIBUTES.length + 4);
    expect(lines[0]).toBe(`host calls: 1/${HOST.length}`);
    expect(lines).toContain(`  ✓ ${"proxy_log".padEnd(44)} 2`);
    expect(lines).toContain(`  ✗ ${"proxy_get_property".padEnd(44)} 0`);
    expect(lines[HOST.length + 1]).toBe(`callbacks: 1/${CALLBACKS.length}`);
    expect(lines).toContain(`  ✓ ${"proxy_on_request_headers".padEnd(44)} 1`);
    expect(lines).toContain(`  ✗ ${"proxy_on_response_headers".padEnd(44)} 0`);
    expect(lines.some((l) => l.includes("proxy_on_request_metadata"))).toBe(false);
    expect(lines[HOST.length + CALLBACKS.length + 2]).toBe(
      `HTTP attributes: 1/${ATTRIBUTES.length}`,
    );
    expect(lines).toContain(`  ✓ ${"request.path".padEnd(44)} 5`);
    expect(lines).toContain(`  ✗ ${"request.method".padEnd(44)} 0`);
    expect(lines.at(-1)).toBe("other imports touched: fd_write 1, environ_get 4");
    // Each list in the spec's order, one line per name.
    expect(lines.slice(1, HOST.length + 1).map((l) => l.slice(4).split(" ")[0])).toEqual(HOST);
  });

  it("says none when no other import was touched", () => {
    const r = new Coverage().report();
    expect(r.text.split("\n").at(-1)).toBe("other imports touched: none");
    expect(r.text.split("\n")[0]).toBe(`host calls: 0/${HOST.length}`);
    expect(r.missingHostCalls).toEqual(HOST);
    expect(r.missingCallbacks).toEqual(CALLBACKS);
    expect(r.missingAttributes).toEqual(ATTRIBUTES);
    expect(CALLBACKS).not.toContain("malloc");
    expect(CALLBACKS).toContain("proxy_on_context_create");
  });
});

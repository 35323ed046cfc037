// The test host's failHostCalls: a chosen host call answers a chosen status instead of
// running, when and as often as the rule says; bad rules are refused naming the field.

import { beforeAll, describe, expect, it } from "vitest";
import { createHost, type HostCallFailure } from "../../src/testing/index.ts";
import { WA, type WasmModule } from "../../src/testing/wasm-api.ts";
import { buildTestModule } from "../modules/build.ts";

let module: WasmModule;

beforeAll(async () => {
  const path = await buildTestModule("host-errors");
  const { readFile } = await import("node:fs/promises");
  module = await WA.compile(await readFile(path));
}, 300_000);

/** The probe's property read: "/properties" normally, "null" when proxy_get_property failed. */
async function readPath(
  host: Awaited<ReturnType<typeof createHost>>,
  worker?: number,
): Promise<string> {
  const res = await host.request({ path: "/properties", worker });
  expect(res.status).toBe(200);
  return /^string=(.*)$/m.exec(res.body)?.[1] ?? "<none>";
}

describe("failHostCalls", () => {
  it("fails the named call with the status, only while the named callback runs", async () => {
    const host = await createHost({
      module,
      failHostCalls: [
        { call: "proxy_get_property", status: "NotFound", during: "proxy_on_request_headers" },
      ],
    });
    expect(await readPath(host)).toBe("null");
    // The module's root still started: its plugin_root_id read ran outside the callback named.
    expect(host.logs("critical")).toEqual([]);
  });

  it("lets `skip` calls run, fails `times` calls, then runs the call again", async () => {
    const host = await createHost({ module });
    const during = "proxy_on_request_headers";
    // A rule that fails nothing counts the calls of one request.
    const [counter] = host.failHostCalls([
      { call: "proxy_get_property", status: 1, during, times: 0 },
    ]);
    expect(await readPath(host)).toBe("/properties");
    const perRequest = counter?.matched ?? 0;
    expect(perRequest).toBeGreaterThanOrEqual(5);
    expect(counter?.failed).toBe(0);
    host.clearHostCallFailures();
    const [rule] = host.failHostCalls([
      { call: "proxy_get_property", status: 1, during, skip: perRequest, times: perRequest },
    ]);
    const seen = [await readPath(host), await readPath(host), await readPath(host)];
    expect(seen).toEqual(["/properties", "null", "/properties"]);
    expect(rule?.failed).toBe(perRequest);
    expect(rule?.matched).toBe(3 * perRequest);
  });

  it("asks the rules in order: the first that fails the call decides", async () => {
    const host = await createHost({ module });
    const during = "proxy_on_request_headers";
    const [first, second] = host.failHostCalls([
      { call: "proxy_set_property", status: "BadArgument", during, times: 1 },
      { call: "proxy_set_property", status: "NotFound", during },
    ]);
    const status = async () =>
      /^set=(.*)$/m.exec((await host.request({ path: "/properties" })).body)?.[1];
    expect([await status(), await status()]).toEqual(["2", "1"]);
    expect([first?.failed, second?.failed, second?.matched]).toEqual([1, 1, 1]);
  });

  it("fails only on the worker named", async () => {
    const host = await createHost({
      module,
      workers: 2,
      failHostCalls: [
        {
          call: "proxy_get_property",
          status: "NotFound",
          worker: 1,
          during: "proxy_on_request_headers",
        },
      ],
    });
    expect(await readPath(host, 0)).toBe("/properties");
    expect(await readPath(host, 1)).toBe("null");
  });

  it("arms rules later and clears them", async () => {
    const host = await createHost({ module });
    expect(await readPath(host)).toBe("/properties");
    host.failHostCalls([
      { call: "proxy_get_property", status: "BadArgument", during: "proxy_on_request_headers" },
    ]);
    expect(await readPath(host)).toBe("null");
    host.clearHostCallFailures();
    expect(await readPath(host)).toBe("/properties");
  });

  it("a failed call runs nothing: a refused log line is not written", async () => {
    const host = await createHost({
      module,
      failHostCalls: [{ call: "proxy_log", status: "InternalFailure" }],
    });
    await host.request({ path: "/continue" });
    expect(host.logs()).toEqual([]);
    host.clearHostCallFailures();
    await host.request({ path: "/continue" });
    expect(host.logs("warn")).toEqual(["probe: continue status 0"]);
  });

  it.each<[string, unknown, RegExp]>([
    [
      "an unknown call",
      [{ call: "proxy_get_propery", status: "NotFound" }],
      /^failHostCalls\[0\]\.call: "proxy_get_propery" is not a proxy-wasm host function/,
    ],
    [
      "a WASI function",
      [{ call: "fd_write", status: "NotFound" }],
      /failHostCalls\[0\]\.call: "fd_write" is not a proxy-wasm host function/,
    ],
    [
      "a near miss, with suggestions",
      [{ call: "get_property", status: 1 }],
      /did you mean proxy_get_property/,
    ],
    [
      "status Ok",
      [{ call: "proxy_log", status: "Ok" }],
      /^failHostCalls\[0\]\.status: "Ok" is not a failure status \(one of NotFound, /,
    ],
    [
      "an unknown status name",
      [{ call: "proxy_log", status: "Nope" }],
      /failHostCalls\[0\]\.status: "Nope" is not a failure status/,
    ],
    [
      "an unknown status number",
      [{ call: "proxy_log", status: 5 }],
      /failHostCalls\[0\]\.status: 5 is not a failure status/,
    ],
    [
      "a callback that is not one",
      [{ call: "proxy_log", status: 1, during: "onRequestHeaders" }],
      /failHostCalls\[0\]\.during: "onRequestHeaders" is not a guest callback/,
    ],
    [
      "a negative skip",
      [{ call: "proxy_log", status: 1, skip: -1 }],
      /failHostCalls\[0\]\.skip: -1 is not a whole number >= 0/,
    ],
    [
      "a fractional count",
      [{ call: "proxy_log", status: 1, times: 1.5 }],
      /failHostCalls\[0\]\.times: 1.5 is not a whole number >= 0/,
    ],
    [
      "a worker given as text",
      [{ call: "proxy_log", status: 1, worker: "1" }],
      /failHostCalls\[0\]\.worker: "1" is not a whole number >= 0/,
    ],
    [
      "the second rule",
      [
        { call: "proxy_log", status: 1 },
        { call: "proxy_log", status: 0 },
      ],
      /^failHostCalls\[1\]\.status: 0 is not/,
    ],
    [
      "not a list",
      { call: "proxy_log", status: 1 },
      /^failHostCalls: \{"call":"proxy_log","status":1\} is not an array of rules/,
    ],
  ])("refuses %s, naming the field and value", async (_name, rules, message) => {
    await expect(createHost({ module, failHostCalls: rules as HostCallFailure[] })).rejects.toThrow(
      message,
    );
  });

  it("refuses a bad rule armed later, naming it, and keeps the others of that call unarmed", async () => {
    const host = await createHost({ module });
    expect(() =>
      host.failHostCalls([
        { call: "proxy_get_property", status: "NotFound" },
        { call: "proxy_get_property", status: "Fine" as "NotFound" },
      ]),
    ).toThrow(/^failHostCalls\[1\]\.status: "Fine"/);
    expect(await readPath(host)).toBe("/properties");
  });
});

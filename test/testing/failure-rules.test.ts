// The failHostCalls rules themselves (src/testing/failures.ts), checked without a module:
// which call, callback and worker a rule matches, its skip and times counts at their edges,
// the order rules are asked in, and the exact error a bad rule gets.

import { describe, expect, it } from "vitest";
import { ArmedFailure, HostCallFailures } from "../../src/testing/failures.ts";
import { Status } from "../../src/testing/status.ts";

const arm = (rule: Record<string, unknown>) =>
  new ArmedFailure(rule as unknown as ConstructorParameters<typeof ArmedFailure>[0], "r");

describe("ArmedFailure", () => {
  it("reads names and numbers as statuses, and defaults to every call, worker and callback", () => {
    const rule = arm({ call: "proxy_log", status: "CasMismatch" });
    expect([rule.call, rule.status, rule.during, rule.worker, rule.skip, rule.times]).toEqual([
      "proxy_log",
      Status.CasMismatch,
      null,
      null,
      0,
      Number.POSITIVE_INFINITY,
    ]);
    expect(arm({ call: "proxy_log", status: 12 }).status).toBe(Status.Unimplemented);
    for (let i = 0; i < 5; i++)
      expect(rule.take(i, i % 2 === 0 ? null : "proxy_on_tick")).toBe(true);
    expect([rule.matched, rule.failed]).toEqual([5, 5]);
  });

  it("matches only its worker and callback, counting only the calls it matched", () => {
    const rule = arm({ call: "proxy_log", status: 1, worker: 0, during: "proxy_on_log" });
    expect(rule.take(1, "proxy_on_log")).toBe(false);
    expect(rule.take(0, "proxy_on_done")).toBe(false);
    expect(rule.take(0, null)).toBe(false);
    expect(rule.matched).toBe(0);
    expect(rule.take(0, "proxy_on_log")).toBe(true);
    expect([rule.matched, rule.failed]).toEqual([1, 1]);
  });

  it("lets exactly `skip` calls run, then fails exactly `times`", () => {
    const rule = arm({ call: "proxy_log", status: 1, skip: 2, times: 2 });
    const seen = Array.from({ length: 6 }, () => rule.take(0, null));
    expect(seen).toEqual([false, false, true, true, false, false]);
    expect([rule.matched, rule.failed]).toEqual([6, 2]);
    const none = arm({ call: "proxy_log", status: 1, times: 0 });
    expect([none.take(0, null), none.take(0, null)]).toEqual([false, false]);
    const first = arm({ call: "proxy_log", status: 1, skip: 0, times: 1 });
    expect([first.take(0, null), first.take(0, null)]).toEqual([true, false]);
  });

  it.each(["proxy_on_tick", "_initialize", "_start", "main"])(
    "takes the guest callback %s",
    (during) => {
      expect(arm({ call: "proxy_log", status: 1, during }).during).toBe(during);
    },
  );

  it.each([
    "x_initialize",
    "_initialize2",
    "_startup",
    "mainly",
    "domain",
    "on_tick",
    "xproxy_on_tick",
  ])("refuses %s as a callback, naming the field and value", (during) => {
    expect(() => arm({ call: "proxy_log", status: 1, during })).toThrow(
      `r.during: "${during}" is not a guest callback (proxy_on_..., _initialize, _start, main)`,
    );
  });

  it("takes 0 as a count and worker, refuses negatives, fractions and text, naming each field", () => {
    const zero = arm({ call: "proxy_log", status: 1, worker: 0, skip: 0, times: 0 });
    expect([zero.worker, zero.skip, zero.times]).toEqual([0, 0, 0]);
    for (const field of ["worker", "skip", "times"]) {
      for (const bad of [-1, 0.5, "2", null]) {
        expect(() => arm({ call: "proxy_log", status: 1, [field]: bad })).toThrow(
          `r.${field}: ${JSON.stringify(bad)} is not a whole number >= 0`,
        );
      }
    }
  });

  it("refuses Ok, unknown statuses and non-statuses with the list of failure statuses", () => {
    const names = Object.keys(Status)
      .filter((n) => n !== "Ok")
      .join(", ");
    for (const bad of ["Ok", 0, 5, 9, "ok", null, true]) {
      expect(() => arm({ call: "proxy_log", status: bad })).toThrow(
        `r.status: ${JSON.stringify(bad)} is not a failure status (one of ${names})`,
      );
    }
  });

  it("refuses what is not a proxy-wasm host call, suggesting up to three near names", () => {
    expect(() => arm({ call: 7, status: 1 })).toThrow(
      /^r\.call: 7 is not a proxy-wasm host function$/,
    );
    expect(() => arm({ call: "proxy_nothing_like_it", status: 1 })).toThrow(
      /^r\.call: "proxy_nothing_like_it" is not a proxy-wasm host function$/,
    );
    expect(() => arm({ call: "proxy_get_propery", status: 1 })).toThrow(
      /^r\.call: "proxy_get_propery" is not a proxy-wasm host function$/,
    );
    // The "proxy_" prefix is dropped before looking for near names.
    expect(() => arm({ call: "proxy_shared_data_x", status: 1 })).toThrow(/host function$/);
    let message = "";
    try {
      arm({ call: "proxy_header", status: 1 });
    } catch (e) {
      message = (e as Error).message;
    }
    const near = /\(did you mean (.*)\?\)$/.exec(message)?.[1]?.split(", ") ?? [];
    expect(near).toHaveLength(3);
    for (const name of near) expect(name).toMatch(/^proxy_.*header/);
    // Only a leading "proxy_" is dropped: one in the middle stays part of the name looked for.
    expect(() => arm({ call: "get_proxy_property", status: 1 })).toThrow(
      /^r\.call: "get_proxy_property" is not a proxy-wasm host function$/,
    );
    expect(() => arm({ call: "get_property", status: 1 })).toThrow(
      'r.call: "get_property" is not a proxy-wasm host function (did you mean proxy_get_property?)',
    );
  });
});

describe("HostCallFailures", () => {
  it("is unarmed until rules are added and after clear", () => {
    const failures = new HostCallFailures();
    expect(failures.armed).toBe(false);
    expect(failures.statusFor("proxy_log", 0, null)).toBeNull();
    failures.add([{ call: "proxy_log", status: "NotFound" }], "f");
    expect(failures.armed).toBe(true);
    expect(failures.statusFor("proxy_log", 0, null)).toBe(Status.NotFound);
    expect(failures.statusFor("proxy_get_property", 0, null)).toBeNull();
    failures.clear();
    expect(failures.armed).toBe(false);
    expect(failures.statusFor("proxy_log", 0, null)).toBeNull();
  });

  it("asks a call's rules in the order armed, across calls to add", () => {
    const failures = new HostCallFailures();
    const [a, other] = failures.add(
      [
        { call: "proxy_log", status: "BadArgument", times: 1 },
        { call: "proxy_get_property", status: "Empty" },
      ],
      "f",
    );
    const [b] = failures.add([{ call: "proxy_log", status: "InternalFailure", times: 1 }], "g");
    const seen = [0, 1, 2].map(() => failures.statusFor("proxy_log", 0, null));
    expect(seen).toEqual([Status.BadArgument, Status.InternalFailure, null]);
    expect([a?.matched, b?.matched, other?.matched]).toEqual([3, 2, 0]);
  });

  it("names the rule a bad one is, and arms none of a list that holds one", () => {
    const failures = new HostCallFailures();
    expect(() =>
      failures.add(
        [
          { call: "proxy_log", status: 1 },
          { call: "proxy_log", status: 1, skip: -2 },
        ],
        "opts",
      ),
    ).toThrow("opts[1].skip: -2 is not a whole number >= 0");
    expect(failures.armed).toBe(false);
    expect(() => failures.add("x" as never, "opts")).toThrow('opts: "x" is not an array of rules');
  });
});

// The demo (`npm start` is `meshwasm demo`) run the way a user runs it, with --json so each
// step's measurements can be checked here: real Envoy with the chain, two Node upstreams and a
// real Prometheus (installed by scripts/setup-prometheus.sh when missing).

import { describe, expect, it } from "vitest";
import { chainModule } from "../../src/demo/modules.ts";
import { cli } from "../cli/helpers.ts";

interface StepEvent {
  event: "step";
  id: string;
  ok: boolean;
  facts: Record<string, unknown>;
}

// One test holds the run and every step's checks: the demo runs once, and a mutant reached
// only while it runs must meet every check that could catch it (run in a beforeAll, the
// mutation runner would credit that code to no test at all).
describe("meshwasm demo", () => {
  it("walks every step as expected, each showing what it should, and exits 0 having stopped everything", async () => {
    await chainModule(); // built once here, so the demo's own build step is a check
    const run = await cli(["demo", "--json"]);
    const events = run.stdout
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const steps = new Map(
      events
        .filter((e) => e.event === "step")
        .map((e) => [String(e.id), e as unknown as StepEvent]),
    );

    expect(run.stderr).toMatch(/Envoy .* serving the chain/);
    expect([...steps.keys()]).toEqual([
      "no-token",
      "valid-jwt",
      "burst",
      "canary",
      "traceparent",
      "prometheus",
    ]);
    for (const s of steps.values()) expect({ id: s.id, ok: s.ok }).toEqual({ id: s.id, ok: true });
    expect(events.at(-1)).toMatchObject({ event: "summary", ok: true, steps: 6, good: 6 });
    expect(run.code).toBe(0);

    // A request without a token: refused with a Bearer challenge.
    expect(steps.get("no-token")?.facts).toMatchObject({
      status: 401,
      challenge: expect.stringMatching(/^Bearer realm="demo"/),
      upstream: null,
    });

    // A valid JWT's identity forwarded, a forged one replaced.
    expect(steps.get("valid-jwt")?.facts).toMatchObject({
      status: 200,
      user: "alice",
      forgedUser: "alice",
    });

    // A burst limited with 429 and Retry-After.
    const burst = steps.get("burst")?.facts as { statuses: number[]; retryAfter: string };
    expect(burst.statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(burst.statuses).toContain(429);
    expect(Number(burst.retryAfter)).toBeGreaterThanOrEqual(1);

    // The canary header to canary, and about 10% of users, sticky.
    const canary = steps.get("canary")?.facts as {
      headerUpstream: string;
      share: number;
      moved: number;
    };
    expect(canary.headerUpstream).toBe("canary");
    expect(canary.share).toBeGreaterThan(0.02);
    expect(canary.share).toBeLessThan(0.25);
    expect(canary.moved).toBe(0);

    // A malformed traceparent replaced, a valid one continued.
    const trace = steps.get("traceparent")?.facts as { seen: string; continued: boolean };
    expect(trace.seen).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    expect(trace.continued).toBe(true);

    // The traffic in Prometheus by status code.
    const prom = steps.get("prometheus")?.facts as {
      byCode: Record<string, number>;
      limited: number;
    };
    expect(prom.byCode["401"]).toBeGreaterThanOrEqual(1);
    expect(prom.byCode["429"]).toBe(burst.statuses.filter((s) => s === 429).length);
    expect(prom.limited).toBe(prom.byCode["429"]);
  }, 300_000);
});

describe("meshwasm demo, read by a person", () => {
  it("prints each step readably, leaves Prometheus out when asked, and with --keep runs until stopped", async () => {
    await chainModule();
    const stop = new AbortController();
    let output = "";
    const done = cli(["demo", "--no-prometheus", "--keep", "--concurrency", "1"], {
      signal: stop.signal,
      onStdout: (text) => {
        output += text;
      },
    });
    for (let i = 0; i < 1200 && !output.includes("Running until Ctrl-C"); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const listener = /^ {2}listener {4}(http:\/\/127\.0\.0\.1:\d+)$/m.exec(output)?.[1];
    expect(listener).toBeDefined();
    expect(output).toMatch(/^ {2}admin {7}http:\/\/127\.0\.0\.1:\d+$/m);
    expect(output).toMatch(
      /^ {2}upstreams {3}stable http:\/\/127\.0\.0\.1:\d+, canary http:\/\/127\.0\.0\.1:\d+$/m,
    );
    expect(output).not.toMatch(/^ {2}prometheus|graph\?g0/m);
    // Five steps, each with its title, numbered out of the steps run, and its verdict.
    expect(output).toContain("1/5  A request without a token");
    expect(output).toContain("5/5  A malformed traceparent");
    expect(output).toMatch(/^ {5}GET \/orders -> 401$/m);
    expect(output.match(/^ {5}✔ as expected$/gm)).toHaveLength(5);
    expect(output).not.toContain("not as expected");
    expect(output).toContain("5 of 5 steps showed what they should.");

    // What it suggests works: the printed token is accepted, the canary header honoured.
    const token = /authorization: Bearer ([\w.-]+)' -H 'x-canary: 1'/.exec(output)?.[1];
    expect(token).toBeDefined();
    const res = await fetch(`${listener}/`, {
      headers: { authorization: `Bearer ${token}`, "x-canary": "1" },
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(await res.text())).toMatchObject({ upstream: "canary" });

    stop.abort();
    const run = await done;
    expect(run.stderr).toBe("");
    expect(run.stdout).toMatch(/^Envoy \S+ serving the chain \(/m);
    expect(run.code).toBe(0);
    await expect(fetch(`${listener}/`)).rejects.toThrow();
  }, 300_000);
});

// The demo (`npm start` is `meshwasm demo`) run the way a user runs it, with --json so each
// step's measurements can be checked here: real Envoy with the chain, two Node upstreams and a
// real Prometheus (installed by scripts/setup-prometheus.sh when missing).

import { beforeAll, describe, expect, it } from "vitest";
import { chainModule } from "../../src/demo/modules.ts";
import { cli } from "../cli/helpers.ts";

interface StepEvent {
  event: "step";
  id: string;
  ok: boolean;
  facts: Record<string, unknown>;
}

describe("meshwasm demo", () => {
  let code: number;
  let events: Record<string, unknown>[];
  let steps: Map<string, StepEvent>;
  let stderr: string;

  beforeAll(async () => {
    await chainModule(); // built once here, so the demo's own build step is a check
    const run = await cli(["demo", "--json"]);
    code = run.code;
    stderr = run.stderr;
    events = run.stdout
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    steps = new Map(
      events
        .filter((e) => e.event === "step")
        .map((e) => [String(e.id), e as unknown as StepEvent]),
    );
  }, 300_000);

  it("walks every step, each as expected, and exits 0 having stopped everything", () => {
    expect(stderr).toMatch(/Envoy .* serving the chain/);
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
    expect(code).toBe(0);
  });

  it("refuses a request without a token with a Bearer challenge", () => {
    expect(steps.get("no-token")?.facts).toMatchObject({
      status: 401,
      challenge: expect.stringMatching(/^Bearer realm="demo"/),
      upstream: null,
    });
  });

  it("forwards the identity of a valid JWT and replaces a forged one", () => {
    expect(steps.get("valid-jwt")?.facts).toMatchObject({
      status: 200,
      user: "alice",
      forgedUser: "alice",
    });
  });

  it("limits a burst with 429 and Retry-After", () => {
    const f = steps.get("burst")?.facts as { statuses: number[]; retryAfter: string };
    expect(f.statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(f.statuses).toContain(429);
    expect(Number(f.retryAfter)).toBeGreaterThanOrEqual(1);
  });

  it("sends the canary header to canary and about 10% of users, sticky", () => {
    const f = steps.get("canary")?.facts as {
      headerUpstream: string;
      share: number;
      moved: number;
    };
    expect(f.headerUpstream).toBe("canary");
    expect(f.share).toBeGreaterThan(0.02);
    expect(f.share).toBeLessThan(0.25);
    expect(f.moved).toBe(0);
  });

  it("replaces a malformed traceparent and continues a valid one", () => {
    const f = steps.get("traceparent")?.facts as { seen: string; continued: boolean };
    expect(f.seen).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    expect(f.continued).toBe(true);
  });

  it("shows the traffic in Prometheus by status code", () => {
    const f = steps.get("prometheus")?.facts as { byCode: Record<string, number>; limited: number };
    const burst = steps.get("burst")?.facts as { statuses: number[] };
    expect(f.byCode["401"]).toBeGreaterThanOrEqual(1);
    expect(f.byCode["429"]).toBe(burst.statuses.filter((s) => s === 429).length);
    expect(f.limited).toBe(f.byCode["429"]);
  });
});

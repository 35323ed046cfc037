// The rate limit service's answer under fuzz: 10,000 generated answers (random bytes, valid
// RateLimitResponses, and valid ones truncated, with a byte changed or with bytes appended) fed
// to the module through the test host. No trap; every outcome (admit, refuse, or the service
// failure outcome counted in rls_errors) and every header agrees with a plain TypeScript model
// of the decoding rules (rls-wire.ts).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { rateLimitHost } from "./helpers.ts";
import { encodeResponse, modelDecode, type StatusInit } from "./rls-wire.ts";

const RUNS = 10_000;

const UNIT_MS: Record<number, number> = {
  1: 1000,
  2: 60_000,
  3: 3_600_000,
  4: 86_400_000,
  5: 30 * 86_400_000,
  6: 365 * 86_400_000,
  7: 7 * 86_400_000,
};
const ceilSeconds = (ms: number) => (ms <= 0 ? 0 : Math.floor((ms + 999) / 1000));

const u32 = fc.oneof(fc.integer({ min: 0, max: 8 }), fc.nat({ max: 0xffff_ffff }));
const status: fc.Arbitrary<StatusInit> = fc.record(
  {
    code: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(1, 2) }, fc.integer({ min: 0, max: 3 })),
    limit: fc.record({ requestsPerUnit: u32, unit: fc.integer({ min: 0, max: 9 }) }),
    remaining: u32,
    reset: fc.record({
      seconds: fc.oneof(fc.integer({ min: 0, max: 3600 }), fc.nat({ max: 2 ** 40 })),
      nanos: fc.integer({ min: 0, max: 999_999_999 }),
    }),
  },
  { requiredKeys: ["code"] },
);
const valid = fc
  .tuple(
    fc.oneof({ weight: 3, arbitrary: fc.constantFrom(1, 2) }, fc.integer({ min: 0, max: 3 })),
    fc.oneof(
      { weight: 3, arbitrary: fc.array(status, { maxLength: 1 }) },
      fc.array(status, { maxLength: 2 }),
    ),
  )
  .map(([overall, statuses]) => encodeResponse(overall, statuses));
const answer = fc.oneof(
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 48 }) },
  { weight: 3, arbitrary: valid },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        valid,
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        fc.uint8Array({ maxLength: 8 }),
        fc.nat({ max: 2 }),
      )
      .map(([bytes, at, byte, extra, how]) => {
        if (bytes.length === 0) return extra;
        const i = at % bytes.length;
        if (how === 0) return bytes.slice(0, i);
        const copy = bytes.slice();
        if (how === 1) copy[i] = byte;
        return how === 1 ? copy : new Uint8Array([...copy, ...extra]);
      }),
  },
);

describe("the service's answer under fuzz", () => {
  it(`agrees with the model on ${RUNS} generated answers, never trapping`, async () => {
    const answers = fc.sample(answer, { numRuns: RUNS, seed: 20_261_130 });
    let next: Uint8Array = new Uint8Array(0);
    const host = await rateLimitHost(
      {
        service: { cluster: "rls", domain: "fuzz" },
        rules: [{ name: "r", mode: "cluster", key: [{ header: "x-user" }] }],
        response: { headers: "x-ratelimit", headers_on_allowed: true },
      },
      { grpcClusters: { rls: () => ({ messages: [next] }) } },
    );
    let errors = 0;
    const disagreements: string[] = [];
    for (const bytes of answers) {
      next = bytes;
      const res = await host.request({ headers: { "x-user": "u" } });
      if (res.trap)
        throw new Error(`trap on ${Buffer.from(bytes).toString("hex")}: ${res.trap.message}`);
      const m = modelDecode(bytes);
      const want: Record<string, string | undefined> = {};
      let status = 200;
      if (
        m === null ||
        (m.statuses.length !== 0 && m.statuses.length !== 1) ||
        (m.overall !== 1 && m.overall !== 2)
      ) {
        errors++;
      } else {
        const st = m.statuses[0];
        if (st ? st.code === 2 : m.overall === 2) {
          status = 429;
          const wait = st && st.resetMs >= 0 ? st.resetMs : 1000;
          want["retry-after"] = String(Math.max(1, ceilSeconds(wait)));
        }
        if (st?.hasLimit) {
          want["x-ratelimit-limit"] = String(st.requestsPerUnit);
          want["x-ratelimit-remaining"] = String(st.remaining);
          want["x-ratelimit-reset"] = String(
            ceilSeconds(st.resetMs >= 0 ? st.resetMs : (UNIT_MS[st.unit] ?? 0)),
          );
        }
      }
      const got: Record<string, string | undefined> = {};
      for (const h of [
        "retry-after",
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
      ]) {
        if (res.headers[h] !== undefined) got[h] = res.headers[h];
      }
      if (res.status !== status || JSON.stringify(got) !== JSON.stringify(want)) {
        const hex = Buffer.from(bytes).toString("hex");
        disagreements.push(
          `${hex}: got ${res.status} ${JSON.stringify(got)}, model ${status} ${JSON.stringify(want)}`,
        );
        if (disagreements.length >= 5) break;
      }
    }
    expect(disagreements).toEqual([]);
    expect(host.counter("ratelimit_rls_errors_rule=r")).toBe(errors);
    // The generator reaches every outcome.
    expect(errors).toBeGreaterThan(RUNS / 10);
    expect(host.counter("ratelimit_limited_rule=r")).toBeGreaterThan(RUNS / 20);
    expect(host.counter("ratelimit_allowed_rule=r")).toBeGreaterThan(RUNS / 20);
  });
});

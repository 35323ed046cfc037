// The module against the plain TypeScript model (model.ts) over generated configurations and
// request sequences on the test host's virtual clock: every status, Retry-After and rate-limit
// header must agree, across fills, window boundaries, costs, several limits and two workers.
import fc from "fast-check";
import { createHost } from "meshwasm/testing";
import { describe, expect, it } from "vitest";
import { compile } from "../../../test/fuzz/engine.ts";
import { T0, wasm } from "./helpers.ts";
import { type LimitSpec, ModelKey, seconds } from "./model.ts";

const module = await compile(wasm);

const limitArb: fc.Arbitrary<LimitSpec> = fc.oneof(
  fc.record({
    token_bucket: fc.record({
      capacity: fc.integer({ min: 1, max: 8 }),
      tokens_per_fill: fc.integer({ min: 1, max: 4 }),
      fill_interval: fc.constantFrom("50ms", "250ms", "1s", "1500ms", "3s"),
    }),
  }),
  fc.record({
    window: fc.record({
      requests: fc.integer({ min: 0, max: 8 }),
      per: fc.constantFrom("second", "minute") as fc.Arbitrary<"second" | "minute">,
      sliding: fc.boolean(),
    }),
  }),
);

type Step = { advance: number } | { user: number; cost: number; worker: number };
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.record({
      advance: fc.oneof(
        fc.integer({ min: 0, max: 300 }),
        fc.constantFrom(1, 999, 1000, 30_000, 59_999),
      ),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      user: fc.integer({ min: 0, max: 2 }),
      cost: fc.integer({ min: 0, max: 4 }),
      worker: fc.integer({ min: 0, max: 1 }),
    }),
  },
);

const RUNS = 40;
const STEPS = 100;

describe("the module agrees with the model", () => {
  it(`on ${RUNS} generated configurations x ${STEPS} steps (about ${Math.round((RUNS * STEPS * 3) / 4)} requests)`, async () => {
    let requests = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(limitArb, { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 0, max: 59_999 }),
        fc.array(stepArb, { minLength: STEPS, maxLength: STEPS }),
        async (limits, offset, steps) => {
          const host = await createHost({
            module,
            rootId: "rate-limit",
            vmId: "rate-limit",
            workers: 2,
            startTimeMs: T0 + offset,
            configuration: {
              rules: [
                {
                  name: "m",
                  key: [{ header: "x-user" }],
                  limits,
                  cost: { header: "x-cost", max: 100 },
                },
              ],
              response: { headers: "ietf", headers_on_allowed: true },
            },
          });
          let now = T0 + offset;
          const keys = new Map<number, ModelKey>();
          for (const step of steps) {
            if ("advance" in step) {
              host.advance(step.advance);
              now += step.advance;
              continue;
            }
            requests++;
            let key = keys.get(step.user);
            if (!key) {
              key = new ModelKey(limits, now);
              keys.set(step.user, key);
            }
            const want = key.take(now, step.cost);
            // A new key whose first request is refused (a cost above a capacity) is not kept.
            if (!want.allowed && key.fresh) keys.delete(step.user);
            key.fresh = false;
            const res = await host.request({
              headers: { "x-user": `u${step.user}`, "x-cost": String(step.cost) },
              worker: step.worker,
            });
            const where = `at +${now - T0 - offset} ms, user ${step.user}, cost ${step.cost}`;
            expect(res.status, where).toBe(want.allowed ? 200 : 429);
            if (!want.allowed)
              expect(res.headers["retry-after"], where).toBe(
                String(Math.max(1, seconds(want.retryAfterMs))),
              );
            expect(res.headers["ratelimit-policy"], where).toBe(
              `"m";q=${want.limit};w=${Math.max(1, seconds(want.windowMs))}`,
            );
            expect(res.headers.ratelimit, where).toBe(
              `"m";r=${want.remaining};t=${seconds(want.resetMs)}`,
            );
          }
        },
      ),
      { numRuns: RUNS, seed: 20_261_130, endOnFailure: true },
    );
    expect(requests).toBeGreaterThan(RUNS * STEPS * 0.6);
  }, 120_000);
});

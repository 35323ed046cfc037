// The filter's linear memory stays flat over 20,000 requests after a warm-up: keys admitted,
// refused and evicted, compound keys, costs, overrides, headers on every response; and in
// cluster mode, with the service's answers admitting, refusing, failing and malformed.
import type { GrpcReply } from "meshwasm/testing";
import { describe, expect, it } from "vitest";
import { rateLimitHost } from "./helpers.ts";
import { Code, encodeResponse, Unit } from "./rls-wire.ts";

const WARMUP = 5_000;
const REQUESTS = 20_000;

describe("linear memory across requests", () => {
  it("stays flat while keys come, get refused and get evicted", async () => {
    const host = await rateLimitHost({
      rules: [
        {
          name: "users",
          key: [{ header: "x-user" }, { path: { segments: 1 } }],
          limits: [
            { window: { requests: 2, per: "hour" } },
            { token_bucket: { capacity: 5, fill_interval: "1s" } },
          ],
          overrides: [
            {
              value: { prefix: "vip" },
              limits: [{ window: { requests: 1000, per: "minute", sliding: true } }],
            },
          ],
          cost: { header: "x-cost", max: 3 },
          max_keys: 500,
        },
        {
          name: "ips",
          key: [{ client_address: { xff_trusted_hops: 1 } }],
          limits: [{ window: { requests: 100, per: "second" } }],
          shadow: true,
        },
      ],
      response: { headers: "ietf", headers_on_allowed: true },
    });
    let refused = 0;
    const run = (from: number, n: number) => {
      for (let i = from; i < from + n; i++) {
        const s = host.stream();
        s.requestHeaders({
          ":method": "GET",
          ":path": `/p${i % 7}/x?i=${i}`,
          ":authority": "a",
          "x-user": `${i % 11 === 0 ? "vip" : "u"}${i % 3000}`,
          "x-cost": String(i % 4),
          "x-forwarded-for": `10.0.${i % 256}.${i % 97}`,
        });
        if (s.localReply) refused++;
        else s.responseHeaders({ ":status": "200" }, { endOfStream: true });
        s.complete();
      }
    };
    run(0, WARMUP);
    const warm = host.memoryBytes();
    run(WARMUP, REQUESTS);
    expect(host.memoryBytes()).toBe(warm);
    expect(refused).toBeGreaterThan(1000);
    expect(host.counter("ratelimit_keys_evicted_rule=users")).toBeGreaterThan(10_000);
    expect(host.gauge("ratelimit_keys_live_rule=users")).toBe(500);
  }, 180_000);

  it("stays flat in cluster mode through every kind of answer", async () => {
    const limit = { requestsPerUnit: 10, unit: Unit.MINUTE };
    const answers: GrpcReply[] = [
      { messages: [encodeResponse(Code.OK, [{ code: Code.OK, limit, remaining: 3 }])] },
      {
        messages: [
          encodeResponse(Code.OVER_LIMIT, [
            { code: Code.OVER_LIMIT, limit, reset: { seconds: 7 } },
          ]),
        ],
      },
      { status: 14 },
      { messages: [new Uint8Array([0x12, 0x05, 0x08])] },
    ];
    const host = await rateLimitHost(
      {
        service: { cluster: "rls", domain: "mem" },
        rules: [
          { name: "g", mode: "cluster", key: [{ header: "x-user" }, { path: { segments: 1 } }] },
        ],
        response: { headers: "ietf", headers_on_allowed: true },
      },
      { grpcClusters: { rls: () => undefined } },
    );
    let refused = 0;
    const run = (from: number, n: number) => {
      for (let i = from; i < from + n; i++) {
        const s = host.stream();
        s.requestHeaders({
          ":method": "GET",
          ":path": `/p${i % 7}/x`,
          ":authority": "a",
          "x-user": `u${i}`,
        });
        const calls = host.grpcCalls;
        calls[calls.length - 1]?.reply(answers[i % answers.length] as GrpcReply);
        if (s.localReply) refused++;
        else s.responseHeaders({ ":status": "200" }, { endOfStream: true });
        s.complete();
      }
    };
    run(0, WARMUP);
    const warm = host.memoryBytes();
    run(WARMUP, REQUESTS);
    expect(host.memoryBytes()).toBe(warm);
    expect(refused).toBe((WARMUP + REQUESTS) / 4);
    expect(host.counter("ratelimit_rls_errors_rule=g")).toBe((WARMUP + REQUESTS) / 2);
  }, 180_000);
});

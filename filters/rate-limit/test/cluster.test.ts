// Cluster-wide mode on the test host, with the test playing the rate limit service: what the
// module sends (domain, descriptors, hits), the request held until the answer, the answer turned
// into the local mode's responses, shadow rules, the local pre-check, and every way the service
// can fail (an error status, an unknown cluster, a malformed or truncated answer).
import type { GrpcCall, GrpcReply, Host } from "meshwasm/testing";
import { describe, expect, it } from "vitest";
import { sendHeaders } from "../../lib/test/send-headers.ts";
import { rateLimitHost } from "./helpers.ts";
import { Code, decodeRequest, encodeResponse, type StatusInit, Unit } from "./rls-wire.ts";

const service = { cluster: "rls", domain: "shop", timeout: "250ms" };

function clusterRule(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: "r", mode: "cluster", key: [{ header: "x-user" }], ...fields };
}

/** A service that answers every call with `answer(call)` (or holds it when that is undefined). */
function rls(answer: (call: GrpcCall) => GrpcReply | undefined) {
  const calls: GrpcCall[] = [];
  const handler = (call: GrpcCall) => {
    calls.push(call);
    return answer(call);
  };
  return { calls, handler };
}

const ok = (...statuses: StatusInit[]): GrpcReply => ({
  messages: [encodeResponse(Code.OK, statuses)],
});
const over = (...statuses: StatusInit[]): GrpcReply => ({
  messages: [encodeResponse(Code.OVER_LIMIT, statuses)],
});
const perMinute = (n: number) => ({ requestsPerUnit: n, unit: Unit.MINUTE });
const user = (u: string) => ({ "x-user": u });

describe("the request to the service", () => {
  it("carries the domain, one descriptor per rule from its key parts, and the cost as hits", async () => {
    const s = rls(() => ok({ code: Code.OK }, { code: Code.OK }));
    const host = await rateLimitHost(
      {
        service,
        rules: [
          clusterRule({
            key: [
              { constant: "checkout" },
              { header: "x-user" },
              { client_address: {}, descriptor_key: "client" },
              { path: { segments: 1 } },
              { method: true },
              { query: "tenant" },
              { cookie: "session", descriptor_key: "sess" },
            ],
            cost: { header: "x-cost", default: 1, max: 50 },
          }),
          clusterRule({ name: "second", key: [{ identity_header: "x-sub" }], cost: 3 }),
        ],
      },
      { grpcClusters: { rls: s.handler } },
    );
    const res = await host.request({
      method: "POST",
      path: "/orders/7?tenant=acme&x=1",
      headers: { ...user("ann"), "x-sub": "svc-1", cookie: "a=b; session=s3", "x-cost": "7" },
    });
    expect(res.status).toBe(200);
    expect(res.upstream).not.toBeNull();
    expect(s.calls).toHaveLength(1);
    const call = s.calls[0] as GrpcCall;
    expect([call.cluster, call.service, call.method]).toEqual([
      "rls",
      "envoy.service.ratelimit.v3.RateLimitService",
      "ShouldRateLimit",
    ]);
    const sent = decodeRequest(call.sent[0] as Uint8Array);
    expect(sent.domain).toBe("shop");
    expect(sent.hitsAddend).toBe(0); // the rules cost differently: each descriptor says its own
    expect(sent.descriptors).toEqual([
      {
        entries: [
          { key: "generic_key", value: "checkout" },
          { key: "x-user", value: "ann" },
          { key: "client", value: "127.0.0.1" },
          { key: "path", value: "/orders" },
          { key: "method", value: "POST" },
          { key: "tenant", value: "acme" },
          { key: "sess", value: "s3" },
        ],
        hits: 7,
      },
      { entries: [{ key: "x-sub", value: "svc-1" }], hits: 3 },
    ]);
    expect(host.counter("ratelimit_allowed_rule=r")).toBe(1);
    expect(host.counter("ratelimit_allowed_rule=second")).toBe(1);
  });

  it("sets the request-wide hits_addend when every descriptor costs the same", async () => {
    const s = rls(() => ok({ code: Code.OK }));
    const host = await rateLimitHost(
      { service, rules: [clusterRule({ cost: 4 })] },
      { grpcClusters: { rls: s.handler } },
    );
    await host.request({ headers: user("a") });
    const sent = decodeRequest(s.calls[0]?.sent[0] as Uint8Array);
    expect(sent.hitsAddend).toBe(4);
    expect(sent.descriptors[0]?.hits).toBe(4);
  });

  it("asks nothing for a request missing a key part or costing nothing", async () => {
    const s = rls(() => ok({ code: Code.OK }));
    const host = await rateLimitHost(
      { service, rules: [clusterRule({ cost: { header: "x-cost", default: 1 } })] },
      { grpcClusters: { rls: s.handler } },
    );
    expect((await host.request({})).status).toBe(200);
    expect((await host.request({ headers: { ...user("a"), "x-cost": "0" } })).status).toBe(200);
    expect(s.calls).toHaveLength(0);
    expect(host.counter("ratelimit_allowed_rule=r")).toBe(1); // the free request; the keyless one skips
  });

  it("encodes long and non-ASCII values whole (multi-byte lengths, UTF-8)", async () => {
    const s = rls(() => ok({ code: Code.OK }));
    const host = await rateLimitHost(
      { service, rules: [clusterRule()] },
      { grpcClusters: { rls: s.handler } },
    );
    const long = "ü".repeat(300) + "x".repeat(20_000);
    expect((await host.request({ headers: user(long) })).status).toBe(200);
    const sent = decodeRequest(s.calls[0]?.sent[0] as Uint8Array);
    expect(sent.descriptors[0]?.entries[0]?.value).toBe(long);
  });
});

const send = (host: Host, headers: Record<string, string>) => sendHeaders(host, headers);

describe("waiting for the answer", () => {
  it("holds the request until the service answers, then lets it through", async () => {
    const s = rls(() => undefined);
    const host = await rateLimitHost(
      { service, rules: [clusterRule()] },
      { grpcClusters: { rls: s.handler } },
    );
    const held = send(host, user("a"));
    expect(held.action).toBe("Pause");
    expect(held.s.upstream.complete).toBe(false);
    s.calls[0]?.reply(ok({ code: Code.OK, limit: perMinute(5), remaining: 4 }));
    expect(held.s.upstream.complete).toBe(true);
    expect(held.s.localReply).toBeNull();
  });

  it("holds the request until the service answers, then refuses it", async () => {
    const s = rls(() => undefined);
    const host = await rateLimitHost(
      { service, rules: [clusterRule()] },
      { grpcClusters: { rls: s.handler } },
    );
    const held = send(host, user("a"));
    expect(held.action).toBe("Pause");
    s.calls[0]?.reply(over({ code: Code.OVER_LIMIT, limit: perMinute(5), reset: { seconds: 12 } }));
    expect(held.s.upstream.complete).toBe(false);
    expect(held.s.localReply?.status).toBe(429);
  });

  it("ignores an answer that arrives after the client went away", async () => {
    const s = rls(() => undefined);
    const host = await rateLimitHost(
      { service, rules: [clusterRule()] },
      { grpcClusters: { rls: s.handler } },
    );
    const held = send(host, user("a"));
    held.s.reset();
    s.calls[0]?.reply(over({ code: Code.OVER_LIMIT }));
    expect(held.s.trap).toBeNull();
    expect(send(host, user("b")).action).toBe("Pause"); // the VM still serves
  });

  it.each([
    ["allow", 200],
    ["deny", 503],
  ])("applies on_error %s when the service outlives service.timeout", async (onError, status) => {
    const s = rls(() => undefined);
    const host = await rateLimitHost(
      { service: { ...service, on_error: onError, error_status: 503 }, rules: [clusterRule()] },
      { grpcClusters: { rls: s.handler } },
    );
    const held = send(host, user("a"));
    expect(held.action).toBe("Pause");
    host.advance(249);
    expect(held.s.upstream.complete || held.s.localReply !== null).toBe(false);
    host.advance(1); // service.timeout: Envoy ends the call as UNAVAILABLE
    expect(held.s.trap).toBeNull();
    expect(held.s.localReply?.status ?? 200).toBe(status);
    expect(held.s.upstream.complete).toBe(status === 200);
    expect(host.counter("ratelimit_rls_errors_rule=r")).toBe(1);
  });
});

describe("the answer as a response", () => {
  const limited = {
    code: Code.OVER_LIMIT,
    limit: perMinute(10),
    remaining: 0,
    reset: { seconds: 41, nanos: 200_000_000 },
  };

  it("refuses with 429, Retry-After from duration_until_reset, IETF headers from the limit", async () => {
    const s = rls(() => over(limited));
    const host = await rateLimitHost(
      { service, rules: [clusterRule({ name: "per-user" })], response: { headers: "ietf" } },
      { grpcClusters: { rls: s.handler } },
    );
    const res = await host.request({ headers: user("a") });
    expect(res.status).toBe(429);
    expect(res.body).toBe("rate limited\n");
    expect(res.headers["retry-after"]).toBe("42");
    expect(res.headers["x-envoy-ratelimited"]).toBe("true");
    expect(res.headers["ratelimit-policy"]).toBe('"per-user";q=10;w=60');
    expect(res.headers.ratelimit).toBe('"per-user";r=0;t=42');
    expect(host.counter("ratelimit_limited_rule=per-user")).toBe(1);
    expect(host.counter("ratelimit_allowed_rule=per-user")).toBe(0);
  });

  it("writes X-RateLimit headers, a custom status and body; gRPC requests get RESOURCE_EXHAUSTED", async () => {
    const s = rls(() => over({ ...limited, limit: { requestsPerUnit: 3, unit: Unit.HOUR } }));
    const host = await rateLimitHost(
      {
        service,
        rules: [clusterRule()],
        response: { headers: "x-ratelimit", status: 503, body: "slow down\n" },
      },
      { grpcClusters: { rls: s.handler } },
    );
    const res = await host.request({ headers: user("a") });
    expect(res.status).toBe(503);
    expect(res.body).toBe("slow down\n");
    expect(res.headers["x-ratelimit-limit"]).toBe("3");
    expect(res.headers["x-ratelimit-remaining"]).toBe("0");
    expect(res.headers["x-ratelimit-reset"]).toBe("42");
    const grpc = await host.request({
      method: "POST",
      headers: { ...user("a"), "content-type": "application/grpc" },
      body: "x",
    });
    expect(grpc.localReply?.grpcStatus).toBe(8);
  });

  it("puts the limit closest to refusing on admitted responses when asked", async () => {
    const s = rls(() =>
      ok(
        { code: Code.OK, limit: perMinute(100), remaining: 60, reset: { seconds: 30 } },
        { code: Code.OK, limit: { requestsPerUnit: 5, unit: Unit.SECOND }, remaining: 2 },
        { code: Code.OK },
      ),
    );
    const host = await rateLimitHost(
      {
        service,
        rules: [clusterRule({ name: "a" }), clusterRule({ name: "b" }), clusterRule({ name: "c" })],
        response: { headers: "ietf", headers_on_allowed: true },
      },
      { grpcClusters: { rls: s.handler } },
    );
    const res = await host.request({ headers: user("u") });
    expect(res.status).toBe(200);
    expect(res.headers["ratelimit-policy"]).toBe('"b";q=5;w=1');
    expect(res.headers.ratelimit).toBe('"b";r=2;t=1'); // no reset given: the unit
  });

  it("decides each rule from its own status; a shadow rule only counts", async () => {
    const s = rls(() => over({ code: Code.OK }, { code: Code.OVER_LIMIT, reset: { seconds: 5 } }));
    const host = await rateLimitHost(
      {
        service,
        rules: [clusterRule({ name: "a" }), clusterRule({ name: "b", shadow: true })],
      },
      { grpcClusters: { rls: s.handler } },
    );
    expect((await host.request({ headers: user("u") })).status).toBe(200);
    expect(host.counter("ratelimit_allowed_rule=a")).toBe(1);
    expect(host.counter("ratelimit_shadow_limited_rule=b")).toBe(1);
    expect(host.counter("ratelimit_limited_rule=b")).toBe(0);
  });

  it("takes the overall code for every rule when the answer has no statuses", async () => {
    const s = rls(() => ({ messages: [encodeResponse(Code.OVER_LIMIT)] }));
    const host = await rateLimitHost(
      { service, rules: [clusterRule()] },
      { grpcClusters: { rls: s.handler } },
    );
    const res = await host.request({ headers: user("u") });
    expect(res.status).toBe(429);
    expect(res.headers["retry-after"]).toBe("1");
  });
});

describe("local pre-check with the global decision", () => {
  it("asks the service only for what the local limits admit", async () => {
    const s = rls(() => ok({ code: Code.OK }));
    const host = await rateLimitHost(
      {
        service,
        rules: [
          clusterRule({
            mode: "local_and_cluster",
            limits: [{ token_bucket: { capacity: 2, fill_interval: "1s" } }],
          }),
        ],
      },
      { grpcClusters: { rls: s.handler } },
    );
    const got = [];
    for (let i = 0; i < 4; i++) got.push((await host.request({ headers: user("a") })).status);
    expect(got).toEqual([200, 200, 429, 429]);
    expect(s.calls).toHaveLength(2);
    expect(host.counter("ratelimit_allowed_rule=r")).toBe(2);
    expect(host.counter("ratelimit_limited_rule=r")).toBe(2);
  });

  it("refuses what the service refuses after the local limits admitted it", async () => {
    const s = rls(() =>
      over({ code: Code.OVER_LIMIT, limit: perMinute(1), reset: { seconds: 3 } }),
    );
    const host = await rateLimitHost(
      {
        service,
        rules: [
          clusterRule({
            mode: "local_and_cluster",
            limits: [{ token_bucket: { capacity: 10, fill_interval: "1s" } }],
          }),
        ],
      },
      { grpcClusters: { rls: s.handler } },
    );
    const res = await host.request({ headers: user("a") });
    expect(res.status).toBe(429);
    expect(res.headers["retry-after"]).toBe("3");
    expect(s.calls).toHaveLength(1);
  });

  it("does not ask the service when a local rule refuses the request", async () => {
    const s = rls(() => ok({ code: Code.OK }));
    const host = await rateLimitHost(
      {
        service,
        rules: [
          {
            name: "local",
            key: [{ header: "x-user" }],
            limits: [{ window: { requests: 1, per: "minute" } }],
          },
          clusterRule({ name: "global" }),
        ],
      },
      { grpcClusters: { rls: s.handler } },
    );
    expect((await host.request({ headers: user("a") })).status).toBe(200);
    expect((await host.request({ headers: user("a") })).status).toBe(429);
    expect(s.calls).toHaveLength(1);
  });
});

describe("when the service fails", () => {
  const failures: Array<[string, GrpcReply]> = [
    ["UNAVAILABLE", { status: 14, message: "no healthy upstream" }],
    ["DEADLINE_EXCEEDED", { status: 4 }],
    ["an empty message (overall_code UNKNOWN)", { messages: [new Uint8Array(0)] }],
    ["an overall code it does not know", { messages: [encodeResponse(7)] }],
    [
      "a truncated message",
      {
        messages: [
          encodeResponse(Code.OVER_LIMIT, [{ code: 2, limit: perMinute(300) }]).slice(0, 5),
        ],
      },
    ],
    ["a wrong wire type", { messages: [new Uint8Array([0x0a, 0x00])] }],
    ["a group", { messages: [new Uint8Array([0x08, 0x01, 0x1b])] }],
    ["a length past the end", { messages: [new Uint8Array([0x12, 0xff, 0xff, 0xff, 0xff, 0x0f])] }],
    [
      "an eleven-byte varint",
      { messages: [new Uint8Array([0x08, ...new Array(10).fill(0xff), 0x01])] },
    ],
    [
      "more statuses than descriptors",
      { messages: [encodeResponse(Code.OK, [{ code: 1 }, { code: 1 }])] },
    ],
  ];

  it.each(failures)(
    "admits on %s with on_error allow, counting rls_errors",
    async (_what, reply) => {
      const host = await rateLimitHost(
        { service, rules: [clusterRule()] },
        { grpcClusters: { rls: () => reply } },
      );
      const res = await host.request({ headers: user("a") });
      expect(res.trap).toBeNull();
      expect(res.status).toBe(200);
      expect(res.upstream).not.toBeNull();
      expect(host.counter("ratelimit_rls_errors_rule=r")).toBe(1);
      expect(host.counter("ratelimit_allowed_rule=r")).toBe(0);
    },
  );

  it.each(failures)("refuses on %s with on_error deny", async (_what, reply) => {
    const host = await rateLimitHost(
      { service: { ...service, on_error: "deny", error_status: 503 }, rules: [clusterRule()] },
      { grpcClusters: { rls: () => reply } },
    );
    const res = await host.request({ headers: user("a") });
    expect(res.trap).toBeNull();
    expect(res.status).toBe(503);
    expect(res.body).toBe("rate limit service unavailable\n");
    expect(res.headers["x-envoy-ratelimited"]).toBeUndefined();
    expect(host.counter("ratelimit_rls_errors_rule=r")).toBe(1);
  });

  it("applies on_error when the cluster does not exist (the call cannot start)", async () => {
    const config = (onError: string) => ({
      service: { ...service, cluster: "nowhere", on_error: onError },
      rules: [clusterRule()],
    });
    const allow = await rateLimitHost(config("allow"));
    expect((await allow.request({ headers: user("a") })).status).toBe(200);
    expect(allow.counter("ratelimit_rls_errors_rule=r")).toBe(1);
    const deny = await rateLimitHost(config("deny"));
    const res = await deny.request({ headers: user("a") });
    expect(res.status).toBe(500);
    expect(deny.counter("ratelimit_rls_errors_rule=r")).toBe(1);
  });

  it("gives gRPC requests UNAVAILABLE when refusing on error", async () => {
    const host = await rateLimitHost(
      { service: { ...service, on_error: "deny" }, rules: [clusterRule()] },
      { grpcClusters: { rls: () => ({ status: 14 }) } },
    );
    const res = await host.request({
      method: "POST",
      headers: { ...user("a"), "content-type": "application/grpc" },
      body: "x",
    });
    expect(res.localReply?.grpcStatus).toBe(14);
  });

  it("skips fields it does not know and reads the ones it does", async () => {
    // response_headers_to_add (3), raw_body (5) and an unknown fixed32 and fixed64 around the status.
    const status = encodeResponse(Code.OVER_LIMIT, [
      { code: Code.OVER_LIMIT, limit: perMinute(2), reset: { seconds: 9 } },
    ]);
    const extra = [
      0x1a, 0x02, 0x0a, 0x00, 0x2a, 0x03, 0x61, 0x62, 0x63, 0x45, 1, 2, 3, 4, 0x49, 1, 2, 3, 4, 5,
      6, 7, 8,
    ];
    const host = await rateLimitHost(
      { service, rules: [clusterRule()] },
      { grpcClusters: { rls: () => ({ messages: [new Uint8Array([...extra, ...status])] }) } },
    );
    const res = await host.request({ headers: user("a") });
    expect(res.status).toBe(429);
    expect(res.headers["retry-after"]).toBe("9");
  });
});

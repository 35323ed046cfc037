// One module, many filters, held equal to separate plugins in real Envoy: the same requests go
// through a chained module and through the same filters as separate plugins (each Envoy with
// its own stable and canary upstreams), and the status, the client's headers (in order), what
// the upstream saw and the filters' stats must be the same.
//
//   marks: three small filters that write their name into the request and the response, and
//          pause or reply when the request asks (order, stop on reply, resume on tick)
//   the full chain: telemetry → auth → rate-limit → header-router with demo/chain.json

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CHAIN_FILTERS,
  chainBootstrap,
  demoSecret,
  readChainConfig,
} from "../../src/demo/chain-envoy.ts";
import { chainModule, filterModules } from "../../src/demo/modules.ts";
import {
  buildBootstrap,
  type EchoUpstream,
  type EnvoyProcess,
  startEchoUpstream,
  startEnvoy,
} from "../../src/envoy/index.ts";
import {
  filterStats,
  hs256,
  MARKS,
  markModules,
  marksChain,
  type Observed,
  observe,
} from "./helpers.ts";

interface Side {
  envoy: EnvoyProcess;
  upstreams: { stable: EchoUpstream; canary: EchoUpstream };
}

async function side(config: (stable: number, canary: number) => object): Promise<Side> {
  const stable = await startEchoUpstream();
  const canary = await startEchoUpstream();
  const envoy = await startEnvoy({
    config: config(stable.port, canary.port),
    componentLogLevel: "wasm:warn",
    startTimeoutMs: 60_000,
  });
  return { envoy, upstreams: { stable, canary } };
}

async function stop(s: Side | undefined): Promise<void> {
  await s?.envoy.stop();
  await s?.upstreams.stable.close();
  await s?.upstreams.canary.close();
}

type Step = [
  path: string,
  init?: { method?: string; headers?: Record<string, string>; body?: string },
];

/** Runs the steps on both sides, one request at a time, alternating. */
async function both(a: Side, b: Side, steps: Step[]): Promise<[Observed[], Observed[]]> {
  const left: Observed[] = [];
  const right: Observed[] = [];
  for (const [path, init] of steps) {
    left.push(await observe(a.envoy, a.upstreams, path, init));
    right.push(await observe(b.envoy, b.upstreams, path, init));
  }
  return [left, right];
}

function markBootstrap(modules: Record<string, string>, chain: string | null) {
  return (stable: number) =>
    buildBootstrap({
      upstream: { kind: "cluster", port: stable },
      wasmFilters: chain
        ? [
            {
              name: "chain",
              rootId: "chain",
              vmId: "chain",
              wasmPath: chain,
              configuration: { first: {}, pauser: { tick_ms: 20 }, last: {} },
            },
          ]
        : MARKS.map((name) => ({
            name,
            rootId: name,
            vmId: name,
            wasmPath: modules[name] as string,
            configuration: name === "pauser" ? { tick_ms: 20 } : {},
          })),
    });
}

describe("a chain of three marking filters against the same three as separate plugins", () => {
  let chained: Side;
  let separate: Side;

  beforeAll(async () => {
    const [chain, modules] = await Promise.all([marksChain(), markModules()]);
    [chained, separate] = await Promise.all([
      side(markBootstrap(modules, chain)),
      side(markBootstrap(modules, null)),
    ]);
  }, 600_000); // compiles the modules when npm run build has not
  afterAll(async () => {
    await stop(chained);
    await stop(separate);
  });

  it("runs request callbacks in order and response callbacks in reverse order", async () => {
    const [c, s] = await both(chained, separate, [["/"]]);
    expect(c[0]?.seen).toContainEqual(["x-order", "first,pauser,last"]);
    expect(c[0]?.client).toContainEqual(["x-order", "last,pauser,first"]);
    expect(c).toEqual(s);
  });

  it("stops at a local reply: later filters never run, earlier ones see the reply", async () => {
    const [c, s] = await both(chained, separate, [
      ["/", { headers: { "x-mark-reply": "pauser" } }],
      ["/", { headers: { "x-mark-reply": "first" } }],
      ["/", { headers: { "x-mark-reply": "last" } }],
    ]);
    expect(c.map((o) => o.status)).toEqual([403, 403, 403]);
    expect(c[0]?.client).toContainEqual(["x-order", "pauser,first"]);
    expect(c[0]?.body).toBe("refused by pauser\n");
    expect(c).toEqual(s);
  });

  it("holds the request at a pause and resumes with the next filter, not past it", async () => {
    const [c, s] = await both(chained, separate, [
      ["/", { headers: { "x-mark-pause": "pauser" } }],
      ["/", { headers: { "x-mark-pause": "first" } }],
      // Resumed by its tick, then refused by the filter after it.
      ["/", { headers: { "x-mark-pause": "pauser", "x-mark-reply": "last" } }],
    ]);
    expect(c[0]?.status).toBe(200);
    expect(c[0]?.seen).toContainEqual(["x-order", "first,pauser,last"]);
    expect(c[2]?.status).toBe(403);
    expect(c[2]?.client).toContainEqual(["x-order", "last,pauser,first"]);
    expect(c).toEqual(s);
  });

  it("keeps each filter's own metrics, with the same values", async () => {
    const [c, s] = await Promise.all([filterStats(chained.envoy), filterStats(separate.envoy)]);
    expect(c["wasmcustom.mark_first_requests"]).toBe(7);
    expect(c["wasmcustom.mark_last_requests"]).toBeGreaterThan(0);
    expect(c["wasmcustom.mark_pauser_resumed"]).toBe(2);
    expect(c).toEqual(s);
  });

  it("holds a response, and a local reply's response, and resumes each with the filters before it", async () => {
    const [c, s] = await both(chained, separate, [
      ["/", { headers: { "x-mark-pause-response": "pauser" } }],
      ["/", { headers: { "x-mark-reply": "pauser", "x-mark-pause-response": "first" } }],
    ]);
    expect(c[0]?.client).toContainEqual(["x-order", "last,pauser,first"]);
    expect(c[1]?.status).toBe(403);
    expect(c[1]?.client).toContainEqual(["x-order", "pauser,first"]);
    expect(c).toEqual(s);
  });

  it("sends a filter's reply to another's local reply directly, in the first one's place", async () => {
    const [c, s] = await both(chained, separate, [
      ["/", { headers: { "x-mark-reply": "last", "x-mark-reply-response": "first" } }],
      [
        "/",
        {
          method: "POST",
          body: "hello",
          headers: { "x-mark-reply": "pauser", "x-mark-reply-response": "first" },
        },
      ],
    ]);
    expect(c.map((o) => [o.status, o.body])).toEqual([
      [502, "response refused by first\n"],
      [502, "response refused by first\n"],
    ]);
    expect(c[0]?.client.find(([name]) => name === "x-order")).toBeUndefined();
    expect(c).toEqual(s);
  });
});

describe("the full chain as one module against four separate plugins", () => {
  let chained: Side;
  let separate: Side;
  const secret = demoSecret();
  const bearer = (sub: string) => ({ authorization: `Bearer ${hs256(secret, { sub })}` });

  beforeAll(async () => {
    const [chainWasm, filterWasm] = await Promise.all([chainModule(), filterModules()]);
    const configuration = readChainConfig();
    [chained, separate] = await Promise.all([
      side((stablePort, canaryPort) =>
        chainBootstrap({ mode: "chain", chainWasm, configuration, stablePort, canaryPort }),
      ),
      side((stablePort, canaryPort) =>
        chainBootstrap({ mode: "separate", filterWasm, configuration, stablePort, canaryPort }),
      ),
    ]);
  }, 600_000); // compiles the modules when npm run build has not
  afterAll(async () => {
    await stop(chained);
    await stop(separate);
  });

  it("answers every step the same: auth, limits, routing, trace context, identity", async () => {
    const steps: Step[] = [
      ["/"],
      ["/", { headers: { authorization: "Bearer not.a.token" } }],
      ["/", { headers: bearer("alice") }],
      ["/api/v2/items", { headers: { ...bearer("alice"), "x-debug-trace": "1" } }],
      ["/", { headers: { ...bearer("alice"), "x-canary": "1" } }],
      ["/", { headers: { "x-api-key": "demo-key-0123456789" } }],
      ["/", { headers: { ...bearer("bob"), traceparent: "00-not-a-trace" } }],
      [
        "/",
        {
          headers: {
            ...bearer("bob"),
            traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
          },
        },
      ],
      ["/", { headers: { ...bearer("dave"), "x-user": "admin" } }],
      ["/", { headers: { ...bearer("erin"), "x-route-bucket": "canary" } }],
      ["/upload", { method: "POST", headers: bearer("frank"), body: "hello" }],
    ];
    for (let i = 0; i < 7; i++) steps.push(["/", { headers: bearer("carol") }]);
    for (let i = 0; i < 20; i++) steps.push([`/u/${i}`, { headers: bearer(`user-${i}`) }]);
    const [c, s] = await both(chained, separate, steps);
    expect(c[0]?.status).toBe(401);
    expect(c[2]?.status).toBe(200);
    expect(c[2]?.seen).toContainEqual(["x-user", "alice"]);
    expect(c[4]?.upstream).toBe("canary");
    expect(c[8]?.seen).toContainEqual(["x-user", "dave"]);
    const burst = c.slice(11, 18).map((o) => o.status);
    expect(burst.filter((x) => x === 429).length).toBeGreaterThan(0);
    expect(c.slice(18).some((o) => o.upstream === "canary")).toBe(true);
    for (let i = 0; i < steps.length; i++)
      expect({ step: i, ...c[i] }).toEqual({ step: i, ...s[i] });
  });

  it("keeps each filter's stats names, with the same values", async () => {
    const [c, s] = await Promise.all([filterStats(chained.envoy), filterStats(separate.envoy)]);
    const names = Object.keys(c);
    for (const prefix of ["meshwasm_", "auth.", "ratelimit_", "header_router_"]) {
      expect(names.some((n) => n.startsWith(`wasmcustom.${prefix}`))).toBe(true);
    }
    expect(c).toEqual(s);
    expect(CHAIN_FILTERS.length).toBe(4);
  });
});

// The demo's scripted tour: real requests through Envoy running the full chain, each step
// checked against what it should show. Every step returns what it measured (`facts`), which
// the demo prints and its test asserts on.

import { createHmac } from "node:crypto";
import type { EnvoyProcess } from "../envoy/runner.ts";
import type { PrometheusProcess, VectorSample } from "./prometheus.ts";
import type { NamedUpstream, SeenRequest } from "./upstreams.ts";

export interface TourEnv {
  envoy: EnvoyProcess;
  stable: NamedUpstream;
  canary: NamedUpstream;
  /** Null: the Prometheus step is left out (and says so). */
  prometheus: PrometheusProcess | null;
  /** The demo key's HS256 secret (demo/chain.json, auth section). */
  secret: Buffer;
  /** Requests the tour sent so far (every one passes telemetry, the chain's first filter). */
  sent: number;
}

export interface TourStep {
  id: string;
  title: string;
  /** What the step should show, in one line. */
  expect: string;
  ok: boolean;
  /** What happened, readable, one line each. */
  lines: string[];
  /** What was measured (statuses, headers, counts), for scripts and the demo's test. */
  facts: Record<string, unknown>;
}

/** An HS256 JWT for `sub`, valid for an hour, signed with the demo key. */
export function demoToken(secret: Buffer, sub: string): string {
  const b64 = (v: string | Buffer) => Buffer.from(v).toString("base64url");
  const head = b64(JSON.stringify({ alg: "HS256", typ: "JWT", kid: "demo" }));
  const body = b64(JSON.stringify({ sub, exp: Math.floor(Date.now() / 1000) + 3600 }));
  return `${head}.${body}.${b64(createHmac("sha256", secret).update(`${head}.${body}`).digest())}`;
}

interface Sent {
  status: number;
  headers: Headers;
  body: string;
  /** Which upstream got it, and what it saw; null when Envoy answered itself. */
  upstream: string | null;
  seen: SeenRequest | null;
}

async function send(
  env: TourEnv,
  path: string,
  headers: Record<string, string> = {},
): Promise<Sent> {
  const before = { stable: env.stable.count, canary: env.canary.count };
  const res = await env.envoy.request(path, { headers });
  env.sent++;
  const body = await res.text();
  let upstream: string | null = null;
  let seen: SeenRequest | null = null;
  for (const u of [env.stable, env.canary]) {
    if (u.count > before[u.name as "stable" | "canary"]) {
      upstream = u.name;
      seen = u.requests[u.requests.length - 1] ?? null;
    }
  }
  return { status: res.status, headers: res.headers, body, upstream, seen };
}

const bearer = (env: TourEnv, sub: string) => ({
  authorization: `Bearer ${demoToken(env.secret, sub)}`,
});

function step(
  id: string,
  title: string,
  expect: string,
  ok: boolean,
  lines: string[],
  facts: Record<string, unknown>,
): TourStep {
  return { id, title, expect, ok, lines, facts };
}

async function noToken(env: TourEnv): Promise<TourStep> {
  const r = await send(env, "/orders");
  const challenge = r.headers.get("www-authenticate");
  return step(
    "no-token",
    "A request without a token",
    "401 from auth, with a Bearer challenge; no upstream sees it",
    r.status === 401 && challenge !== null && r.upstream === null,
    [
      `GET /orders -> ${r.status}`,
      `www-authenticate: ${challenge ?? "(none)"}`,
      `body: ${r.body.trim()}`,
    ],
    { status: r.status, challenge, upstream: r.upstream },
  );
}

async function validToken(env: TourEnv): Promise<TourStep> {
  const r = await send(env, "/orders", bearer(env, "alice"));
  const user = r.seen?.headers["x-user"] ?? null;
  const forged = await send(env, "/orders", { ...bearer(env, "alice"), "x-user": "admin" });
  const forgedUser = forged.seen?.headers["x-user"] ?? null;
  return step(
    "valid-jwt",
    "A valid JWT (sub: alice)",
    "200; the upstream sees x-user: alice, and a client-sent x-user is replaced",
    r.status === 200 && user === "alice" && forgedUser === "alice",
    [
      `GET /orders, Authorization: Bearer <HS256, sub=alice> -> ${r.status} from ${r.upstream}`,
      `upstream saw x-user: ${user}`,
      `with a forged "x-user: admin" added, the upstream saw x-user: ${forgedUser}`,
    ],
    { status: r.status, upstream: r.upstream, user, forgedUser },
  );
}

async function burst(env: TourEnv): Promise<TourStep> {
  const statuses: number[] = [];
  let retryAfter: string | null = null;
  let policy: string | null = null;
  for (let i = 0; i < 8; i++) {
    const r = await send(env, "/orders", bearer(env, "bob"));
    statuses.push(r.status);
    if (r.status === 429 && retryAfter === null) {
      retryAfter = r.headers.get("retry-after");
      policy = r.headers.get("ratelimit");
    }
  }
  const limited = statuses.filter((s) => s === 429).length;
  return step(
    "burst",
    "A burst of 8 requests as bob (5 per user, 1 more each second)",
    "the first 5 pass, then 429 with Retry-After",
    statuses.slice(0, 5).every((s) => s === 200) && limited > 0 && retryAfter !== null,
    [
      `statuses: ${statuses.join(" ")}`,
      `first 429: retry-after: ${retryAfter}, ratelimit: ${policy}`,
    ],
    { statuses, limited, retryAfter, ratelimit: policy },
  );
}

async function canary(env: TourEnv): Promise<TourStep> {
  const byHeader = await send(env, "/orders", { ...bearer(env, "carol"), "x-canary": "1" });
  const users = 200;
  const sides: string[] = [];
  for (let i = 0; i < users; i++) {
    sides.push((await send(env, "/orders", bearer(env, `user-${i}`))).upstream ?? "none");
  }
  let moved = 0;
  for (let i = 0; i < 20; i++) {
    const again = await send(env, "/orders", bearer(env, `user-${i}`));
    if ((again.upstream ?? "none") !== sides[i]) moved++;
  }
  const onCanary = sides.filter((s) => s === "canary").length;
  const share = onCanary / users;
  return step(
    "canary",
    "Canary: by header, and a sticky 10% split by user",
    "x-canary: 1 lands on canary; about 10% of users do, and each user stays where it landed",
    byHeader.upstream === "canary" && share > 0.02 && share < 0.25 && moved === 0,
    [
      `x-canary: 1 -> ${byHeader.upstream} (x-routed-by: ${byHeader.headers.get("x-routed-by")})`,
      `${users} users, one request each: ${onCanary} on canary (${(share * 100).toFixed(1)}%), ${users - onCanary} on stable`,
      `the first 20 users again: ${moved} moved`,
    ],
    { headerUpstream: byHeader.upstream, users, onCanary, share, moved },
  );
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/;

async function traceparent(env: TourEnv): Promise<TourStep> {
  const sent = "00-this-is-not-a-trace-01";
  const r = await send(env, "/orders", { ...bearer(env, "dave"), traceparent: sent });
  const seen = r.seen?.headers.traceparent ?? null;
  const good = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  const kept = await send(env, "/orders", { ...bearer(env, "dave"), traceparent: good });
  const keptSeen = kept.seen?.headers.traceparent ?? "";
  const continued = TRACEPARENT.exec(keptSeen)?.[1] === "4bf92f3577b34da6a3ce929d0e0e4736";
  return step(
    "traceparent",
    "A malformed traceparent",
    "replaced by a fresh, valid one; a valid one keeps its trace id with a new span",
    seen !== null && TRACEPARENT.test(seen) && continued,
    [
      `sent     traceparent: ${sent}`,
      `upstream traceparent: ${seen}`,
      `valid one continued as: ${keptSeen}`,
    ],
    { sent, seen, continued, requestId: r.headers.get("x-request-id") },
  );
}

function sampleLine(s: VectorSample): string {
  const labels = Object.entries(s.metric)
    .map(([k, v]) => `${k}="${v}"`)
    .join(", ");
  return `{${labels}} ${s.value[1]}`;
}

async function prometheus(env: TourEnv): Promise<TourStep> {
  const p = env.prometheus;
  if (!p) {
    return step(
      "prometheus",
      "Telemetry in Prometheus",
      "skipped (--no-prometheus)",
      false,
      ["skipped"],
      {},
    );
  }
  const query = "sum by (code) (meshwasm_requests_total)";
  // Wait for a scrape that has seen all of the tour's traffic.
  const samples = await p.waitFor(
    query,
    (r) => r.reduce((n, s) => n + Number(s.value[1]), 0) >= env.sent,
    30_000,
  );
  const byCode: Record<string, number> = {};
  for (const s of samples) byCode[s.metric.code ?? ""] = Number(s.value[1]);
  const limited = await p.query('sum(ratelimit_limited{rule="per-user"})');
  const denied = await p.query("sum by (reason) (auth_denied)");
  return step(
    "prometheus",
    "Telemetry as Prometheus sees it",
    "requests by status code (200, 401, 429), the limiter's and auth's counters",
    (byCode["200"] ?? 0) > 0 && (byCode["401"] ?? 0) > 0 && (byCode["429"] ?? 0) > 0,
    [
      `PromQL: ${query}`,
      ...samples.map((s) => `  ${sampleLine(s)}`),
      `PromQL: sum(ratelimit_limited{rule="per-user"}) -> ${limited[0]?.value[1] ?? "none"}`,
      "PromQL: sum by (reason) (auth_denied)",
      ...denied.map((s) => `  ${sampleLine(s)}`),
    ],
    { query, byCode, limited: Number(limited[0]?.value[1] ?? 0) },
  );
}

/** The tour's steps, in order. */
export const TOUR: readonly ((env: TourEnv) => Promise<TourStep>)[] = [
  noToken,
  validToken,
  burst,
  canary,
  traceparent,
  prometheus,
];

// The auth filter must not leak: linear memory flat over 20,000 requests after a warm-up that
// fills its caches (unique valid tokens, bad tokens, API keys, Basic, nothing at all).

import { createHash, createHmac, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createHost } from "../../../src/testing/index.ts";
import { buildAuth } from "./helpers.ts";

const WARMUP = 3_000;
const REQUESTS = 20_000;

describe("linear memory", () => {
  it("stays flat over 20,000 requests", async () => {
    const secret = randomBytes(32);
    const b64u = (v: string | Buffer) => Buffer.from(v).toString("base64url");
    const sign = (i: number) => {
      const input = `${b64u(JSON.stringify({ alg: "HS256" }))}.${b64u(JSON.stringify({ sub: `u${i}`, realm: { roles: ["r", String(i)] } }))}`;
      return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
    };
    const host = await createHost({
      rootId: "auth",
      module: await buildAuth(),
      configuration: {
        providers: {
          main: {
            algorithms: ["HS256"],
            jwks: { keys: [{ kty: "oct", k: secret.toString("base64url") }] },
            subject_header: "x-sub",
            claims_to_headers: [{ claim: "realm.roles", header: "x-roles" }],
          },
        },
        api_keys: { consumers: [{ name: "a", key: "memory-key-0123456789" }] },
        basic: { users: [`u:{SHA}${createHash("sha1").update("pw").digest("base64")}`] },
        token_cache_size: 256,
      },
    });
    const variants = (i: number): Record<string, string> => {
      switch (i % 5) {
        case 0:
          return { authorization: `Bearer ${sign(i)}` };
        case 1:
          return { authorization: `Bearer ${sign(i)}x` };
        case 2:
          return { "x-api-key": i % 10 === 2 ? "memory-key-0123456789" : `wrong-${i}` };
        case 3:
          return {
            authorization: `Basic ${Buffer.from(`u:${i % 2 ? "pw" : "no"}`).toString("base64")}`,
          };
        default:
          return {};
      }
    };
    const run = (from: number, n: number) => {
      for (let i = from; i < from + n; i++) {
        const s = host.stream();
        s.requestHeaders({
          ":method": "GET",
          ":path": `/m/${i}`,
          ":authority": "a",
          ...variants(i),
        });
        s.responseHeaders({ ":status": "200" }, { endOfStream: true });
        s.complete();
      }
    };
    run(0, WARMUP);
    const warm = host.memoryBytes();
    run(WARMUP, REQUESTS);
    expect(host.memoryBytes()).toBe(warm);
    // Of every ten: two valid tokens, one right key, one right password.
    expect(host.counter("auth.allowed")).toBe(((WARMUP + REQUESTS) / 10) * 4);
  }, 240_000);
});

// The attack corpus: each hostile request refused with the right status and reason, on the
// test host, with keys and tokens made here by node:crypto.

import { createHmac } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { createHost, type Host } from "../../../src/testing/index.ts";
import { buildAuth, ecKey, hmacKey, rsaKey, type TestKey, token } from "./helpers.ts";

let wasm = "";
let host: Host;
let rs: TestKey;
let es: TestKey;
let hs: TestKey;
const T0 = 1_900_000_000;
const b64u = (v: string | Buffer) => Buffer.from(v).toString("base64url");

beforeAll(async () => {
  wasm = await buildAuth();
  rs = rsaKey("rs", 2048, "RS256");
  es = ecKey("es");
  hs = hmacKey("hs");
  host = await createHost({
    rootId: "auth",
    module: wasm,
    startTimeMs: T0 * 1000,
    configuration: {
      providers: {
        main: {
          issuer: "https://id.example",
          audiences: ["api"],
          algorithms: ["RS256", "ES256", "HS256"],
          // es's key is published under kid "mixed" as an RSA-typed key would be expected.
          jwks: { keys: [rs.jwk, es.jwk, hs.jwk, { ...hmacKey("x").jwk, kid: "mixed" }] },
          subject_header: "x-sub",
          max_token_bytes: 2048,
        },
      },
    },
  });
}, 300_000);

const good = { iss: "https://id.example", aud: "api", sub: "alice", exp: T0 + 600 };
const signed = (
  claims: Record<string, unknown> = good,
  alg: "RS256" | "ES256" | "HS256" = "RS256",
  key = rs,
) => token({ alg, key, claims });

function swapPart(t: string, index: number, part: string): string {
  const parts = t.split(".");
  parts[index] = part;
  return parts.join(".");
}

interface Attack {
  name: string;
  request: () => { path?: string; headers?: Record<string, string> };
  status: number;
  reason: string;
}

const bearer = (t: string) => () => ({ headers: { authorization: `Bearer ${t}` } });

const ATTACKS: Attack[] = [
  {
    name: "alg none with an empty signature",
    request: () =>
      bearer(`${b64u(JSON.stringify({ alg: "none" }))}.${b64u(JSON.stringify(good))}.`)(),
    status: 401,
    reason: "malformed",
  },
  {
    name: "alg none with a signature",
    request: () =>
      bearer(swapPart(signed(), 0, b64u(JSON.stringify({ alg: "none", kid: "rs" }))))(),
    status: 401,
    reason: "bad-alg",
  },
  {
    name: "alg NoNe",
    request: () => bearer(swapPart(signed(), 0, b64u(JSON.stringify({ alg: "NoNe" }))))(),
    status: 401,
    reason: "bad-alg",
  },
  {
    name: "an unknown alg",
    request: () => bearer(swapPart(signed(), 0, b64u(JSON.stringify({ alg: "HS1024" }))))(),
    status: 401,
    reason: "bad-alg",
  },
  {
    name: "HS256 signed with the RSA public key as the secret (kid rs)",
    request: () => {
      const input = `${b64u(JSON.stringify({ alg: "HS256", kid: "rs" }))}.${b64u(JSON.stringify(good))}`;
      const sig = createHmac("sha256", JSON.stringify(rs.jwk)).update(input).digest();
      return bearer(`${input}.${b64u(sig)}`)();
    },
    status: 401,
    reason: "key-mismatch",
  },
  {
    name: "an unknown kid",
    request: () => bearer(token({ alg: "RS256", key: rs, kid: "nope", claims: good }))(),
    status: 401,
    reason: "unknown-kid",
  },
  {
    name: "a JWKS key whose type does not match the alg (ES256 naming an oct key)",
    request: () => bearer(token({ alg: "ES256", key: es, kid: "mixed", claims: good }))(),
    status: 401,
    reason: "key-mismatch",
  },
  {
    name: "a tampered header (typ added)",
    request: () =>
      bearer(swapPart(signed(), 0, b64u(JSON.stringify({ alg: "RS256", kid: "rs", typ: "x" }))))(),
    status: 401,
    reason: "bad-signature",
  },
  {
    name: "a tampered payload (sub changed)",
    request: () => bearer(swapPart(signed(), 1, b64u(JSON.stringify({ ...good, sub: "root" }))))(),
    status: 401,
    reason: "bad-signature",
  },
  {
    name: "a tampered signature",
    request: () => {
      const t = signed();
      const sig = Buffer.from(t.split(".")[2] as string, "base64url");
      sig[0] = (sig[0] as number) ^ 0x80;
      return bearer(swapPart(t, 2, b64u(sig)))();
    },
    status: 401,
    reason: "bad-signature",
  },
  {
    name: "an ES256 signature in DER",
    request: () => {
      const t = signed(good, "ES256", es);
      const raw = Buffer.from(t.split(".")[2] as string, "base64url");
      const int = (b: Buffer) =>
        (b[0] as number) >= 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b;
      const r = int(raw.subarray(0, 32));
      const s = int(raw.subarray(32));
      const der = Buffer.concat([
        Buffer.from([0x30, r.length + s.length + 4, 2, r.length]),
        r,
        Buffer.from([2, s.length]),
        s,
      ]);
      return bearer(swapPart(t, 2, b64u(der)))();
    },
    status: 401,
    reason: "bad-signature",
  },
  {
    name: "an expired token",
    request: () => bearer(signed({ ...good, exp: T0 - 120 }))(),
    status: 401,
    reason: "expired",
  },
  {
    name: "a token not yet valid",
    request: () => bearer(signed({ ...good, nbf: T0 + 120 }))(),
    status: 401,
    reason: "not-yet-valid",
  },
  {
    name: "a wrong issuer",
    request: () => bearer(signed({ ...good, iss: "https://id.example.evil" }))(),
    status: 401,
    reason: "bad-issuer",
  },
  {
    name: "a wrong audience",
    request: () => bearer(signed({ ...good, aud: ["apix", "API"] }))(),
    status: 403,
    reason: "bad-audience",
  },
  {
    name: "malformed base64url (a + in the payload)",
    request: () => bearer(swapPart(signed(), 1, `${signed().split(".")[1]}+`))(),
    status: 401,
    reason: "malformed",
  },
  {
    name: "padding on a segment",
    request: () => bearer(swapPart(signed(), 2, `${signed().split(".")[2]}==`))(),
    status: 401,
    reason: "malformed",
  },
  {
    name: "a non-canonical final character",
    request: () => {
      const t = signed();
      const p = t.split(".")[1] as string;
      // A payload whose length leaves unused bits: flip one of them.
      const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
      const last = alphabet.indexOf(p[p.length - 1] as string);
      const bumped = p.slice(0, -1) + alphabet[last ^ 1];
      return bearer(p.length % 4 === 0 ? "x.y" : swapPart(t, 1, bumped))();
    },
    status: 401,
    reason: "malformed",
  },
  {
    name: "four segments",
    request: () => bearer(`${signed()}.x`)(),
    status: 401,
    reason: "malformed",
  },
  {
    name: "duplicate members in the header",
    request: () => bearer(swapPart(signed(), 0, b64u('{"alg":"RS256","alg":"none"}')))(),
    status: 401,
    reason: "malformed",
  },
  {
    name: "duplicated credentials (header and query)",
    request: () => ({
      path: `/?access_token=${signed()}`,
      headers: { authorization: `Bearer ${signed()}` },
    }),
    status: 401,
    reason: "duplicate",
  },
  {
    name: "an oversized token",
    request: () => bearer(signed({ ...good, pad: "p".repeat(3000) }))(),
    status: 401,
    reason: "too-large",
  },
  {
    name: "a huge header value",
    request: () => bearer("a".repeat(60_000))(),
    status: 401,
    reason: "too-large",
  },
  {
    name: "a crit header",
    request: () =>
      bearer(token({ alg: "RS256", key: rs, header: { crit: ["exp"] }, claims: good }))(),
    status: 401,
    reason: "malformed",
  },
];

describe("attack corpus", () => {
  for (const attack of ATTACKS) {
    it(`refuses ${attack.name} with ${attack.status} (${attack.reason})`, async () => {
      const name = `auth.denied_reason=${attack.reason}`;
      const before = host.counter(name);
      const res = await host.request({
        ...attack.request(),
        headers: { ...attack.request().headers, "x-sub": "admin" },
      });
      expect(res.status).toBe(attack.status);
      expect(res.upstream).toBeNull();
      expect(res.trap).toBeNull();
      expect(host.counter(name)).toBe(before + 1);
    });
  }

  it("lets the untampered token through, with the forged identity header replaced", async () => {
    const res = await host.request({
      headers: { authorization: `Bearer ${signed()}`, "x-sub": "admin" },
    });
    expect(res.status).toBe(200);
    expect(res.upstream?.headers["x-sub"]).toBe("alice");
    const es256 = await host.request({
      headers: { authorization: `Bearer ${signed(good, "ES256", es)}` },
    });
    expect(es256.status).toBe(200);
  });

  it("never logs a token", () => {
    const all = host.logs().join("\n");
    expect(all).not.toContain(signed().split(".")[0]);
    expect(all).not.toMatch(/eyJ/);
  });
});

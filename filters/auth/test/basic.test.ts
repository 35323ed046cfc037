// Basic authentication on the test host: htpasswd {SHA} and bcrypt ($2a$, $2b$, $2y$) lines
// made here with node:crypto and bcryptjs, the verified-credential cache (bcrypt paid once),
// wrong and malformed credentials, duplicates, the consumer header and allow-lists.

import { createHash } from "node:crypto";
import bcrypt from "bcryptjs";
import { beforeAll, describe, expect, it } from "vitest";
import { createHost, type Host } from "../../../src/testing/index.ts";
import { buildAuth } from "./helpers.ts";

let wasm = "";
const sha = (password: string) => `{SHA}${createHash("sha1").update(password).digest("base64")}`;
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
let users: string[] = [];

beforeAll(async () => {
  wasm = await buildAuth();
  const hashB = bcrypt.hashSync("bob's pässword", 5);
  users = [
    `alice:${sha("alice-secret")}`,
    `bob:${hashB}`,
    `carol:${hashB.replace("$2b$", "$2a$")}`,
    `dave:${bcrypt.hashSync("dave:with:colons", 4).replace("$2b$", "$2y$")}`,
  ];
}, 300_000);

async function hostWith(
  extra: Record<string, unknown> = {},
  basicExtra: Record<string, unknown> = {},
): Promise<Host> {
  return createHost({
    rootId: "auth",
    module: wasm,
    configuration: { basic: { users, ...basicExtra }, realm: "staff", ...extra },
  });
}

describe("Basic", () => {
  it("accepts {SHA} and bcrypt users and names them upstream", async () => {
    const host = await hostWith();
    for (const [user, password] of [
      ["alice", "alice-secret"],
      ["bob", "bob's pässword"],
      ["carol", "bob's pässword"],
      ["dave", "dave:with:colons"],
    ] as const) {
      const res = await host.request({
        headers: { authorization: basic(user, password), "x-auth-consumer": "root" },
      });
      expect(res.status, user).toBe(200);
      expect(res.upstream?.headers["x-auth-consumer"]).toBe(user);
      expect(res.upstream?.headers.authorization).toBeUndefined();
    }
  });

  it("refuses a wrong password, an unknown user and malformed credentials with the Basic challenge", async () => {
    const host = await hostWith();
    for (const auth of [
      basic("alice", "alice-secreT"),
      basic("bob", "bob's password"),
      basic("mallory", "alice-secret"),
    ]) {
      const res = await host.request({ headers: { authorization: auth } });
      expect(res.status).toBe(401);
      expect(res.headers["www-authenticate"]).toBe('Basic realm="staff", charset="UTF-8"');
    }
    expect(host.counter("auth.denied_reason=bad-password")).toBe(3);
    for (const auth of [
      "Basic !!!",
      "Basic YWxpY2U=",
      `Basic ${Buffer.from(":x").toString("base64")}`,
    ]) {
      expect((await host.request({ headers: { authorization: auth } })).status).toBe(401);
    }
    expect(host.counter("auth.denied_reason=malformed")).toBe(3);
    const twice = await host.request({
      headers: { authorization: `${basic("alice", "alice-secret")}, ${basic("bob", "x")}` },
    });
    expect(twice.status).toBe(401);
    expect(host.counter("auth.denied_reason=duplicate")).toBe(1);
  });

  it("pays bcrypt once per credential (a bounded cache), never caching a failure", async () => {
    const host = await hostWith({}, { cache_size: 1 });
    const bob = basic("bob", "bob's pässword");
    for (let i = 0; i < 3; i++)
      expect((await host.request({ headers: { authorization: bob } })).status).toBe(200);
    expect(host.counter("auth.basic_cache_miss")).toBe(1);
    expect(host.counter("auth.basic_cache_hit")).toBe(2);
    // A second credential pushes the first out of a cache of one.
    await host.request({ headers: { authorization: basic("alice", "alice-secret") } });
    await host.request({ headers: { authorization: bob } });
    expect(host.counter("auth.basic_cache_miss")).toBe(3);
    for (let i = 0; i < 2; i++)
      await host.request({ headers: { authorization: basic("bob", "nope") } });
    expect(host.counter("auth.basic_cache_hit")).toBe(2);
  });

  it("applies allow-lists to Basic users (403) and keeps the header by option", async () => {
    const host = await hostWith({
      rules: [
        { match: { path: { prefix: "/admin" } }, requires: { basic: true }, allow: ["alice"] },
      ],
    });
    expect(
      (
        await host.request({
          path: "/admin",
          headers: { authorization: basic("alice", "alice-secret") },
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await host.request({
          path: "/admin",
          headers: { authorization: basic("bob", "bob's pässword") },
        })
      ).status,
    ).toBe(403);
    const keep = await hostWith({}, { forward: true });
    const res = await keep.request({ headers: { authorization: basic("alice", "alice-secret") } });
    expect(res.upstream?.headers.authorization).toBe(basic("alice", "alice-secret"));
  });

  it("never logs a password", async () => {
    const host = await hostWith({}, {});
    await host.request({ headers: { authorization: basic("alice", "hunter2-wrong") } });
    expect(host.logs().join("\n")).not.toContain("hunter2");
  });
});

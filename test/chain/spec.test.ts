// Chain specifications: the named errors of `meshwasm build --chain` / `--chain-config` (checked
// before anything compiles), the generated entry file, and the module's own refusal of a
// configuration whose sections do not fit its chain, and a member's continueResponse before the
// response came (on the test host).

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHost, PluginStartError } from "meshwasm/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ChainSpecError,
  chainEntrySource,
  chainOfConfiguration,
  checkChainConfiguration,
  parseChainList,
  resolveChain,
} from "../../src/build/chain.ts";
import { CHAIN_FILTERS, demoSecret, readChainConfig } from "../../src/demo/chain-envoy.ts";
import { chainMembers, chainModule } from "../../src/demo/modules.ts";
import { cli } from "../cli/helpers.ts";
import { hs256, marksChain } from "./helpers.ts";

function problem(fn: () => unknown): { problem: string; message: string } {
  try {
    fn();
  } catch (error) {
    if (error instanceof ChainSpecError) return { problem: error.problem, message: error.message };
    throw error;
  }
  throw new Error("expected a ChainSpecError");
}

const members = chainMembers();

describe("chain specifications", () => {
  it("reads a comma list in order and refuses blanks", () => {
    expect(parseChainList("telemetry, auth ,rate-limit")).toEqual([
      "telemetry",
      "auth",
      "rate-limit",
    ]);
    expect(problem(() => parseChainList("")).problem).toBe("empty-chain");
    expect(problem(() => parseChainList("auth,,telemetry")).message).toMatch(/filter 2 is empty/);
  });

  it("names an unknown filter and lists the known ones", () => {
    const p = problem(() => resolveChain(["telemetry", "authz"], members));
    expect(p.problem).toBe("unknown-filter");
    expect(p.message).toMatch(
      /unknown filter "authz".*known filters: telemetry, auth, rate-limit, header-router/,
    );
  });

  it("refuses a filter named twice", () => {
    const p = problem(() => resolveChain(["auth", "telemetry", "auth"], members));
    expect(p.problem).toBe("duplicate-filter");
    expect(p.message).toMatch(/"auth" appears twice/);
  });

  it("names a missing section, an unknown section and a section its schema refuses", () => {
    const config = readChainConfig() as Record<string, unknown>;
    expect(() => checkChainConfiguration(members, config)).not.toThrow();
    const { auth: _auth, ...noAuth } = config;
    expect(problem(() => checkChainConfiguration(members, noAuth))).toMatchObject({
      problem: "missing-section",
      message: expect.stringMatching(/section "auth" is missing/),
    });
    expect(problem(() => checkChainConfiguration(members, { ...config, cors: {} }))).toMatchObject({
      problem: "unknown-section",
      message: expect.stringMatching(/section "cors" names no filter/),
    });
    const badLimit = { ...config, "rate-limit": { rules: "all" } };
    expect(problem(() => checkChainConfiguration(members, badLimit))).toMatchObject({
      problem: "invalid-section",
      message: expect.stringMatching(/section "rate-limit": rules/),
    });
    expect(problem(() => checkChainConfiguration(members, [1, 2])).problem).toBe(
      "invalid-configuration",
    );
  });

  it("takes the chain from a configuration's sections, in order", () => {
    expect(chainOfConfiguration(readChainConfig(), "demo/chain.json")).toEqual([...CHAIN_FILTERS]);
    expect(problem(() => chainOfConfiguration({}, "x.json")).problem).toBe("empty-chain");
  });

  it("generates an entry that imports each filter in order and registers the chain", () => {
    const text = chainEntrySource(
      members.slice(0, 2),
      "/p/build/.chain/chain.ts",
      "meshwasm/assembly",
    );
    const lines = text.split("\n");
    const imports = lines.filter((l) => l.startsWith('import "'));
    expect(imports[0]).toContain("filters/telemetry/assembly/index");
    expect(imports[1]).toContain("filters/auth/assembly/index");
    expect(text).toContain('export * from "meshwasm/assembly/exports";');
    expect(text).toContain('registerChain(["telemetry", "auth"]);');
  });
});

describe("meshwasm build --chain (the command)", () => {
  let scratch: string;
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), "meshwasm-chain-spec-"));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("exits 2 naming an unknown filter, before compiling anything", async () => {
    const run = await cli(["build", "--chain", "telemetry,nope", "-o", join(scratch, "x.wasm")]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown filter "nope"/);
  });

  it("exits 2 naming a duplicate, and a missing section of --chain-config", async () => {
    const dup = await cli(["build", "--chain", "auth,auth"]);
    expect(dup.code).toBe(2);
    expect(dup.stderr).toMatch(/"auth" appears twice/);
    const file = join(scratch, "chain.json");
    writeFileSync(file, JSON.stringify({ telemetry: {} }));
    const missing = await cli([
      "build",
      "--chain",
      "telemetry,auth",
      "--chain-config",
      file,
      "--json",
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toMatch(/"problem":\s*"missing-section"/);
  });
});

describe("a chained module refuses a configuration that does not fit its chain", () => {
  let wasm: string;
  beforeAll(async () => {
    wasm = await marksChain();
  }, 300_000);

  const start = (configuration: unknown) =>
    createHost({ module: wasm, rootId: "chain", configuration: configuration as object });

  it("names a missing section before configuring any filter", async () => {
    const error = await start({ first: {}, last: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PluginStartError);
    expect(String(error)).toMatch(/field "pauser": missing; the chain needs a section/);
  });

  it("names a section of no filter, and a filter that refused its section", async () => {
    const unknown = await start({ first: {}, pauser: {}, last: {}, extra: {} }).catch(
      (e: unknown) => e,
    );
    expect(String(unknown)).toMatch(
      /field "extra": no filter of that name in this chain \(first, pauser, last\)/,
    );
    const refused = await start({ first: {}, pauser: { tick_ms: "fast" }, last: {} }).catch(
      (e: unknown) => e,
    );
    expect(String(refused)).toMatch(/tick_ms/);
    expect(String(refused)).toMatch(/field "pauser": the pauser filter refused its section/);
  });

  it("refuses a configuration that is not an object of sections", async () => {
    expect(String(await start([]).catch((e: unknown) => e))).toMatch(
      /must be an object with a section per filter/,
    );
    const host = await start({ first: {}, pauser: {}, last: {} });
    const r = await host.request({ path: "/" });
    expect(r.upstream?.headers["x-order"]).toBe("first,pauser,last");
    expect(r.headers["x-order"]).toBe("last,pauser,first");
    expect(host.tickPeriod()).toBe(20);
    host.close();
  });
});

describe("a chain member's continueResponse", () => {
  it("is refused before the response came (BadArgument), and the member's held request goes on", async () => {
    const host = await createHost({
      module: await marksChain(),
      rootId: "chain",
      configuration: { first: {}, pauser: {}, last: {} },
    });
    const res = await host.request({
      headers: { "x-mark-pause": "pauser", "x-mark-continue-response": "pauser" },
    });
    // BadArgument, without the host call Envoy 1.40 crashes on.
    expect(host.logs()).toContain("mark pauser: continueResponse 2");
    expect(res.status).toBe(200);
    expect(res.upstream?.headers["x-order"]).toBe("first,pauser,last");
    expect(host.coverage.hostCalls.get("proxy_continue_stream")).toBe(1);
  }, 300_000); // compiles the chain when it is stale
});

describe("a chain's members in one callback", () => {
  it("read one instant of the clock between them (one host call) and each still does its work", async () => {
    const host = await createHost({
      module: await chainModule(),
      rootId: "chain",
      configuration: readChainConfig() as object,
    });
    const clockReads = () => host.coverage.hostCalls.get("proxy_get_current_time_nanoseconds") ?? 0;
    const bearer = { authorization: `Bearer ${hs256(demoSecret(), { sub: "clock" })}` };
    await host.request({ headers: bearer }); // first-request set-up aside
    const before = clockReads();
    const res = await host.request({ headers: bearer });
    // telemetry (its log's start time), auth (the token's expiry) and rate-limit (the bucket's
    // refill) each read the clock in the request headers: one reading between them.
    expect(clockReads() - before).toBe(1);
    expect(res.status).toBe(200);
    expect(res.upstream?.headers["x-user"]).toBe("clock");
    expect(res.upstream?.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    const line = JSON.parse(
      new TextDecoder().decode(res.stream.filterState.get("wasm.meshwasm.access_log")),
    );
    expect(Date.parse(line.timestamp)).toBeGreaterThan(0);
  }, 300_000);
});

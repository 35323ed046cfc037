// What Envoy 1.40 does with proxy_continue_stream in each state of a stream, and the SDK's guard
// against the one that crashes it: continuing the response before the response reached the
// filter. test/modules/continue-probe picks the case from the `x-probe` header and continues
// through the raw host call, or through the SDK's continueRequest / continueResponse with
// `x-via: sdk`; each continue logs `probe <case> <request|response> <status>`.

import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildBootstrap,
  type EchoUpstream,
  type EnvoyExit,
  type EnvoyProcess,
  startEchoUpstream,
  startEnvoy,
} from "../../src/envoy/index.ts";
import { buildTestModule } from "../modules/build.ts";

let echo: EchoUpstream;
let callout: EchoUpstream;
let wasmPath: string;

beforeAll(async () => {
  wasmPath = await buildTestModule("continue-probe");
  // /slow: the response comes late, after the filter let the request go on.
  echo = await startEchoUpstream({ routes: { "/slow": { delayMs: 1500 } } });
  callout = await startEchoUpstream();
}, 120_000);
afterAll(async () => {
  await echo?.close();
  await callout?.close();
});

async function withProbe(run: (envoy: EnvoyProcess) => Promise<void>): Promise<void> {
  const envoy = await startEnvoy({
    config: buildBootstrap({
      upstream: { kind: "cluster", port: echo.port },
      extraClusters: [{ name: "callout", port: callout.port }],
      wasmFilters: [{ name: "continue-probe", wasmPath }],
    }),
  });
  try {
    await run(envoy);
  } finally {
    await envoy.stop();
  }
}

interface Case {
  probe: string;
  path?: string;
  via?: "sdk";
  /** The client gives up after this long (the filter holds the request for good). */
  abortAfterMs?: number;
  /** The status the client gets when Envoy survives (default 200; 0 when it gave up). */
  status?: number;
}

/** The status the client got; 0 when it got none (reset, crash, or it gave up). */
async function send(envoy: EnvoyProcess, c: Case): Promise<number> {
  const headers: Record<string, string> = { "x-probe": c.probe };
  if (c.via) headers["x-via"] = c.via;
  try {
    const res = await envoy.request(c.path ?? "/", {
      headers,
      signal: AbortSignal.timeout(c.abortAfterMs ?? 10_000),
    });
    await res.text();
    return res.status;
  } catch {
    return 0;
  }
}

const logged = (envoy: EnvoyProcess, line: string) =>
  envoy.waitForLog(new RegExp(`wasm log[^:]*: ${line}$`, "m"), 5_000);

/** Continuing the response before it reached the filter: from a tick with the request held or
 *  gone on to a slow upstream, from onRequestHeaders (after a local reply too), from a
 *  callout's answer, and from the log of a stream the client reset before any response. */
const BEFORE_THE_RESPONSE: Case[] = [
  { probe: "tick-response-paused" },
  { probe: "tick-response-unpaused", path: "/slow" },
  { probe: "headers-response-unpaused" },
  { probe: "local-then-response", status: 403 },
  { probe: "callout-response-paused" },
  { probe: "log-response-unstarted", abortAfterMs: 500, status: 0 },
];

describe("proxy_continue_stream in Envoy 1.40", () => {
  it("crashes Envoy (SIGSEGV) when it continues a response that has not reached the filter, from any callback", async () => {
    for (const c of BEFORE_THE_RESPONSE) {
      await withProbe(async (envoy) => {
        let exit: EnvoyExit | null = null;
        void envoy.exited.then((e) => {
          exit = e;
        });
        expect(await send(envoy, c), c.probe).toBe(0);
        await logged(envoy, `probe ${c.probe} response 0`);
        await Promise.race([envoy.exited, sleep(5_000)]);
        expect(exit, c.probe).toEqual({ code: null, signal: "SIGSEGV" });
        expect(envoy.logs()).toContain("Caught Segmentation fault");
      });
    }
  }, 180_000);

  it("survives the other late continues: the request after it went on, the response after it ended", async () => {
    await withProbe(async (envoy) => {
      const survived: Array<[Case, number, string]> = [
        [{ probe: "tick-request-unpaused", path: "/slow" }, 200, "request"],
        [{ probe: "response-body-request" }, 200, "request"],
        [{ probe: "response-body-end" }, 200, "response"],
        [{ probe: "log-request" }, 200, "request"],
        [{ probe: "log-response" }, 200, "response"],
        [{ probe: "local-then-request" }, 403, "request"],
        [{ probe: "tick-response-after-end" }, 200, "response"],
      ];
      for (const [c, status, direction] of survived) {
        expect(await send(envoy, c), c.probe).toBe(status);
        await logged(envoy, `probe ${c.probe} ${direction} 0`);
      }
      expect(await send(envoy, { probe: "none" })).toBe(200);
    });
  }, 60_000);

  it("is refused by the SDK's continueResponse (BadArgument): Envoy keeps serving, a held request completes", async () => {
    await withProbe(async (envoy) => {
      for (const c of BEFORE_THE_RESPONSE) {
        const status = await send(envoy, { ...c, via: "sdk" });
        expect(status, c.probe).toBe(c.status ?? 200);
        await logged(envoy, `probe ${c.probe} response 2`);
      }
      // The held requests went on with continueRequest.
      await logged(envoy, "probe tick-response-paused request 0");
      await logged(envoy, "probe callout-response-paused request 0");
      // A response the filter paused is continued as before.
      expect(await send(envoy, { probe: "response-body-paused", via: "sdk" })).toBe(200);
      await logged(envoy, "probe response-body-paused response 0");
      expect(await send(envoy, { probe: "none" })).toBe(200);
      expect(envoy.logs()).not.toContain("Caught Segmentation fault");
    });
  }, 60_000);
});

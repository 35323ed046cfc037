// What Envoy 1.40 does after a filter traps, under each failure_policy: the measurements behind
// the README's "Failure policy guidance". test/modules/trap traps on GET /trap and otherwise
// tags the request (`x-filter-ran: yes` upstream) and counts it (`trap_module_requests`). The
// echo answers /slow after 1.5 s, so a request can still be in flight when another traps.

import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildBootstrap,
  type EchoUpstream,
  type EnvoyProcess,
  type FailurePolicy,
  startEchoUpstream,
  startEnvoy,
} from "../../src/envoy/index.ts";
import { buildTestModule } from "../modules/build.ts";

const NAME = "policy-probe";
const TRAP_LINE =
  /\[error\]\[wasm\] Function: proxy_on_request_headers failed: Uncaught RuntimeError: unreachable/g;

interface Outcome {
  status: number;
  body: string;
  /** The filter ran on this request (the upstream saw its header). */
  filterRan: boolean;
}

let echo: EchoUpstream;
let wasmPath: string;

beforeAll(async () => {
  wasmPath = await buildTestModule("trap");
  echo = await startEchoUpstream({ routes: { "/slow": { delayMs: 1500 } } });
});
afterAll(async () => {
  await echo?.close();
});

async function withPolicy(policy: FailurePolicy, run: (envoy: EnvoyProcess) => Promise<void>) {
  const envoy = await startEnvoy({
    config: buildBootstrap({
      upstream: { kind: "cluster", port: echo.port },
      wasmFilters: [{ name: NAME, vmId: "policy-probe-vm", wasmPath, failurePolicy: policy }],
    }),
  });
  try {
    await run(envoy);
  } finally {
    await envoy.stop();
  }
}

async function send(envoy: EnvoyProcess, path: string): Promise<Outcome> {
  const res = await envoy.request(path);
  const body = await res.text();
  let filterRan = false;
  if (res.status === 200) {
    const seen = JSON.parse(body) as { headers: Record<string, string> };
    filterRan = seen.headers["x-filter-ran"] === "yes";
  }
  return { status: res.status, body, filterRan };
}

/** Every stat of the Wasm extension (`wasm.*`), and the module's own counters. */
async function wasmStats(envoy: EnvoyProcess): Promise<Record<string, number>> {
  return envoy.stats("^wasm");
}

/** Traps once, after one healthy request; returns the stats from just before the trap. */
async function trapOnce(envoy: EnvoyProcess): Promise<Record<string, number>> {
  const healthy = await send(envoy, "/before");
  expect(healthy).toMatchObject({ status: 200, filterRan: true });
  const before = await wasmStats(envoy);
  const trapped = await send(envoy, "/trap");
  // Whatever the policy, the stream that trapped gets a 503 with an empty body.
  expect(trapped).toEqual({ status: 503, body: "", filterRan: false });
  await envoy.waitForLog(TRAP_LINE);
  return before;
}

/** Sends requests every 100 ms until one passes the filter (or 10 s pass). */
async function untilFilterRuns(envoy: EnvoyProcess) {
  const started = Date.now();
  let refused = 0;
  for (;;) {
    const last = await send(envoy, "/after");
    if (last.status !== 503 || Date.now() - started > 10_000) {
      return { last, refused, waitedMs: Date.now() - started };
    }
    refused++;
    await sleep(100);
  }
}

function trapLines(envoy: EnvoyProcess): number {
  return envoy.logs().match(TRAP_LINE)?.length ?? 0;
}

describe("after a trap, in Envoy 1.40", () => {
  it("FAIL_CLOSED answers 503 to every later request and changes no wasm stat", async () => {
    await withPolicy("FAIL_CLOSED", async (envoy) => {
      const before = await trapOnce(envoy);
      for (let i = 0; i < 3; i++) {
        expect(await send(envoy, `/after/${i}`)).toEqual({
          status: 503,
          body: "",
          filterRan: false,
        });
        await sleep(400);
      }
      expect(await wasmStats(envoy)).toEqual(before);
      expect(before["wasmcustom.trap_module_requests"]).toBe(1);
      expect((await envoy.stats("downstream_rq_5xx"))["http.ingress_http.downstream_rq_5xx"]).toBe(
        4,
      );
      expect(trapLines(envoy)).toBe(1);
    });
  });

  it("FAIL_OPEN lets every later request bypass the filter silently: no stat moves, one log line", async () => {
    await withPolicy("FAIL_OPEN", async (envoy) => {
      const before = await trapOnce(envoy);
      for (let i = 0; i < 3; i++) {
        expect(await send(envoy, `/after/${i}`)).toMatchObject({ status: 200, filterRan: false });
        await sleep(400);
      }
      // The filter's own counter stands still: the only sign besides the log line.
      expect(await wasmStats(envoy)).toEqual(before);
      expect((await envoy.stats("downstream_rq_5xx"))["http.ingress_http.downstream_rq_5xx"]).toBe(
        1,
      );
      expect(trapLines(envoy)).toBe(1);
    });
  });

  it("answers 503 to a request in flight when another traps, under FAIL_OPEN too", async () => {
    for (const policy of ["FAIL_CLOSED", "FAIL_OPEN"] as const) {
      await withPolicy(policy, async (envoy) => {
        // Passes the filter, then waits for the upstream's answer while /trap fails the VM.
        const inFlight = send(envoy, "/slow");
        await sleep(300);
        expect(await send(envoy, "/trap")).toEqual({ status: 503, body: "", filterRan: false });
        expect(await inFlight, policy).toEqual({ status: 503, body: "", filterRan: false });
      });
    }
  });

  it("FAIL_RELOAD starts a new VM, at most about once a second: 503s until then", async () => {
    await withPolicy("FAIL_RELOAD", async (envoy) => {
      await trapOnce(envoy);
      const first = await untilFilterRuns(envoy);
      expect(first.last).toMatchObject({ status: 200, filterRan: true });
      // A second trap right after that reload: the reload waits out its backoff.
      expect(await send(envoy, "/trap")).toEqual({ status: 503, body: "", filterRan: false });
      const second = await untilFilterRuns(envoy);
      expect(second.last).toMatchObject({ status: 200, filterRan: true });
      expect(second.refused).toBeGreaterThan(0);
      expect(second.waitedMs).toBeGreaterThan(500);
      expect(second.waitedMs).toBeLessThan(5_000);
      const after = await wasmStats(envoy);
      // Each refused request counts a backoff; each reload a success; the module's metrics
      // survive the reloads (one healthy request before, two after).
      expect(after[`wasm.${NAME}.vm_reload_backoff`]).toBeGreaterThanOrEqual(second.refused);
      expect(after[`wasm.${NAME}.vm_reload_success`]).toBe(2);
      expect(after[`wasm.${NAME}.vm_reload_failure`]).toBe(0);
      expect(after["wasmcustom.trap_module_requests"]).toBe(3);
      expect(trapLines(envoy)).toBe(2);
    });
  });
});

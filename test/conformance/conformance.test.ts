// The conformance suite: every scenario runs against the emulator and against real Envoy with
// the same assertions. A disagreement is an emulator bug, or an Envoy quirk the emulator then
// reproduces and the scenario names in `quirk`. At the end it prints which ABI host calls and
// callbacks the emulator runs touched.
//
// CONFORMANCE_ONLY=emulator|envoy runs one side; CONFORMANCE_FILTER=<substring> some scenarios.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Coverage } from "../../src/testing/index.ts";
import { buildTestModule } from "../modules/build.ts";
import {
  emulatorTarget,
  envoyTarget,
  expectStartFailure,
  type Servers,
  startServers,
  stopServers,
} from "./harness.ts";
import { scenarios } from "./scenarios/index.ts";
import { tcpScenarios } from "./tcp.ts";

const coverage = new Coverage();
const only = process.env.CONFORMANCE_ONLY;
const filter = process.env.CONFORMANCE_FILTER;
const selected = scenarios.filter((s) => !filter || s.name.includes(filter));
let servers: Servers | undefined;

beforeAll(async () => {
  await buildTestModule("conformance");
  servers = await startServers();
}, 120_000);

afterAll(async () => {
  await stopServers(servers);
  const report = coverage.report();
  console.log(`conformance coverage (emulator runs):\n${report.text}`);
});

for (const kind of ["emulator", "envoy"] as const) {
  if (only && only !== kind) continue;
  describe(`conformance on ${kind}`, () => {
    for (const scenario of selected) {
      const skip = kind === "envoy" && scenario.emulatorOnly !== undefined;
      it.skipIf(skip)(
        skip ? `${scenario.name} (${scenario.emulatorOnly})` : scenario.name,
        async () => {
          const s = servers as Servers;
          if (scenario.startFails) {
            const message = await expectStartFailure(kind, scenario, s, coverage);
            expect(message).toMatch(scenario.startFails);
            return;
          }
          if (kind === "emulator") {
            const { target, close } = await emulatorTarget(scenario.setup ?? {}, s, coverage);
            try {
              await scenario.run?.(target);
            } finally {
              close();
            }
          } else {
            const { target, close } = await envoyTarget(scenario.setup ?? {}, s);
            try {
              await scenario.run?.(target);
            } finally {
              await close();
            }
          }
        },
      );
    }
    for (const scenario of tcpScenarios.filter((s) => !filter || s.name.includes(filter))) {
      it(scenario.name, async () => {
        await scenario.run(kind, coverage);
      });
    }
  });
}

describe("conformance coverage", () => {
  it.skipIf(only === "envoy" || filter !== undefined)(
    "touches every ABI 0.2.1 host call and callback, and reads every HTTP attribute served",
    () => {
      const report = coverage.report();
      expect(report.missingHostCalls).toEqual([]);
      expect(report.missingCallbacks).toEqual([]);
      expect(report.missingAttributes).toEqual([]);
    },
  );
});

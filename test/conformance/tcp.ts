// Placeholder filled below.
import type { Coverage } from "../../src/testing/index.ts";

export interface TcpScenario {
  name: string;
  run(kind: "emulator" | "envoy", coverage: Coverage): Promise<void>;
}

export const tcpScenarios: TcpScenario[] = [];

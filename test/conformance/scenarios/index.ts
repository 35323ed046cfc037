import type { Scenario } from "../harness.ts";
import { attributeScenarios } from "./attributes.ts";
import { bodyScenarios } from "./bodies.ts";
import { bufferLimitScenarios } from "./buffer-limits.ts";
import { calloutScenarios } from "./callouts.ts";
import { contextScenarios } from "./contexts.ts";
import { edgeScenarios } from "./edges.ts";
import { moreEdgeScenarios } from "./edges-more.ts";
import { trailerScenarios } from "./edges-trailers.ts";
import { grpcScenarios } from "./grpc.ts";
import { headerScenarios } from "./headers.ts";
import { lifecycleScenarios } from "./lifecycle.ts";
import { observabilityScenarios } from "./observability.ts";
import { partialScenarios } from "./partial.ts";
import { propertyScenarios } from "./properties.ts";
import { stateScenarios } from "./state.ts";
import { streamScenarios } from "./stream.ts";
import { xdsScenarios } from "./xds.ts";

/** Every conformance scenario, each run against the emulator and against real Envoy. */
export const scenarios: Scenario[] = [
  ...headerScenarios,
  ...bodyScenarios,
  ...streamScenarios,
  ...calloutScenarios,
  ...propertyScenarios,
  ...observabilityScenarios,
  ...stateScenarios,
  ...lifecycleScenarios,
  ...grpcScenarios,
  ...edgeScenarios,
  ...bufferLimitScenarios,
  ...moreEdgeScenarios,
  ...trailerScenarios,
  ...attributeScenarios,
  ...xdsScenarios,
  ...partialScenarios,
  ...contextScenarios,
];

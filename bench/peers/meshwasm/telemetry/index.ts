// The telemetry filter itself (filters/telemetry), benchmarked with its access log off
// (telemetry) and on (telemetry-log); see bench/scenarios.ts.
export * from "../../../../filters/telemetry/assembly/index";

// The header-router filter itself (filters/header-router), benchmarked with the configuration
// its envoy.yaml ships (the five rules of config.example.json; see bench/scenarios.ts).
export * from "../../../../filters/header-router/assembly/index";

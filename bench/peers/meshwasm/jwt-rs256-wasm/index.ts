// The auth filter itself (filters/auth), benchmarked as "jwt-rs256-wasm" (configuration in bench/scenarios.ts).
export * from "../../../../filters/auth/assembly/index";

// The auth filter itself (filters/auth), the module of every jwt-* scenario (their
// configurations are in bench/scenarios.ts; lib/peers.ts builds it for them).
export * from "../../../../filters/auth/assembly/index";

// The auth filter itself (filters/auth), benchmarked as "jwt-es256" (configuration in bench/scenarios.ts).
export * from "../../../../filters/auth/assembly/index";

// The rate-limit filter itself (filters/rate-limit), benchmarked with one process-wide token
// bucket large enough never to refuse (see bench/scenarios.ts): the cost of a decision.
export * from "../../../../filters/rate-limit/assembly/index";

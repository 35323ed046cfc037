// The rate-limit scenarios (filters/rate-limit against Envoy's native rate limit filters),
// kept beside scenarios.ts, which lists them with the rest.
//
// - rate-limit:     one process-wide token bucket (a constant key) of 10^9 tokens, 10^9 per
//                   second, so no request is refused: the cost of one exact decision (the
//                   default: one compare-and-swap write of shared data per request, no
//                   `shared.lease`, as exact as the native filter). Native: local_ratelimit
//                   with the same bucket, enabled and enforced for every request. One worker.
//                   (With `shared.lease`, filters/rate-limit/README.md "Performance" has its
//                   profile and side-by-side figures.)
// - rate-limit-lease: the same bucket at one worker with `shared.lease: 1000`: the worker takes
//                   up to 1000 tokens from the bucket in one compare-and-swap write and admits
//                   the requests after it from them, with no shared-data access (a clock read
//                   each). With one worker no other VM holds tokens, so it admits exactly what
//                   the exact bucket admits (the lease's leftovers go back with its next
//                   write); `allowed` is counted once per lease. Compared with rate-limit/native.
// - rate-limit-2w:  the same at two workers (--concurrency 2, still pinned to one CPU), so the
//                   bucket is shared between two VMs; its floor is none-2w/floor.
// - rate-limit-cluster: cluster mode, in front of the upstream (Envoy's ratelimit filter skips
//                   direct-response routes; the floor is upstream/floor, a GET to the same
//                   upstream): one descriptor (generic_key=bench) per request asked of
//                   Envoy's rate limit service (envoyproxy/ratelimit with Redis, started by the
//                   bench on Unix sockets; 4·10^9 a second, so nothing is refused), waiting for
//                   the answer. Native: envoy.filters.http.ratelimit with the same descriptor
//                   (a filter-level generic_key action) and service. Both refuse on a service
//                   error (500), so a failing service shows as errors, never as cheap requests.
//                   The service's and Redis's CPU is not counted (it is the same for both).
//
// meshwasm's module in each is built for the scenario's configuration (bench/lib/peers.ts, as
// `meshwasm build --for-config` does), which is what a user would ship: none of these
// configurations asks for rate-limit headers on admitted responses, so that module leaves out
// the response-headers callback and Envoy enters the VM once per request. Neither native
// filter adds rate-limit headers to admitted responses either (local_ratelimit's are off by
// default, as are the ratelimit filter's x-ratelimit headers), so this is the like-for-like
// module.

import type { Scenario } from "./scenarios.ts";

export const RATE_LIMIT_CONFIG = JSON.stringify({
  rules: [
    {
      name: "bench",
      key: [{ constant: "all" }],
      limits: [{ token_bucket: { capacity: 1e9, tokens_per_fill: 1e9, fill_interval: "1s" } }],
    },
  ],
});

export const NATIVE_LOCAL_RATELIMIT = {
  name: "envoy.filters.http.local_ratelimit",
  typed_config: {
    "@type": "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
    stat_prefix: "bench_rate_limit",
    token_bucket: { max_tokens: 1e9, tokens_per_fill: 1e9, fill_interval: "1s" },
    filter_enabled: {
      runtime_key: "bench_rl_enabled",
      default_value: { numerator: 100, denominator: "HUNDRED" },
    },
    filter_enforced: {
      runtime_key: "bench_rl_enforced",
      default_value: { numerator: 100, denominator: "HUNDRED" },
    },
  },
};

/** RATE_LIMIT_CONFIG's bucket decided from leases of up to 1000 tokens. */
export const LEASE_CONFIG = JSON.stringify({
  ...JSON.parse(RATE_LIMIT_CONFIG),
  shared: { lease: 1000 },
});

/** The Envoy cluster name of the rate limit service in the cluster scenarios. */
export const RATE_LIMIT_CLUSTER = "ratelimit";

/** The service's limits for the cluster scenarios (envoyproxy/ratelimit's YAML). */
export const RATE_LIMIT_SERVICE_LIMITS = `domain: bench
descriptors:
  - key: generic_key
    value: bench
    rate_limit: { unit: second, requests_per_unit: 4000000000 }
`;

export const CLUSTER_CONFIG = JSON.stringify({
  rules: [{ name: "bench", mode: "cluster", key: [{ constant: "bench" }] }],
  service: { cluster: RATE_LIMIT_CLUSTER, domain: "bench", timeout: "1s", on_error: "deny" },
});

const NATIVE_RATELIMIT = {
  name: "envoy.filters.http.ratelimit",
  typed_config: {
    "@type": "type.googleapis.com/envoy.extensions.filters.http.ratelimit.v3.RateLimit",
    domain: "bench",
    timeout: "1s",
    failure_mode_deny: true,
    rate_limit_service: {
      grpc_service: { envoy_grpc: { cluster_name: RATE_LIMIT_CLUSTER } },
      transport_api_version: "V3",
    },
    rate_limits: [{ actions: [{ generic_key: { descriptor_value: "bench" } }] }],
  },
};

export const rateLimitScenarios: Scenario[] = [
  {
    name: "rate-limit/meshwasm",
    work: "rate-limit",
    peer: "meshwasm",
    configuration: RATE_LIMIT_CONFIG,
  },
  {
    name: "rate-limit/native",
    work: "rate-limit",
    peer: "native",
    httpFilters: [NATIVE_LOCAL_RATELIMIT],
  },
  {
    name: "rate-limit-lease/meshwasm",
    work: "rate-limit-lease",
    peer: "meshwasm",
    configuration: LEASE_CONFIG,
    rootId: "rate-limit",
  },
  { name: "none-2w/floor", work: "none-2w", peer: "floor", workers: 2 },
  { name: "upstream/floor", work: "upstream", peer: "floor" },
  {
    name: "rate-limit-2w/meshwasm",
    work: "rate-limit-2w",
    peer: "meshwasm",
    configuration: RATE_LIMIT_CONFIG,
    rootId: "rate-limit",
    workers: 2,
  },
  {
    name: "rate-limit-2w/native",
    work: "rate-limit-2w",
    peer: "native",
    httpFilters: [NATIVE_LOCAL_RATELIMIT],
    workers: 2,
  },
  {
    name: "rate-limit-cluster/meshwasm",
    work: "rate-limit-cluster",
    peer: "meshwasm",
    configuration: CLUSTER_CONFIG,
    rootId: "rate-limit",
    rateLimitService: true,
  },
  {
    name: "rate-limit-cluster/native",
    work: "rate-limit-cluster",
    peer: "native",
    httpFilters: [NATIVE_RATELIMIT],
    rateLimitService: true,
  },
];

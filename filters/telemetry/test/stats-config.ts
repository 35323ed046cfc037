// The bootstrap side of the telemetry filter's metrics, computed from its configuration:
// the stats_tags that turn its encoded labels into Prometheus labels and the histogram
// bucket settings of its three histograms. envoy.yaml carries the output for the default
// configuration (test/envoy.test.ts checks it); the same function serves any other.
import {
  histogramBucketSettings,
  labelStatsTags,
  type StatsTag,
} from "../../../src/envoy/index.ts";

interface MetricsOptions {
  naming?: "meshwasm" | "istio";
  prefix?: string;
  code?: "code" | "class";
  static_labels?: Record<string, string>;
  buckets?: { duration_ms?: number[]; request_bytes?: number[]; response_bytes?: number[] };
}

export const DEFAULT_DURATION_BUCKETS = [
  1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000,
];
export const DEFAULT_SIZE_BUCKETS = [100, 1000, 10000, 100000, 1000000, 10000000, 100000000];

function metricsOf(config: object): MetricsOptions {
  return ((config as { metrics?: MetricsOptions }).metrics ?? {}) as MetricsOptions;
}

/** The metric family names the filter defines for `config`. */
export function telemetryFamilies(config: object) {
  const m = metricsOf(config);
  const base = m.naming === "istio" ? "istio" : (m.prefix ?? "meshwasm");
  const self = m.naming === "istio" ? "meshwasm" : (m.prefix ?? "meshwasm");
  return {
    requests: `${base}_requests_total`,
    duration: `${base}_request_duration_milliseconds`,
    requestBytes: `${base}_request_bytes`,
    responseBytes: `${base}_response_bytes`,
    traces: `${self}_trace_context_total`,
    accessLog: `${self}_access_log_total`,
    dropped: `${self}_label_values_dropped`,
  };
}

/** stats_tags for every label the filter can write under `config`. */
export function telemetryStatsTags(config: object): StatsTag[] {
  const m = metricsOf(config);
  const names =
    m.naming === "istio"
      ? ["response_code", "request_method", "route_name", "upstream_cluster"]
      : [m.code === "class" ? "code_class" : "code", "method", "route", "cluster"];
  return labelStatsTags([...names, ...Object.keys(m.static_labels ?? {}), "result"]);
}

/** stats_config.histogram_bucket_settings for the three histograms under `config`. */
export function telemetryBuckets(config: object) {
  const m = metricsOf(config);
  const f = telemetryFamilies(config);
  return histogramBucketSettings([
    { name: f.duration, buckets: m.buckets?.duration_ms ?? DEFAULT_DURATION_BUCKETS },
    { name: f.requestBytes, buckets: m.buckets?.request_bytes ?? DEFAULT_SIZE_BUCKETS },
    { name: f.responseBytes, buckets: m.buckets?.response_bytes ?? DEFAULT_SIZE_BUCKETS },
  ]);
}

/** The whole stats_config block for a bootstrap. */
export function telemetryStatsConfig(config: object) {
  return {
    stats_tags: telemetryStatsTags(config).map((t) => ({ tag_name: t.tagName, regex: t.regex })),
    histogram_bucket_settings: telemetryBuckets(config),
  };
}

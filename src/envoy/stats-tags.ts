/**
 * The bootstrap side of the SDK's labelled metrics (`Labels`, `CounterFamily`, ... in
 * assembly/): a module encodes label values into metric names as `;<label>=<value>`, and
 * Envoy's `stats_config.stats_tags` cut them back out into Prometheus labels. These helpers
 * write that part of a bootstrap for a list of label names, and the histogram bucket
 * settings for labelled histograms.
 *
 * @example
 * const bootstrap = buildBootstrap({ ..., statsTags: labelStatsTags(["code", "method"]) });
 * // meshwasm_requests_total;code=200;method=GET  ->  meshwasm_requests_total{code="200",method="GET"}
 */
import type { StatsTag } from "../plugin.ts";

/** Label names the SDK reserves for its dropped-values counter; always extracted. */
export const DROPPED_VALUE_LABELS: readonly string[] = ["label", "reason"];

/** The regex that extracts `name` (the SDK's `statsTagRegex`): `(;name=([^;]*))`. */
export function labelStatsTagRegex(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || name.startsWith("__")) {
    throw new Error(`label name ${JSON.stringify(name)} is not a Prometheus label name`);
  }
  return `(;${name}=([^;]*))`;
}

/** One `stats_tags` entry per label name (duplicates dropped), plus the dropped-values
 *  counter's `label` and `reason`. */
export function labelStatsTags(names: readonly string[]): StatsTag[] {
  const all = [...new Set([...names, ...DROPPED_VALUE_LABELS])];
  return all.map((name) => ({ tagName: name, regex: labelStatsTagRegex(name) }));
}

/** A metric name as the SDK encodes it: `encodeLabelledName("rq", [["code","200"]])` is
 *  `rq;code=200` (values outside `A-Z a-z 0-9 _ . : / + -` become `_`, cut to 64). */
export function encodeLabelledName(base: string, labels: ReadonlyArray<[string, string]>): string {
  let name = base;
  for (const [key, value] of labels) {
    name += `;${key}=${value.slice(0, 64).replace(/[^A-Za-z0-9_.:/+-]/g, "_")}`;
  }
  return name;
}

/** `stats_config.histogram_bucket_settings` entries giving each metric family (by its base
 *  name, which every labelled name starts with) its own bucket bounds. Envoy matches the
 *  full stat name, under the `wasmcustom.` namespace of Wasm metrics. */
export function histogramBucketSettings(
  families: ReadonlyArray<{ name: string; buckets: readonly number[] }>,
): Array<{ match: { prefix: string }; buckets: number[] }> {
  return families.map(({ name, buckets }) => {
    const sorted = [...buckets].sort((a, b) => a - b);
    if (sorted.length === 0 || sorted.some((b, i) => !(b > 0) || (i > 0 && b === sorted[i - 1]))) {
      throw new Error(`buckets of ${name} must be distinct numbers above 0`);
    }
    return { match: { prefix: `wasmcustom.${name};` }, buckets: sorted };
  });
}

// Metrics as Envoy keeps them for Wasm plugins: one store per Envoy process, shared by every VM
// and worker, names under the `wasmcustom.` namespace, ids that carry the metric type in their
// low two bits, and a Prometheus rendering that strips the namespace and turns stats_tags
// matches into labels.

import type { StatsTag } from "../plugin.ts";

export type MetricKind = "counter" | "gauge" | "histogram";

const KINDS: readonly MetricKind[] = ["counter", "gauge", "histogram"];
/** Envoy's custom stat namespace for Wasm metrics. */
export const CUSTOM_NAMESPACE = "wasmcustom";

export interface Metric {
  readonly name: string;
  readonly kind: MetricKind;
  /** Counter or gauge value. */
  value: bigint;
  /** Histogram samples. */
  samples: bigint[];
}

export type { StatsTag } from "../plugin.ts";

/**
 * Envoy's default tag extractors (use_all_default_tags) that can match a Wasm stat: a Wasm
 * stat's name starts with `wasmcustom.`, and every other default regex is anchored to another
 * prefix (`cluster.`, `http.`, `listener.`, `vhost.`, ...), so only the response-code ones
 * apply: `probe_rq_200` is `probe_rq{envoy_response_code="200"}` in /stats/prometheus.
 */
export const DEFAULT_STATS_TAGS: readonly StatsTag[] = [
  { tagName: "envoy.response_code", regex: "_rq(_(\\d{3}))$" },
  { tagName: "envoy.response_code_class", regex: "_rq(_(\\dxx))$" },
];

/** Envoy's default histogram bucket bounds. */
const BUCKETS = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000,
  1800000, 3600000,
];

export class MetricStore {
  private readonly byName = new Map<string, Metric>();

  /** Defines (or finds) `name` of `kind`, as proxy_define_metric does. */
  define(kind: MetricKind, name: string): Metric {
    const key = `${kind}:${name}`;
    let metric = this.byName.get(key);
    if (!metric) {
      metric = { name, kind, value: 0n, samples: [] };
      this.byName.set(key, metric);
    }
    return metric;
  }

  find(name: string, kind?: MetricKind): Metric | undefined {
    for (const k of kind ? [kind] : KINDS) {
      const m = this.byName.get(`${k}:${name}`);
      if (m) return m;
    }
    return undefined;
  }

  all(): Metric[] {
    return [...this.byName.values()];
  }

  /** The `/stats/prometheus` lines Envoy would print for these metrics: the bootstrap's
   *  stats_tags first, then Envoy's default tags. */
  // Stryker disable next-line ArrayDeclaration: equivalent, a default tag that is a string has no regex: its pattern matches no capture and names no label
  prometheus(tags: readonly StatsTag[] = []): string {
    const families = new Map<string, { kind: MetricKind; lines: string[] }>();
    const all = [...tags, ...DEFAULT_STATS_TAGS];
    for (const metric of this.all()) {
      const { name, labels } = extractTags(`${CUSTOM_NAMESPACE}.${metric.name}`, all);
      const family = sanitize(name.slice(CUSTOM_NAMESPACE.length + 1));
      const entry = families.get(family) ?? { kind: metric.kind, lines: [] };
      families.set(family, entry);
      const labelText = labels.map(([k, v]) => `${sanitize(k)}="${v}"`).join(",");
      if (metric.kind === "histogram") {
        let cumulative = 0;
        for (const bound of BUCKETS) {
          cumulative = metric.samples.filter((s) => Number(s) <= bound).length;
          const le = labelText ? `${labelText},le="${bound}"` : `le="${bound}"`;
          entry.lines.push(`${family}_bucket{${le}} ${cumulative}`);
        }
        const inf = labelText ? `${labelText},le="+Inf"` : `le="+Inf"`;
        entry.lines.push(`${family}_bucket{${inf}} ${metric.samples.length}`);
        const sum = metric.samples.reduce((a, b) => a + b, 0n);
        entry.lines.push(`${family}_sum{${labelText}} ${sum}`);
        entry.lines.push(`${family}_count{${labelText}} ${metric.samples.length}`);
      } else {
        entry.lines.push(`${family}{${labelText}} ${metric.value}`);
      }
    }
    let out = "";
    for (const [family, { kind, lines }] of [...families].sort(([a], [b]) => a.localeCompare(b))) {
      out += `# TYPE ${family} ${kind}\n${lines.join("\n")}\n`;
    }
    return out;
  }
}

/** Envoy's tag extraction: each matching stats_tags regex cuts group 1 and yields group 2. */
export function extractTags(
  fullName: string,
  tags: readonly StatsTag[],
): { name: string; labels: Array<[string, string]> } {
  let name = fullName;
  const labels: Array<[string, string]> = [];
  for (const tag of tags) {
    const match = new RegExp(tag.regex).exec(name);
    if (!match || match[1] === undefined || match[2] === undefined) continue;
    const at = name.indexOf(match[1], match.index);
    name = name.slice(0, at) + name.slice(at + match[1].length);
    labels.push([tag.tagName, match[2]]);
  }
  return { name, labels };
}

function sanitize(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, "_");
}

/** Metric ids as Envoy hands them out: a per-VM sequence with the type in the low bits. */
export class MetricIds {
  private readonly next: number[] = [];
  private readonly byId = new Map<number, Metric>();

  constructor(private readonly store: MetricStore) {}

  define(kindIndex: number, name: string): number {
    const kind = KINDS[kindIndex] as MetricKind;
    const seq = (this.next[kindIndex] ?? 0) + 1;
    this.next[kindIndex] = seq;
    const id = (seq << 2) | kindIndex;
    this.byId.set(id, this.store.define(kind, name));
    return id;
  }

  get(id: number): Metric | undefined {
    return this.byId.get(id);
  }
}

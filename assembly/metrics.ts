// Labelled metric families: a counter, gauge or histogram defined once over a `Labels` set,
// one Envoy metric per tuple of label values, each defined with the host on first use and
// then found by a number (no allocation per request).
//
//   const labels = new Labels(["code", "method"], "shop_label_values_dropped");
//   const requests = new CounterFamily("shop_requests_total", labels);
//   const latency = new HistogramFamily("shop_request_duration_milliseconds", labels);
//   // per request (any callback after start, e.g. onLog)
//   labels.setNumber(0, status).set(1, method);
//   requests.increment();
//   latency.record(elapsedMs);
//
// Envoy needs one bootstrap `stats_tags` entry per label name (`labels.statsTags()`, or
// `labelStatsTags` in meshwasm/envoy) to show the values as Prometheus labels; without them
// the values stay in the name (`shop_requests_total_code_200_method_GET`).

import { Counter, Gauge, Histogram, Metric } from "./host/metrics";
import { DropListener, Dropped, Labels } from "./labels";

/** The dropped-values counter: `<droppedMetric>;label=<name>;reason=not_allowed|over_limit`. */
class DroppedValues extends DropListener {
  private readonly counters: Map<i32, Counter> = new Map();

  dropped(labels: Labels, index: i32, reason: Dropped): void {
    const key = index * 2 + <i32>reason;
    if (!this.counters.has(key)) {
      const why = reason == Dropped.NotAllowed ? "not_allowed" : "over_limit";
      const name =
        labels.droppedMetric + labels.constantPart + ";label=" + labels.nameOf(index) + ";reason=" + why;
      this.counters.set(key, new Counter(name));
    }
    this.counters.get(key).increment();
  }
}

/** What the three kinds share: the tuple-to-metric cache. */
export abstract class MetricFamily<M extends Metric> {
  private readonly byKey: Map<u64, M> = new Map();

  /** A family named `name` over `labels`; the first family of a set also counts its dropped
   *  values. Construct it where the labels are configured (onConfigure) or at top level. */
  constructor(
    public readonly name: string,
    public readonly labels: Labels,
  ) {
    if (labels.listener === null) labels.listener = new DroppedValues();
  }

  /** How many series (tuples of values) this family has defined so far. */
  get series(): i32 {
    return this.byKey.size;
  }

  /** The metric of the values last set on the labels, defined on first use. */
  current(): M {
    const key = this.labels.key();
    if (this.byKey.has(key)) return this.byKey.get(key);
    const metric = this.create(this.labels.encode(this.name));
    this.byKey.set(key, metric);
    return metric;
  }

  protected abstract create(name: string): M;
}

/** A counter per tuple of label values. Example: `labels.set(0, "GET"); requests.increment()` */
export class CounterFamily extends MetricFamily<Counter> {
  /** Adds `delta` (default 1) to the series of the current label values. */
  increment(delta: i64 = 1): void {
    this.current().increment(delta);
  }
  protected create(name: string): Counter {
    return new Counter(name);
  }
}

/** A gauge per tuple of label values. Example: `inflight.add(1)` … `inflight.add(-1)` */
export class GaugeFamily extends MetricFamily<Gauge> {
  /** Sets the series of the current label values. */
  set(value: u64): void {
    this.current().set(value);
  }
  /** Adds `delta`, which may be negative. */
  add(delta: i64): void {
    this.current().add(delta);
  }
  protected create(name: string): Gauge {
    return new Gauge(name);
  }
}

/** A histogram per tuple of label values; Envoy keeps the buckets (its bootstrap's
 *  `histogram_bucket_settings` choose them). Example: `latency.record(elapsedMs)` */
export class HistogramFamily extends MetricFamily<Histogram> {
  /** Records one sample in the series of the current label values. */
  record(value: u64): void {
    this.current().record(value);
  }
  protected create(name: string): Histogram {
    return new Histogram(name);
  }
}

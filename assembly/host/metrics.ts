// Metrics: counters, gauges and histograms, defined once and recorded without allocation.
//
// A metric is defined with the host on first use (or by `define()`), because host calls
// are not allowed while the module starts; so a metric may be a top-level constant.
// Envoy publishes filter metrics under the `wasmcustom.` namespace, which /stats and
// /stats/prometheus strip: `new Counter("hello_requests")` shows up as `hello_requests`.

import {
  proxy_define_metric,
  proxy_get_metric,
  proxy_increment_metric,
  proxy_record_metric,
} from "../abi/imports";
import { MetricType, Status } from "../abi/types";
import { OUT_EXTRA, OUT_U64, ptrOf } from "../internal/memory";
import { panic } from "../internal/panic";

/** Builds a metric name carrying tags for Envoy's stats_tags extraction:
 *  `taggedName("requests", ["method", "GET"])` is "requests_method=GET"; pair it with a
 *  bootstrap stats tag `{tag_name: method, regex: "(_method=([^_.]+))"}`. */
export function taggedName(base: string, keyValues: string[]): string {
  let name = base;
  for (let i = 0; i + 1 < keyValues.length; i += 2) {
    name += "_" + unchecked(keyValues[i]) + "=" + unchecked(keyValues[i + 1]);
  }
  return name;
}

/** Shared machinery of the three metric kinds. */
export abstract class Metric {
  private id: u32 = 0;
  private defined: bool = false;

  constructor(public readonly name: string, private readonly metricType: MetricType) {}

  /** Defines the metric with the host now. Legal from onVmStart on (not at top level). */
  define(): u32 {
    if (!this.defined) {
      const bytes = String.UTF8.encode(this.name);
      store<u32>(OUT_EXTRA, 0);
      const status = proxy_define_metric(this.metricType, ptrOf(bytes), bytes.byteLength, OUT_EXTRA);
      if (status != Status.Ok) {
        panic("proxy_define_metric failed for metric \"" + this.name + "\" with status " + status.toString());
      }
      this.id = load<u32>(OUT_EXTRA);
      this.defined = true;
    }
    return this.id;
  }

  /** The current value as the host holds it (summed over workers for counters). */
  value(): u64 {
    store<u64>(OUT_U64, 0);
    proxy_get_metric(this.define(), OUT_U64);
    return load<u64>(OUT_U64);
  }
}

/** A monotonically increasing count. Example: `requests.increment()` */
export class Counter extends Metric {
  constructor(name: string) {
    super(name, MetricType.Counter);
  }
  /** Adds `delta` (default 1). */
  increment(delta: i64 = 1): void {
    proxy_increment_metric(this.define(), delta);
  }
}

/** A value that goes up and down. Example: `inflight.add(1)` … `inflight.add(-1)` */
export class Gauge extends Metric {
  constructor(name: string) {
    super(name, MetricType.Gauge);
  }
  /** Sets the value. */
  set(value: u64): void {
    proxy_record_metric(this.define(), value);
  }
  /** Adds `delta`, which may be negative. */
  add(delta: i64): void {
    proxy_increment_metric(this.define(), delta);
  }
}

/** A distribution of recorded values (Envoy computes quantiles and buckets).
 *  Example: `latencyMs.record(elapsed)` */
export class Histogram extends Metric {
  constructor(name: string) {
    super(name, MetricType.Histogram);
  }
  /** Records one sample. */
  record(value: u64): void {
    proxy_record_metric(this.define(), value);
  }
}

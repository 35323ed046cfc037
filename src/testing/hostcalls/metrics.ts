// Metrics: proxy_define_metric, proxy_increment_metric, proxy_record_metric, proxy_get_metric.
// Ids carry the metric type in their low two bits, as Envoy hands them out.

import { MetricType, Status } from "../status.ts";
import type { HostCallScope, HostCalls } from "./scope.ts";

export function metricCalls({ vm }: HostCallScope): HostCalls {
  const ids = vm.metricIds;
  return {
    proxy_define_metric: (type: number, np: number, ns: number, idPtr: number) => {
      if (type > MetricType.Histogram) return Status.BadArgument;
      const name = vm.readString(np, ns);
      if (name === null) return Status.InvalidMemoryAccess;
      const id = ids.define(type, name);
      return vm.setU32(idPtr, id) ? Status.Ok : Status.InvalidMemoryAccess;
    },
    proxy_increment_metric: (id: number, offset: bigint) => {
      const type = id & 3;
      const metric = ids.get(id);
      if (type === MetricType.Histogram) return Status.BadArgument;
      if (!metric) return Status.NotFound;
      if (type === MetricType.Counter) {
        if (offset <= 0n) return Status.BadArgument;
        metric.value += offset;
      } else {
        // A gauge is a uint64 in Envoy: taken below zero it wraps to 2^64 - n.
        metric.value = BigInt.asUintN(64, metric.value + offset);
      }
      return Status.Ok;
    },
    proxy_record_metric: (id: number, value: bigint) => {
      const metric = ids.get(id);
      if (!metric) return Status.NotFound;
      const v = BigInt.asUintN(64, value);
      if (metric.kind === "counter") metric.value += v;
      else if (metric.kind === "gauge") metric.value = v;
      else metric.samples.push(v);
      return Status.Ok;
    },
    proxy_get_metric: (id: number, ptr: number) => {
      const type = id & 3;
      if (type === MetricType.Histogram) return Status.BadArgument;
      const metric = ids.get(id);
      if (!metric) return Status.NotFound;
      return vm.setU64(ptr, metric.value) ? Status.Ok : Status.InvalidMemoryAccess;
    },
  };
}

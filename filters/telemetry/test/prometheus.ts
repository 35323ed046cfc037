// The real Prometheus the telemetry tests query lives with the demo, which uses it too.
export {
  ensurePrometheus,
  type PrometheusProcess,
  startPrometheus,
  type VectorSample,
} from "../../../src/demo/prometheus.ts";

// Labelled metric families over the SDK: a counter and a histogram sharing one label set
// (code, method, path), with an allow-list on method, a limit on path and a constant label,
// all read from the configuration so tests can vary the guards:
//   {"methods": ["GET", "POST"], "pathLimit": 2, "service": "shop"}
// Per request (in onLog): code from the response status, method and path from the request;
// the histogram records the x-size request header as a number, and two gauges take it too
// (lm_last_size is set to it, lm_size_sum adds it and then takes back 1). At debug level
// each request logs how many series the request counter has defined.

import {
  CounterFamily,
  GaugeFamily,
  HistogramFamily,
  HttpContext,
  Labels,
  RootContext,
  log,
  properties,
  readConfig,
  registerRootContext,
} from "../../../../assembly";

export * from "../../../../assembly/exports";

class MetricsRoot extends RootContext {
  labels: Labels = new Labels([], "unused");
  requests: CounterFamily | null = null;
  sizes: HistogramFamily | null = null;
  lastSize: GaugeFamily | null = null;
  sizeSum: GaugeFamily | null = null;

  onConfigure(configurationSize: u32): bool {
    const config = readConfig(this.pluginConfiguration());
    const methods = config.stringArray("methods", []);
    const pathLimit = <i32>config.integer("pathLimit", 100, 1, 10000);
    const service = config.string("service", "");
    const names = config.stringArray("labels", ["code", "method", "path"]);
    config.unknownKeys(["methods", "pathLimit", "service", "labels"]);
    if (!config.ok) {
      log.error(config.firstError);
      return false;
    }
    const labels = new Labels(names, "lm_label_values_dropped");
    if (methods.length > 0) labels.allow("method", methods);
    labels.limit("path", pathLimit);
    if (service.length > 0) labels.constant("service", service);
    if (labels.problem !== null) {
      log.error("invalid labels: " + labels.problem!);
      return false;
    }
    this.labels = labels;
    this.requests = new CounterFamily("lm_requests_total", labels);
    this.sizes = new HistogramFamily("lm_request_size", labels);
    this.lastSize = new GaugeFamily("lm_last_size", labels);
    this.sizeSum = new GaugeFamily("lm_size_sum", labels);
    return true;
  }

  createHttpContext(contextId: u32): HttpContext | null {
    return new Recorder(contextId, this);
  }
}

class Recorder extends HttpContext {
  onLog(): void {
    const root = this.root as MetricsRoot;
    const labels = root.labels;
    const method = properties.requestMethod();
    const path = properties.requestPath();
    labels.setNumber(0, properties.responseCode());
    labels.set(1, method === null ? "" : method);
    labels.set(2, path === null ? "" : path);
    root.requests!.increment();
    const size = this.request.headers.get("x-size");
    const value = size === null ? 0 : I64.parseInt(size);
    root.sizes!.record(<u64>value);
    root.lastSize!.set(<u64>value);
    root.sizeSum!.add(value);
    root.sizeSum!.add(-1);
    log.debug("series " + root.requests!.series.toString());
  }
}

registerRootContext((id: u32): RootContext => new MetricsRoot(id), "labelled-metrics");

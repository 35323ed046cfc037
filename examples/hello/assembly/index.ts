// hello: adds a response header named by its configuration, logs each request at debug,
// and counts requests in a custom metric.
//
// Configuration (JSON): {"header": "x-hello", "value": "world"}; both fields are optional.

import {
  Action,
  Counter,
  HttpContext,
  RootContext,
  log,
  properties,
  registerRootContext,
} from "../../../assembly";
import { readConfig } from "../../../assembly/config";

export * from "../../../assembly/exports";

/** Counted once per request; Prometheus shows it as `hello_requests`. */
const requests = new Counter("hello_requests");

class HelloRoot extends RootContext {
  header: string = "x-hello";
  value: string = "world";

  onConfigure(configurationSize: u32): bool {
    const config = readConfig(this.pluginConfiguration());
    const header = config.string("header", "x-hello");
    const value = config.string("value", "world");
    config.unknownKeys(["header", "value"]);
    if (config.ok && header.length == 0) config.fail("header", "must not be empty");
    if (!config.ok) {
      log.error(config.firstError);
      return false;
    }
    this.header = header.toLowerCase();
    this.value = value;
    log.info("hello configured: {}: {}", this.header, this.value);
    return true;
  }

  createHttpContext(contextId: u32): HttpContext | null {
    return new Hello(contextId, this);
  }
}

class Hello extends HttpContext {
  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    requests.increment();
    const path = properties.requestPath();
    log.debug("hello: request for {}", path === null ? "?" : path);
    return Action.Continue;
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    const root = this.root as HelloRoot;
    this.response.headers.set(root.header, root.value);
    return Action.Continue;
  }
}

registerRootContext((id: u32): RootContext => new HelloRoot(id), "hello");

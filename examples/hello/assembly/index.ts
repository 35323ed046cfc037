// hello: adds a response header named by its configuration, logs each request at debug,
// and counts requests in a custom metric.
//
// Configuration (JSON): {"header": "x-hello", "value": "world"}; both fields are optional.
// The header must be a token that is not protected (content-length, host, a pseudo-header);
// neither may hold CR, LF or NUL.

import {
  Action,
  Counter,
  HttpContext,
  RootContext,
  log,
  properties,
  readConfig,
  registerRootContext,
} from "../../../assembly";

export * from "../../../assembly/exports";

/** Counted once per request; Prometheus shows it as `hello_requests`. */
const requests = new Counter("hello_requests");

class HelloRoot extends RootContext {
  header: string = "x-hello";
  value: string = "world";

  onConfigure(configurationSize: u32): bool {
    const config = readConfig(this.pluginConfiguration());
    // headerName/headerValue refuse what the header setter would refuse per request
    // (CR, LF, NUL, non-token names, content-length, host, pseudo-headers): fail at start.
    const header = config.headerName("header", "x-hello");
    const value = config.headerValue("value", "world");
    config.unknownKeys(["header", "value"]);
    if (!config.ok) {
      log.error(config.firstError);
      return false;
    }
    this.header = header;
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

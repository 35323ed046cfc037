// header1 with @solo-io/proxy-runtime: one request header added per request.
export * from "@solo-io/proxy-runtime/proxy";
import {
  Context,
  FilterHeadersStatusValues,
  RootContext,
  registerRootContext,
  stream_context,
} from "@solo-io/proxy-runtime";

class Header1Root extends RootContext {
  // The SDK's own onConfigure passes the configuration size where the host expects a
  // pointer and traps with an empty configuration; these modules take none.
  onConfigure(configuration_size: u32): bool {
    return true;
  }
  createContext(context_id: u32): Context {
    return new Header1(context_id, this);
  }
}

class Header1 extends Context {
  constructor(context_id: u32, root_context: Header1Root) {
    super(context_id, root_context);
  }
  onRequestHeaders(a: u32, end_of_stream: bool): FilterHeadersStatusValues {
    stream_context.headers.request.add("x-bench-one", "1");
    return FilterHeadersStatusValues.Continue;
  }
}

registerRootContext((context_id: u32): RootContext => new Header1Root(context_id), "header1");

// headers20 with @solo-io/proxy-runtime: read 20 request headers, add 20, remove the 20 read.
export * from "@solo-io/proxy-runtime/proxy";
import {
  Context,
  FilterHeadersStatusValues,
  RootContext,
  registerRootContext,
  stream_context,
} from "@solo-io/proxy-runtime";

const COUNT = 20;
const inNames = new Array<string>(COUNT);
const outNames = new Array<string>(COUNT);
const outValues = new Array<string>(COUNT);
for (let i = 0; i < COUNT; i++) {
  inNames[i] = "x-bench-in-" + i.toString();
  outNames[i] = "x-bench-out-" + i.toString();
  outValues[i] = "value-" + i.toString();
}

class Headers20Root extends RootContext {
  // The SDK's own onConfigure passes the configuration size where the host expects a
  // pointer and traps with an empty configuration; these modules take none.
  onConfigure(configuration_size: u32): bool {
    return true;
  }
  createContext(context_id: u32): Context {
    return new Headers20(context_id, this);
  }
}

class Headers20 extends Context {
  constructor(context_id: u32, root_context: Headers20Root) {
    super(context_id, root_context);
  }
  onRequestHeaders(a: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const headers = stream_context.headers.request;
    let seen = 0;
    for (let i = 0; i < COUNT; i++) {
      if (headers.get(inNames[i]).length > 0) seen++;
    }
    for (let i = 0; i < COUNT; i++) headers.add(outNames[i], outValues[i]);
    for (let i = 0; i < COUNT; i++) headers.remove(inNames[i]);
    return FilterHeadersStatusValues.Continue;
  }
}

registerRootContext((context_id: u32): RootContext => new Headers20Root(context_id), "headers20");

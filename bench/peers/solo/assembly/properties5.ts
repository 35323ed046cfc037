// properties5 with @solo-io/proxy-runtime: five Envoy attributes read per request. Its
// get_property takes the path as one string with NUL-separated segments.
export * from "@solo-io/proxy-runtime/proxy";
import {
  Context,
  FilterHeadersStatusValues,
  RootContext,
  registerRootContext,
} from "@solo-io/proxy-runtime";
import { get_property } from "@solo-io/proxy-runtime/runtime";

const PATHS: string[] = [
  "request\0path",
  "request\0method",
  "request\0host",
  "request\0protocol",
  "source\0address",
];

class Properties5Root extends RootContext {
  // The SDK's own onConfigure passes the configuration size where the host expects a
  // pointer and traps with an empty configuration; these modules take none.
  onConfigure(configuration_size: u32): bool {
    return true;
  }
  createContext(context_id: u32): Context {
    return new Properties5(context_id, this);
  }
}

class Properties5 extends Context {
  constructor(context_id: u32, root_context: Properties5Root) {
    super(context_id, root_context);
  }
  onRequestHeaders(a: u32, end_of_stream: bool): FilterHeadersStatusValues {
    let bytes = 0;
    for (let i = 0; i < PATHS.length; i++) bytes += get_property(PATHS[i]).byteLength;
    return FilterHeadersStatusValues.Continue;
  }
}

registerRootContext((context_id: u32): RootContext => new Properties5Root(context_id), "properties5");

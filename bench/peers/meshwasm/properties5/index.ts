// Bench module "properties5": five Envoy attributes read on every request
// (request.path, request.method, request.host, request.protocol, source.address).

import {
  Action,
  CallbackNeeds,
  HttpContext,
  PropertyPath,
  RootContext,
  StreamCallbacks,
  getProperty,
  registerRootContext,
} from "../../../../assembly";

export * from "../../../../assembly/exports";

// Encoded once, as the SDK recommends for paths read on every request.
const PATHS: PropertyPath[] = [
  new PropertyPath(["request", "path"]),
  new PropertyPath(["request", "method"]),
  new PropertyPath(["request", "host"]),
  new PropertyPath(["request", "protocol"]),
  new PropertyPath(["source", "address"]),
];

class Properties5 extends HttpContext {
  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    let bytes = 0;
    for (let i = 0; i < PATHS.length; i++) {
      const value = getProperty(unchecked(PATHS[i]));
      if (value !== null) bytes += value.byteLength;
    }
    return bytes > 0 ? Action.Continue : Action.Continue;
  }
}

class Properties5Root extends RootContext {
  // Each request is done in its headers and nothing stays in its context: a build for the
  // configuration (`meshwasm build --for-config`) leaves out proxy_on_delete too.
  neededCallbacks(needs: CallbackNeeds): void {
    needs.noStreamState();
    needs.need(StreamCallbacks.RequestHeaders, "every request");
  }

  createHttpContext(contextId: u32): HttpContext | null {
    return new Properties5(contextId, this);
  }
}

registerRootContext((id: u32): RootContext => new Properties5Root(id), "properties5");

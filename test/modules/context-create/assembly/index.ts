// Contexts that act while the host creates them. Built with every export kept, so the host
// announces each context (proxy_on_context_create) and the constructors below run inside that
// callback. Envoy runs it with the new context current, a stream's as well as a root's, as it
// runs every callback of that context: a read that names no context (a property) sees the new
// context, and a call through another context's handle makes that one effective first.
//
// A stream logs, at its creation and again in onRequestHeaders, "<when>: <request.path or
// none>; <first> <after the root's call> <after its own call>", each of the last three
// "stream" when source.address (a stream has one, a root none) was readable then, else "none".

import {
  Action,
  HttpContext,
  PropertyPath,
  RootContext,
  getProperty,
  getPropertyString,
  log,
  registerRootContext,
} from "../../../../assembly";

export * from "../../../../assembly/exports";

const SOURCE_ADDRESS = PropertyPath.of("source.address");
const REQUEST_PATH = PropertyPath.of("request.path");

function seen(): string {
  return getProperty(SOURCE_ADDRESS) !== null ? "stream" : "none";
}

/** What the current context sees: as it is, after the root's handle acted, and after the
 *  stream's own handle acted. */
function probe(root: RootContext, stream: HttpContext): string {
  const path = getPropertyString(REQUEST_PATH);
  const first = seen();
  root.vmConfiguration();
  const afterRoot = seen();
  stream.request;
  return (path === null ? "none" : path) + "; " + first + " " + afterRoot + " " + seen();
}

class CreateRoot extends RootContext {
  constructor(contextId: u32) {
    super(contextId);
    // Through its own handle while the host creates it: the root is current, no host call
    // needed to make it so.
    this.vmConfiguration();
  }

  createHttpContext(contextId: u32): HttpContext | null {
    return new CreateStream(contextId, this);
  }
}

class CreateStream extends HttpContext {
  constructor(contextId: u32, root: RootContext) {
    super(contextId, root);
    log.info("created: " + probe(root, this));
  }

  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    log.info("headers: " + probe(this.root, this));
    return Action.Continue;
  }
}

registerRootContext((id: u32): RootContext => new CreateRoot(id));

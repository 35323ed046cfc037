// Top-level code that logs while the VM starts, before any context: proxy_log is allowed then,
// proxy_get_log_level is not (Envoy fails the start for it), so the line must go out without
// asking the host's level. The root's callbacks ask it again.

import { RootContext, log, registerRootContext } from "../../../../assembly";

export * from "../../../../assembly/exports";

log.info("start-log: logged at top level");

class StartLogRoot extends RootContext {
  onConfigure(configurationSize: u32): bool {
    log.warn("start-log: level in onConfigure " + (<i32>log.level()).toString());
    return true;
  }
}

registerRootContext((id: u32): RootContext => new StartLogRoot(id));

// Top-level code that logs while the VM starts, before any context: proxy_log is allowed then,
// proxy_get_log_level is not (Envoy fails the start for it), so the line must go out without
// asking the host's level.

import { RootContext, log, registerRootContext } from "../../../../assembly";

export * from "../../../../assembly/exports";

log.info("start-log: logged at top level");

registerRootContext((id: u32): RootContext => new RootContext(id));

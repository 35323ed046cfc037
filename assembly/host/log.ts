// Logging through the host at Envoy's levels, without building strings when a level is off.
//
// Messages take up to three `{}` placeholders filled from string arguments, so a call like
// `log.debug("route {} chose {}", route, cluster)` allocates nothing when debug is off.

import { proxy_get_log_level, proxy_log } from "../abi/imports";
import { LogLevel } from "../abi/types";
import { OUT_EXTRA } from "../internal/memory";

// Trace until the first context: the module's top-level statements run inside the host's
// start call, where proxy_get_log_level is forbidden (Envoy fails the VM for it) and proxy_log
// is not, so their lines all go out (Envoy filters by level again anyway). -1: ask the host.
let cachedLevel: i32 = <i32>LogLevel.Trace;

/** Forgets the cached host log level; the dispatcher calls this once per new context, so a
 *  level changed through Envoy's /logging endpoint takes effect from the next request on. */
export function refreshLogLevel(): void {
  cachedLevel = -1;
}

/** The host's current log level for this plugin (log.level() is the public form). */
export function getLogLevel(): LogLevel {
  if (cachedLevel < 0) {
    store<u32>(OUT_EXTRA, 0);
    // A host that refuses the call: Trace, so nothing is lost.
    cachedLevel = proxy_get_log_level(OUT_EXTRA) == 0 ? <i32>load<u32>(OUT_EXTRA) : <i32>LogLevel.Trace;
  }
  return <LogLevel>cachedLevel;
}


function fill(message: string, a: string | null, b: string | null, c: string | null): string {
  if (a === null) return message;
  let out = "";
  let from = 0;
  let arg = 0;
  while (true) {
    const at = message.indexOf("{}", from);
    if (at < 0 || arg > 2) break;
    const value = arg == 0 ? a : arg == 1 ? b : c;
    if (value === null) break;
    out += message.substring(from, at) + value;
    from = at + 2;
    arg++;
  }
  return out + message.substring(from);
}

/** Writes `message` at `level`, filling `{}` placeholders (log.at is the public form). */
export function logAt(
  level: LogLevel,
  message: string,
  a: string | null = null,
  b: string | null = null,
  c: string | null = null,
): void {
  if (<i32>level < <i32>getLogLevel()) return;
  const bytes = String.UTF8.encode(fill(message, a, b, c));
  proxy_log(<u32>level, changetype<usize>(bytes), bytes.byteLength);
}

/** Leveled logging. Legal in every callback, including onVmStart and onConfigure, and in top-level code.
 *  Example: `log.info("configured {} routes", routes.length.toString())`. */
export namespace log {
  /** Writes at a level chosen at run time: `log.at(level, "...")`. */
  export function at(level: LogLevel, m: string, a: string | null = null, b: string | null = null, c: string | null = null): void {
    logAt(level, m, a, b, c);
  }
  /** The host's current log level for this plugin. */
  export function level(): LogLevel {
    return getLogLevel();
  }
  /** Whether a message at `level` would be written. Guard expensive log arguments with it:
   *  `if (log.enabled(LogLevel.Debug)) log.debug(expensiveDump())`. */
  export function enabled(lvl: LogLevel): bool {
    return <i32>lvl >= <i32>getLogLevel();
  }
  export function trace(m: string, a: string | null = null, b: string | null = null, c: string | null = null): void {
    logAt(LogLevel.Trace, m, a, b, c);
  }
  export function debug(m: string, a: string | null = null, b: string | null = null, c: string | null = null): void {
    logAt(LogLevel.Debug, m, a, b, c);
  }
  export function info(m: string, a: string | null = null, b: string | null = null, c: string | null = null): void {
    logAt(LogLevel.Info, m, a, b, c);
  }
  export function warn(m: string, a: string | null = null, b: string | null = null, c: string | null = null): void {
    logAt(LogLevel.Warn, m, a, b, c);
  }
  export function error(m: string, a: string | null = null, b: string | null = null, c: string | null = null): void {
    logAt(LogLevel.Error, m, a, b, c);
  }
  export function critical(m: string, a: string | null = null, b: string | null = null, c: string | null = null): void {
    logAt(LogLevel.Critical, m, a, b, c);
  }
}

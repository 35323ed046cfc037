// What a root's configuration needs of the per-stream callbacks (see callbacks.ts), checked
// at every configure against what the build left out.

import { CallbackNeeds, STREAM_CALLBACK_COUNT, STREAM_CALLBACK_EXPORTS, StreamCallbacks } from "../callbacks";
import { RootContext } from "../context";
import { log } from "../host/log";

/**
 * The callbacks this module was built without because the configuration it was built for
 * did not need them: `meshwasm build --for-config` compiles with
 * `--use MESHWASM_PRUNED_CALLBACKS=<bits>` and its compiler transform removes those exports.
 * 0 in every other build.
 */
// @ts-ignore: defined by the compiler's --use, or not at all
export const PRUNED_CALLBACKS: u32 = isDefined(MESHWASM_PRUNED_CALLBACKS) ? <u32>MESHWASM_PRUNED_CALLBACKS : 0;

/** Each configured root's needs, by root context id (the build asks for them). */
const needed = new Map<u32, u32>();

/**
 * Whether a stream's context ends at its proxy_on_log: set when the module was built without
 * proxy_on_delete and a configured root needs the log (see withoutDeleteAtLog). The exports
 * are the module's, so every stream of every root then gets its log; the dispatcher forgets a
 * stream's context there rather than after each callback.
 */
export let logEndsStreams = false;

/**
 * `mask` without proxy_on_delete when it needs proxy_on_log and not proxy_on_done: Envoy logs
 * every stream of a module that exports proxy_on_log (it makes the stream's context at the log
 * when no earlier callback did) and deletes it right after, in the same step (its HTTP
 * connection manager logs a finished stream, then destroys its filters: proxy_on_done, then
 * proxy_on_delete), so the log can end the context and the delete's VM entry is saved. A
 * callout's answer after that finds its stream gone, as after a delete. proxy_on_done comes
 * after the log, so a configuration that needs it keeps the delete.
 */
function withoutDeleteAtLog(mask: u32): u32 {
  if ((mask & StreamCallbacks.Log) == 0 || (mask & StreamCallbacks.Done) != 0) return mask;
  return mask & ~StreamCallbacks.Delete;
}

/**
 * After a root's onConfigure: `accepted` as it answered, unless the configuration needs a
 * callback this module was built without; then it logs, for each, the field and value that
 * need it and the callback, and refuses the configuration.
 */
export function checkNeededCallbacks(root: RootContext, accepted: bool): bool {
  if (!accepted) return false;
  const needs = new CallbackNeeds();
  root.neededCallbacks(needs);
  const mask = withoutDeleteAtLog(needs.mask);
  needed.set(root.contextId, mask);
  const missing = mask & PRUNED_CALLBACKS;
  if (missing == 0) {
    if ((PRUNED_CALLBACKS & StreamCallbacks.Delete) != 0 && (mask & StreamCallbacks.Log) != 0) logEndsStreams = true;
    return true;
  }
  for (let bit = 0; bit < STREAM_CALLBACK_COUNT; bit++) {
    const b = <u32>1 << bit;
    if ((missing & b) == 0) continue;
    log.error("invalid configuration: " + needs.reason(b) + " needs the callback " +
      unchecked(STREAM_CALLBACK_EXPORTS[bit]) + ", which this module was built without " +
      "(meshwasm build --for-config, for a configuration that did not need it); " +
      "build the module for this configuration, or without --for-config");
  }
  return false;
}

/**
 * The per-stream callbacks (bits of StreamCallbacks) the configuration root `rootContextId`
 * accepted last needs; -1 when it accepted none. Not a proxy-wasm callback: the build calls
 * it in the test host (`meshwasm build --for-config`).
 */
export function meshwasm_needed_callbacks(rootContextId: u32): i32 {
  return needed.has(rootContextId) ? <i32>needed.get(rootContextId) : -1;
}

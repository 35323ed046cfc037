// The per-stream callbacks a build can leave out, in the bit order of the SDK's StreamCallbacks
// (assembly/callbacks.ts): bit i is the i-th of STREAM_CALLBACKS (PRUNABLE's keys, then
// proxy_on_delete). Shared by the compiler transform
// (transform/exports.mjs) and `meshwasm build --for-config` (src/build/for-config.ts), so the
// list and its order are written once on this side.

/** Each prunable export, with the context method whose override makes it needed. */
export const PRUNABLE = Object.freeze({
  proxy_on_request_headers: "onRequestHeaders",
  proxy_on_request_body: "onRequestBody",
  proxy_on_request_trailers: "onRequestTrailers",
  proxy_on_response_headers: "onResponseHeaders",
  proxy_on_response_body: "onResponseBody",
  proxy_on_response_trailers: "onResponseTrailers",
  proxy_on_log: "onLog",
  proxy_on_done: "onDone",
});

/** The exports a --for-config build may leave out, in bit order: the prunable ones, then
 *  proxy_on_delete (never left out for the program's shape: only a configuration that keeps
 *  no stream state lets it go; see CallbackNeeds.noStreamState in the SDK). */
export const STREAM_CALLBACKS = Object.freeze([...Object.keys(PRUNABLE), "proxy_on_delete"]);

/**
 * The names of the callbacks in `bits`.
 * @param {number} bits
 * @returns {string[]}
 */
export function callbackNames(bits) {
  return STREAM_CALLBACKS.filter((_, i) => (bits & (1 << i)) !== 0);
}

/**
 * The bits of the named callbacks (names that are not per-stream callbacks count for nothing).
 * @param {Iterable<string>} names
 * @returns {number}
 */
export function callbackBits(names) {
  let bits = 0;
  for (const name of names) {
    const i = STREAM_CALLBACKS.indexOf(name);
    if (i >= 0) bits |= 1 << i;
  }
  return bits;
}

// Types of transform/callbacks.mjs for the TypeScript that imports it.

/** Each prunable export, with the context method whose override makes it needed. */
export declare const PRUNABLE: Readonly<Record<string, string>>;

/** The per-stream callbacks, in the bit order of the SDK's StreamCallbacks. */
export type StreamCallback =
  | "proxy_on_request_headers"
  | "proxy_on_request_body"
  | "proxy_on_request_trailers"
  | "proxy_on_response_headers"
  | "proxy_on_response_body"
  | "proxy_on_response_trailers"
  | "proxy_on_log"
  | "proxy_on_done"
  | "proxy_on_delete";

/** The exports a --for-config build may leave out, in bit order: PRUNABLE's keys, then
 *  proxy_on_delete (only for a configuration that keeps no stream state). */
export declare const STREAM_CALLBACKS: readonly StreamCallback[];

/** The names of the callbacks in `bits`. */
export declare function callbackNames(bits: number): string[];

/** The bits of the named callbacks (names that are not per-stream callbacks count for nothing). */
export declare function callbackBits(names: Iterable<string>): number;

// Which per-stream callbacks a configuration needs.
//
// Envoy enters the VM for every per-stream callback a module exports (a few microseconds
// each), and skips the ones it does not. The build already leaves out the callbacks a filter
// never implements; a root can also say, after its onConfigure, which of the implemented ones
// its configuration needs (RootContext.neededCallbacks), so that `meshwasm build --for-config`
// can leave out the others for a module built for that configuration. Such a module knows what
// was left out: configured later with a configuration that needs a missing callback, it
// refuses the configuration with a log line naming the field, its value and the callback,
// so the proxy refuses the plugin instead of skipping the filter's work.

/** The per-stream callbacks, one bit each (a set is their `|`). */
export namespace StreamCallbacks {
  export const RequestHeaders: u32 = 1 << 0;
  export const RequestBody: u32 = 1 << 1;
  export const RequestTrailers: u32 = 1 << 2;
  export const ResponseHeaders: u32 = 1 << 3;
  export const ResponseBody: u32 = 1 << 4;
  export const ResponseTrailers: u32 = 1 << 5;
  export const Log: u32 = 1 << 6;
  export const Done: u32 = 1 << 7;
  /** proxy_on_delete: a stream's context lives from its first callback to the stream's end
   *  (state kept from one callback to the next, a paused stream resumed later, a callout's
   *  answer). Needed unless the root says otherwise (CallbackNeeds.noStreamState), or the
   *  configuration needs Log and not Done: the log then ends the stream (internal/needs.ts). */
  export const Delete: u32 = 1 << 8;
  /** The request's three callbacks (what whole-body buffering of the request uses). */
  export const Request: u32 = RequestHeaders | RequestBody | RequestTrailers;
  /** The response's three callbacks. */
  export const Response: u32 = ResponseHeaders | ResponseBody | ResponseTrailers;
  export const All: u32 = 0x1ff;
}

/** How many callbacks StreamCallbacks names (its bits). */
export const STREAM_CALLBACK_COUNT: i32 = 9;

/** The export behind each bit of StreamCallbacks, in bit order. */
export const STREAM_CALLBACK_EXPORTS: string[] = [
  "proxy_on_request_headers",
  "proxy_on_request_body",
  "proxy_on_request_trailers",
  "proxy_on_response_headers",
  "proxy_on_response_body",
  "proxy_on_response_trailers",
  "proxy_on_log",
  "proxy_on_done",
  "proxy_on_delete",
];

const KEEPS_STREAM_STATE = "the filter keeps state in a stream's context (the default; RootContext.neededCallbacks may call needs.noStreamState())";

/**
 * The callbacks a configuration needs, each with what in the configuration needs it.
 * A root's neededCallbacks adds to it; a callback nobody adds is not needed.
 */
export class CallbackNeeds {
  /** The set needed so far (bits of StreamCallbacks). Delete is needed unless the root
   *  says its configuration keeps no stream state (noStreamState). */
  mask: u32 = StreamCallbacks.Delete;
  /** Per bit, the first reason given for it ("" when not needed). */
  private readonly reasons: string[] = ["", "", "", "", "", "", "", "", KEEPS_STREAM_STATE];

  /**
   * This configuration needs `callbacks` (bits of StreamCallbacks) because of `because`:
   * the field and its value, e.g. `response.headers_on_allowed: true`, or a plain reason
   * ("every request") when the filter always needs it.
   */
  need(callbacks: u32, because: string): void {
    const added = callbacks & StreamCallbacks.All & ~this.mask;
    for (let bit = 0; bit < STREAM_CALLBACK_COUNT; bit++) {
      if ((added & (<u32>1 << bit)) != 0) unchecked((this.reasons[bit] = because));
    }
    this.mask |= callbacks & StreamCallbacks.All;
  }

  /** Adds what `other` needs (a chain's members), with their reasons prefixed by `prefix`. */
  add(other: CallbackNeeds, prefix: string): void {
    for (let bit = 0; bit < STREAM_CALLBACK_COUNT; bit++) {
      const b = <u32>1 << bit;
      if ((other.mask & b) != 0) this.need(b, prefix + unchecked(other.reasons[bit]));
    }
  }

  /**
   * This configuration keeps nothing in a stream's context from one callback to the next and
   * never resumes a paused stream later (a request decided in one callback): proxy_on_delete
   * is not needed. A module built for it (`meshwasm build --for-config`) leaves that export
   * out, so Envoy does not enter the VM once more at every stream's end; the SDK then forgets
   * each stream's context when the callback that made it returns (a later callback of the same
   * stream gets a new one), and never calls onDelete, a root's included. Call it first: a
   * later `need(StreamCallbacks.Delete, ...)` needs it again.
   */
  noStreamState(): void {
    this.mask &= ~StreamCallbacks.Delete;
    unchecked((this.reasons[8] = ""));
  }

  /** Why `bit` (one bit of StreamCallbacks) is needed, or "" when it is not. */
  reason(bit: u32): string {
    for (let i = 0; i < STREAM_CALLBACK_COUNT; i++) if (bit == <u32>1 << i) return unchecked(this.reasons[i]);
    return "";
  }
}

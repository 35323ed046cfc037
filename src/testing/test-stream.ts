// The fluent handle on one HTTP stream: each step of a request and its response sent on its
// own, with what the filter answered (Host.stream()).

import type { HttpLimits } from "../connection-manager.ts";
import { bytesOf } from "./exchange.ts";
import { type Admission, admitRequest } from "./hcm.ts";
import { type HeaderMap, type HeadersInit, toHeaderMap } from "./headers.ts";
import type { HttpStream, PassedMessage, Step } from "./http.ts";
import type { ActionName, WasmTrapError } from "./status.ts";
import type { LocalReply } from "./vm.ts";
import type { World } from "./world.ts";

/** The fluent handle on one HTTP stream. */
export class TestStream {
  constructor(
    readonly raw: HttpStream,
    private readonly world: World,
    private readonly limits: Required<HttpLimits>,
  ) {}

  private after<T>(value: T): T {
    this.world.drain();
    return value;
  }

  /**
   * The request headers, through Envoy's connection manager first (as in `request()`: a
   * `host` header becomes `:authority`, refusals, normalisation, `x-forwarded-proto` and
   * `x-request-id` added; `envoyHeaders: false` hands the map to the filter as given).
   * "Refused" when the connection manager answered (431, 426) and the filter never ran: the
   * answer is in `downstream`.
   */
  requestHeaders(
    headers: HeadersInit,
    opts: { endOfStream?: boolean } & Admission = {},
  ): ActionName | "Refused" {
    const admitted = admitRequest(toHeaderMap(headers), this.limits, opts);
    if ("refusal" in admitted) {
      this.raw.refuse(admitted.refusal.status, admitted.refusal.body);
      return this.after("Refused");
    }
    this.raw.routerChecks = opts.envoyHeaders ?? true;
    return this.after(this.raw.sendRequestHeaders(admitted.headers, opts.endOfStream ?? true));
  }
  requestBody(chunk: string | Uint8Array, opts: { endOfStream?: boolean } = {}) {
    return this.after(this.raw.sendRequestBody(bytesOf(chunk), opts.endOfStream ?? true));
  }
  requestTrailers(trailers: HeadersInit) {
    return this.after(this.raw.sendRequestTrailers(toHeaderMap(trailers)));
  }
  responseHeaders(headers: HeadersInit, opts: { endOfStream?: boolean } = {}) {
    return this.after(this.raw.sendResponseHeaders(toHeaderMap(headers), opts.endOfStream ?? true));
  }
  responseBody(chunk: string | Uint8Array, opts: { endOfStream?: boolean } = {}) {
    return this.after(this.raw.sendResponseBody(bytesOf(chunk), opts.endOfStream ?? true));
  }
  responseTrailers(trailers: HeadersInit) {
    return this.after(this.raw.sendResponseTrailers(toHeaderMap(trailers)));
  }
  /** Ends the stream: onLog, onDone, onDelete. */
  complete(): void {
    this.after(this.raw.complete());
  }
  /** Resets the stream from the client side (onLog, onDone, onDelete follow). */
  reset(): void {
    this.after(this.raw.resetByClient());
  }
  /** Request headers as the filter left them. */
  get requestHeaderMap(): HeaderMap | null {
    return this.raw.request.headers;
  }
  get responseHeaderMap(): HeaderMap | null {
    return this.raw.response.headers;
  }
  /** What passed toward the upstream, and toward the client. */
  get upstream(): PassedMessage {
    return this.raw.request.passed;
  }
  get downstream(): PassedMessage {
    return this.raw.response.passed;
  }
  get localReply(): LocalReply | null {
    return this.raw.localReply;
  }
  get steps(): Step[] {
    return this.raw.steps;
  }
  get trap(): WasmTrapError | null {
    return this.raw.trap;
  }
}

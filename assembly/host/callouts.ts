// HTTP callouts and gRPC calls: dispatch, and the token → origin bookkeeping that lets the
// dispatcher deliver each response to the context that asked for it.
//
// Envoy delivers every callout response to the plugin's root context, not to the request
// that made it. We remember which context dispatched each token; the dispatcher switches the
// host's effective context back to it before calling its handler, so the handler can read
// and change that request's headers or send a local reply.

import {
  proxy_grpc_call,
  proxy_grpc_cancel,
  proxy_grpc_close,
  proxy_grpc_send,
  proxy_grpc_stream,
  proxy_http_call,
} from "../abi/imports";
import { Status } from "../abi/types";
import { writeBatches } from "../internal/current";
import { OUT_EXTRA, ptrOf } from "../internal/memory";
import { Header, serializeHeaders } from "../internal/pairs";

/** The outcome of dispatching a call: a status and, when Ok, the token that identifies
 *  the response. */
export class Dispatch {
  constructor(public status: Status, public token: u32) {}
  get ok(): bool {
    return this.status == Status.Ok;
  }
}

// What goes for a null body, no trailers and no metadata: nothing (size 0).
const EMPTY = new ArrayBuffer(0);

/** Raw HTTP dispatch; Context.dispatchHttpCall wraps it and records the origin. The headers
 *  must include ":method", ":path" and ":authority" (Envoy answers BadArgument otherwise). */
export function httpCall(
  upstream: string,
  headers: Header[],
  body: ArrayBuffer | null,
  trailers: Header[],
  timeoutMs: u32,
): Dispatch {
  writeBatches(); // a callout may reach this proxy: the request's map as the filter left it
  const u = String.UTF8.encode(upstream);
  const h = serializeHeaders(headers);
  const b = body === null ? EMPTY : body;
  const t = trailers.length == 0 ? EMPTY : serializeHeaders(trailers);
  store<u32>(OUT_EXTRA, 0);
  const status = <Status>proxy_http_call(
    ptrOf(u), u.byteLength,
    ptrOf(h), h.byteLength,
    ptrOf(b), b.byteLength,
    ptrOf(t), t.byteLength,
    timeoutMs, OUT_EXTRA,
  );
  return new Dispatch(status, load<u32>(OUT_EXTRA));
}

/** Raw unary gRPC dispatch. `upstream` is a cluster name (Envoy also accepts a serialized
 *  GrpcService); `message` is the serialized request. */
export function grpcCall(
  upstream: string,
  service: string,
  method: string,
  initialMetadata: Header[],
  message: ArrayBuffer,
  timeoutMs: u32,
): Dispatch {
  writeBatches();
  const u = String.UTF8.encode(upstream);
  const s = String.UTF8.encode(service);
  const m = String.UTF8.encode(method);
  const md = initialMetadata.length == 0 ? EMPTY : serializeHeaders(initialMetadata);
  store<u32>(OUT_EXTRA, 0);
  const status = <Status>proxy_grpc_call(
    ptrOf(u), u.byteLength,
    ptrOf(s), s.byteLength,
    ptrOf(m), m.byteLength,
    ptrOf(md), md.byteLength,
    ptrOf(message), message.byteLength,
    timeoutMs, OUT_EXTRA,
  );
  return new Dispatch(status, load<u32>(OUT_EXTRA));
}

/** Raw gRPC stream opening. */
export function grpcStream(
  upstream: string,
  service: string,
  method: string,
  initialMetadata: Header[],
): Dispatch {
  writeBatches();
  const u = String.UTF8.encode(upstream);
  const s = String.UTF8.encode(service);
  const m = String.UTF8.encode(method);
  const md = initialMetadata.length == 0 ? EMPTY : serializeHeaders(initialMetadata);
  store<u32>(OUT_EXTRA, 0);
  const status = <Status>proxy_grpc_stream(
    ptrOf(u), u.byteLength,
    ptrOf(s), s.byteLength,
    ptrOf(m), m.byteLength,
    ptrOf(md), md.byteLength,
    OUT_EXTRA,
  );
  return new Dispatch(status, load<u32>(OUT_EXTRA));
}

/** Sends a message on an open gRPC stream; `endOfStream` half-closes it. */
export function grpcSend(token: u32, message: ArrayBuffer, endOfStream: bool = false): Status {
  return <Status>proxy_grpc_send(token, ptrOf(message), message.byteLength, endOfStream ? 1 : 0);
}

/** Cancels a gRPC call or stream; no further callbacks arrive for it. */
export function grpcCancel(token: u32): Status {
  return <Status>proxy_grpc_cancel(token);
}

/** Closes a gRPC stream from our side. */
export function grpcClose(token: u32): Status {
  return <Status>proxy_grpc_close(token);
}

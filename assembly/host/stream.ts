// Stream control and local replies.

import {
  proxy_close_stream,
  proxy_continue_stream,
  proxy_get_status,
  proxy_send_local_response,
} from "../abi/imports";
import { GrpcStatus, Status, StreamType } from "../abi/types";
import { OUT_EXTRA, OUT_PTR, OUT_SIZE, clearOut, ptrOf, takeOutBytes } from "../internal/memory";
import { Header, serializeHeaders } from "../internal/pairs";

const NO_HEADERS: Header[] = [];

/**
 * Ends the stream with a reply made here; the upstream never sees the request. Legal on
 * the request path and in a callout response delivered to an HTTP context. Return
 * `Action.Pause` from the callback that calls it.
 *
 * Example: `sendLocalResponse(403, "forbidden\n", [new Header("x-reason", "policy")])`
 */
export function sendLocalResponse(
  statusCode: u32,
  body: string = "",
  headers: Header[] = NO_HEADERS,
  details: string = "",
  grpcStatus: GrpcStatus = GrpcStatus.None,
): Status {
  return sendLocalResponseBytes(statusCode, String.UTF8.encode(body), headers, details, grpcStatus);
}

/** Bytes form of sendLocalResponse. `details` becomes Envoy's response code details
 *  (%RESPONSE_CODE_DETAILS% in access logs). */
export function sendLocalResponseBytes(
  statusCode: u32,
  body: ArrayBuffer,
  headers: Header[] = NO_HEADERS,
  details: string = "",
  grpcStatus: GrpcStatus = GrpcStatus.None,
): Status {
  const detailBytes = String.UTF8.encode(details);
  const pairs = serializeHeaders(headers);
  return <Status>proxy_send_local_response(
    statusCode,
    ptrOf(detailBytes), detailBytes.byteLength,
    ptrOf(body), body.byteLength,
    ptrOf(pairs), pairs.byteLength,
    <i32>grpcStatus,
  );
}

/** Resumes a request paused by returning Action.Pause. */
export function continueRequest(): Status {
  return <Status>proxy_continue_stream(StreamType.HttpRequest);
}

/** Resumes a response paused by returning Action.Pause. */
export function continueResponse(): Status {
  return <Status>proxy_continue_stream(StreamType.HttpResponse);
}

/** Resumes a paused direction of a stream (HTTP request/response, TCP downstream/upstream). */
export function continueStream(stream: StreamType): Status {
  return <Status>proxy_continue_stream(stream);
}

/** Closes (resets) a direction of the stream. */
export function closeStream(stream: StreamType): Status {
  return <Status>proxy_close_stream(stream);
}

/** The status a failed callout or gRPC call left behind: code and message. */
export class HostStatus {
  constructor(public code: u32, public message: string) {}
}

/** The host's last call status (after a callout failure: Envoy reports the reason here). */
export function getStatus(): HostStatus {
  clearOut();
  proxy_get_status(OUT_EXTRA, OUT_PTR, OUT_SIZE);
  const code = load<u32>(OUT_EXTRA);
  const message = String.UTF8.decode(takeOutBytes());
  return new HostStatus(code, message);
}

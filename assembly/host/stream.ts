// Stream control and local replies.

import {
  proxy_close_stream,
  proxy_continue_stream,
  proxy_get_status,
  proxy_send_local_response,
} from "../abi/imports";
import { GrpcStatus, Status, StreamType } from "../abi/types";
import { OUT_EXTRA, OUT_PTR, OUT_SIZE, clearOut, ptrOf, takeOutBytes } from "../internal/memory";
import { othersMayRun } from "../internal/current";
import { Protected } from "../internal/headercheck";
import { Header, serializeHeaders } from "../internal/pairs";
import { decodeUtf8 } from "../utf8";
import { refusedHeader } from "./headers";

const NO_HEADERS: Header[] = [];

/** proxy_send_local_response; HttpContext.sendLocalResponse is the public form. Headers that
 *  could inject are left out (one log line each) and make the result Status.BadArgument. */
export function sendLocalResponseBytes(
  statusCode: u32,
  body: ArrayBuffer,
  headers: Header[] = NO_HEADERS,
  details: string = "",
  grpcStatus: GrpcStatus = GrpcStatus.None,
): Status {
  const detailBytes = String.UTF8.encode(details);
  let refused = false;
  let safe = headers;
  for (let i = 0; i < headers.length; i++) {
    if (refusedHeader(unchecked(headers[i]), Protected.Refuse, "local reply")) {
      refused = true;
      break;
    }
  }
  if (refused) {
    safe = new Array<Header>(0);
    for (let i = 0; i < headers.length; i++) {
      const h = unchecked(headers[i]);
      if (!refusedHeader(h, Protected.Refuse, "")) safe.push(h);
    }
  }
  const pairs = serializeHeaders(safe);
  othersMayRun();
  const status = <Status>proxy_send_local_response(
    statusCode,
    ptrOf(detailBytes), detailBytes.byteLength,
    ptrOf(body), body.byteLength,
    ptrOf(pairs), pairs.byteLength,
    <i32>grpcStatus,
  );
  return status == Status.Ok && refused ? Status.BadArgument : status;
}

/** Resumes a paused direction of a stream (HTTP request/response, TCP downstream/upstream). */
export function continueStream(stream: StreamType): Status {
  othersMayRun();
  return <Status>proxy_continue_stream(stream);
}

/** Closes (resets) a direction of the stream. */
export function closeStream(stream: StreamType): Status {
  othersMayRun();
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
  const message = decodeUtf8(takeOutBytes());
  return new HostStatus(code, message);
}

// The HTTP callbacks of one HttpContext: the SDK's whole-body buffering around the user's
// methods. The dispatcher runs them for a filter's context; a chain (chain.ts) runs them for
// each of its members, so a member buffers exactly as it would alone.

import { Action } from "../abi/types";
import { requestBody, responseBody } from "../host/buffers";
import { requestHeaders, responseHeaders } from "../host/headers";
import { log } from "../host/log";
import { BodyLength, HttpContext, Overflow } from "../context";

// Request and response run the same buffering logic; `request` picks the direction.

export function onHeaders(ctx: HttpContext, request: bool, numHeaders: u32, endOfStream: bool): Action {
  const action = request
    ? ctx.onRequestHeaders(numHeaders, endOfStream)
    : ctx.onResponseHeaders(numHeaders, endOfStream);
  // Envoy turns Pause on headers into StopAllIterationAndWatermark: the body would never reach
  // us. So the headers go on now, without Content-Length (the body may change size; Envoy
  // then frames it itself) unless the filter keeps the body's length, and the body callback
  // pauses until the body is complete.
  const buffering = request ? ctx.bufferingRequest : ctx.bufferingResponse;
  const length = request ? ctx.requestLength : ctx.responseLength;
  if (buffering && length == BodyLength.MayChange && !endOfStream && action == Action.Continue) {
    (request ? requestHeaders : responseHeaders).remove("content-length");
  }
  return action;
}

/** Calls the user's body callback, with the length the host announced remembered so that a
 *  replace() inside it needs no extra host call; `buffered` when whole-body buffering
 *  delivers it (its writes must then keep the length if the filter said so). */
function callBody(ctx: HttpContext, request: bool, size: u32, endOfStream: bool, buffered: bool): Action {
  const body = request ? requestBody : responseBody;
  body.knownLength = <i32>size;
  body.lengthKept = buffered && (request ? ctx.requestLength : ctx.responseLength) == BodyLength.Kept;
  const action = request ? ctx.onRequestBody(size, endOfStream) : ctx.onResponseBody(size, endOfStream);
  body.knownLength = -1;
  body.lengthKept = false;
  return action;
}

/** Ends whole-body buffering of a direction; true when it was on. */
function stopBuffering(ctx: HttpContext, request: bool): bool {
  const buffering = request ? ctx.bufferingRequest : ctx.bufferingResponse;
  if (request) ctx.bufferingRequest = false;
  else ctx.bufferingResponse = false;
  return buffering;
}

export function onBody(ctx: HttpContext, request: bool, bodySize: u32, endOfStream: bool): Action {
  if (request ? ctx.requestOverflowed : ctx.responseOverflowed) return Action.Continue;
  const buffering = request ? ctx.bufferingRequest : ctx.bufferingResponse;
  if (buffering) {
    const limit = request ? ctx.requestLimit : ctx.responseLimit;
    if (bodySize > limit) return overflow(ctx, request, bodySize, limit);
    if (!endOfStream) return Action.Pause;
  }
  return callBody(ctx, request, bodySize, endOfStream, stopBuffering(ctx, request));
}

/** A buffered body outgrew its limit: refuse it or let it through unread, as the filter chose. */
function overflow(ctx: HttpContext, request: bool, bodySize: u32, limit: u32): Action {
  stopBuffering(ctx, request);
  const reject = (request ? ctx.requestOverflow : ctx.responseOverflow) == Overflow.Reject;
  const what = request ? "request" : "response";
  log.warn(
    "meshwasm: the " + what + " body outgrew the buffering limit ({} > {} bytes): {}",
    bodySize.toString(),
    limit.toString(),
    reject ? (request ? "answered 413" : "stream reset") : "passed through unread",
  );
  if (!reject) {
    if (request) ctx.requestOverflowed = true;
    else ctx.responseOverflowed = true;
    return Action.Continue;
  }
  if (request) ctx.sendLocalResponse(413, "payload too large\n", [], "meshwasm_body_limit");
  else ctx.resetStream();
  return Action.Pause;
}

export function onTrailers(ctx: HttpContext, request: bool, numTrailers: u32): Action {
  let bodyAction = Action.Continue;
  if (stopBuffering(ctx, request)) {
    // Trailers end the body: deliver it now.
    const size = (request ? requestBody : responseBody).length();
    bodyAction = callBody(ctx, request, size < 0 ? 0 : <u32>size, true, true);
  }
  const action = request ? ctx.onRequestTrailers(numTrailers) : ctx.onResponseTrailers(numTrailers);
  return bodyAction != Action.Continue ? bodyAction : action;
}

// Envoy's foreign functions, reached through proxy_call_foreign_function.

import { proxy_call_foreign_function } from "../abi/imports";
import { Status } from "../abi/types";
import { changedRequestHeaders, invalidateReads } from "../internal/current";
import { OUT_PTR, OUT_SIZE, clearOut, freeHostBuffer, ptrOf, takeOutBytes } from "../internal/memory";
import { ProtoReader, ProtoWriter } from "../internal/proto";

/** The outcome of a foreign call: the host's status and the function's result bytes. */
export class ForeignResult {
  constructor(public status: Status, public result: ArrayBuffer) {}
}

const EMPTY = new ArrayBuffer(0);

/** Calls the host function `name` with serialized `args`. Status.NotFound when the host
 *  has no such function. */
export function callForeignFunction(name: string, args: ArrayBuffer = EMPTY): ForeignResult {
  return callForeign(String.UTF8.encode(name), args);
}

function callForeign(n: ArrayBuffer, args: ArrayBuffer): ForeignResult {
  invalidateReads(); // a foreign function may change what the stream carries
  clearOut();
  const status = <Status>proxy_call_foreign_function(
    ptrOf(n), n.byteLength, ptrOf(args), args.byteLength, OUT_PTR, OUT_SIZE,
  );
  return new ForeignResult(status, status == Status.Ok ? takeOutBytes() : EMPTY);
}

const CLEAR_ROUTE_CACHE = String.UTF8.encode("clear_route_cache");

/** Asks Envoy to re-run route matching after you changed request headers or something else
 *  the route table matches on. Request path only. Envoy clears the route cache itself after
 *  each change a module built for ABI 0.2.1 (as meshwasm modules are) makes to request
 *  headers, so when this callback changed them and no other filter has run since (no
 *  continue, close or local reply), the call has nothing to add and is not made (Status.Ok).
 *  After anything else (a filter-state change the routes match on, a change made in an
 *  earlier callback) it asks Envoy. */
export function clearRouteCache(): Status {
  invalidateReads(); // writes any batched edits first: they count as changes
  if (changedRequestHeaders()) return Status.Ok;
  // Called on every re-routed request: no result object, and nothing copied (the function
  // answers nothing; a buffer a host might hand over anyway is released).
  clearOut();
  const status = <Status>proxy_call_foreign_function(
    ptrOf(CLEAR_ROUTE_CACHE), CLEAR_ROUTE_CACHE.byteLength, ptrOf(EMPTY), 0, OUT_PTR, OUT_SIZE,
  );
  freeHostBuffer(load<usize>(OUT_PTR));
  return status;
}

/** Stores `value` in Envoy's filter state under `key`, for filters that read well-known
 *  keys (e.g. "envoy.tcp_proxy.cluster"). The key must have a registered object factory. */
export function setEnvoyFilterState(key: string, value: string): Status {
  const args = new ProtoWriter().stringField(1, key).stringField(2, value).finish();
  return callForeignFunction("set_envoy_filter_state", args).status;
}

/** The outcome of verifySignature: `valid` only when the host checked and the signature
 *  matches; `error` carries the host's reason otherwise. */
export class SignatureCheck {
  constructor(public status: Status, public valid: bool, public error: string) {}
}

/** Verifies `signature` over `text` with a DER-encoded public key, using Envoy's
 *  BoringSSL. `hashFunction` is e.g. "sha256". Fails closed: anything but a confirmed
 *  match has valid = false. */
export function verifySignature(
  hashFunction: string,
  publicKeyDer: ArrayBuffer,
  signature: ArrayBuffer,
  text: ArrayBuffer,
): SignatureCheck {
  const args = new ProtoWriter()
    .stringField(1, hashFunction)
    .bytesField(2, publicKeyDer)
    .bytesField(3, signature)
    .bytesField(4, text)
    .finish();
  const call = callForeignFunction("verify_signature", args);
  if (call.status != Status.Ok) return new SignatureCheck(call.status, false, "verify_signature unavailable");
  const reader = new ProtoReader(call.result);
  let valid = false;
  let error = "";
  while (reader.next()) {
    if (reader.field == 1 && reader.wireType == 0) valid = reader.varintValue != 0;
    else if (reader.field == 2 && reader.wireType == 2) error = reader.stringValue();
  }
  if (!reader.ok) return new SignatureCheck(Status.ParseFailure, false, "malformed verify_signature result");
  return new SignatureCheck(Status.Ok, valid, error);
}

// Which context the host is running, so a context handle can act from any callback.
//
// Host calls act on the host's "effective context": the one whose callback is running. A
// filter that paused a request and resumes it from the root's onTick, onQueueReady or a
// callout answer must first make that request's context effective
// (proxy_set_effective_context). The dispatcher records the context of every callback on
// entry; context methods call `useContext` before acting, which costs a compare when the
// context is already the current one and one host call when it is not.

import { proxy_set_effective_context } from "../abi/imports";
import { MapType, Status } from "../abi/types";

let current: u32 = 0;

// What the SDK read from a header map stays true until the host runs again or the map is
// written: a new callback, another effective context, a write, or a call that lets other
// filters run (continue, local reply, foreign function). Each of those starts a new epoch;
// header reads cached in an older epoch are dropped (see host/headers.ts).
let epoch: u32 = 1;

// Header edits a filter batched (HeaderMap.batch) are written before anything that lets the
// host or another filter look at the maps: the end of the callback, another effective context,
// continue, close, a local reply, a foreign function, a callout or gRPC call, a property read.
// host/headers.ts installs the writer; the flag keeps the check to one load when none is open.
let batchesOpen: bool = false;

// Whether the module changed the effective stream's request headers in this callback, with
// no other filter run since. Envoy clears the route cache itself after every such change from
// an ABI 0.2.1 module (as meshwasm modules are), so clearRouteCache then has nothing to ask.
let requestHeadersChanged: bool = false;
let batchWriter: () => void = noBatches;

function noBatches(): void {}

/** host/headers.ts: the function that writes every open batch. */
export function setBatchWriter(writer: () => void): void {
  batchWriter = writer;
}

/** A header map opened a batch. */
// @ts-ignore: decorator
@inline
export function batchOpened(): void {
  batchesOpen = true;
}

/** Writes every open header batch now (see above). */
// @ts-ignore: decorator
@inline
export function writeBatches(): void {
  if (batchesOpen) {
    batchesOpen = false;
    batchWriter();
  }
}

/** A write to header map `mapType` answered `status`. */
// @ts-ignore: decorator
@inline
export function headersWritten(mapType: MapType, status: Status): void {
  if (mapType == MapType.HttpRequestHeaders && status == Status.Ok) requestHeadersChanged = true;
}

/** True when the module changed the effective stream's request headers in this callback and
 *  no other filter has run since (see requestHeadersChanged). */
// @ts-ignore: decorator
@inline
export function changedRequestHeaders(): bool {
  return requestHeadersChanged;
}

/** Other filters may run now (continue, close, a local reply): a later clearRouteCache asks. */
// @ts-ignore: decorator
@inline
export function othersMayRun(): void {
  invalidateReads();
  requestHeadersChanged = false;
}

/** The current read epoch. */
// @ts-ignore: decorator
@inline
export function readEpoch(): u32 {
  return epoch;
}

/** Ends the current read epoch: header maps may have changed. */
// @ts-ignore: decorator
@inline
export function invalidateReads(): void {
  writeBatches();
  epoch++;
}

/** The dispatcher: the host entered a callback of context `id`. */
// @ts-ignore: decorator
@inline
export function enteredContext(id: u32): void {
  current = id;
  epoch++;
  requestHeadersChanged = false;
}

/** Makes `id` the host's effective context if it is not already. */
export function useContext(id: u32): Status {
  if (current == id) return Status.Ok;
  writeBatches();
  const status = <Status>proxy_set_effective_context(id);
  if (status == Status.Ok) current = id;
  epoch++;
  requestHeadersChanged = false;
  return status;
}

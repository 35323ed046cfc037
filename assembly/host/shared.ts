// Shared data (a key-value store shared by every VM with the same vm_id on every worker)
// and shared queues.

import {
  proxy_dequeue_shared_queue,
  proxy_enqueue_shared_queue,
  proxy_get_shared_data,
  proxy_register_shared_queue,
  proxy_resolve_shared_queue,
  proxy_set_shared_data,
} from "../abi/imports";
import { Status } from "../abi/types";
import {
  OUT_EXTRA,
  OUT_PTR,
  OUT_SIZE,
  armLanding,
  clearOut,
  disarmLanding,
  freeHostBuffer,
  ptrOf,
  takeOutBytes,
} from "../internal/memory";
import { noteQueueOwner } from "../internal/queue-owners";

/** A value read from shared data with the CAS token to write it back conditionally. */
export class SharedValue {
  constructor(public value: ArrayBuffer, public cas: u32) {}
}

/** The value of `key`, or null when no one set it yet. Legal in every callback after start.
 *  Example: `const v = getSharedData("hits"); setSharedData("hits", next, v ? v.cas : 0)` */
export function getSharedData(key: string): SharedValue | null {
  return getSharedDataBytes(String.UTF8.encode(key));
}

/** Sets `key`. With `cas` 0 the write is unconditional; otherwise it fails with
 *  Status.CasMismatch when someone wrote since the read that returned `cas`. A key that does
 *  not exist is written whatever `cas` says (the host's rule): to create a key only when it is
 *  still absent, use createSharedData or pass absentCas(). */
export function setSharedData(key: string, value: ArrayBuffer, cas: u32 = 0): Status {
  return setSharedDataBytes(String.UTF8.encode(key), value, cas);
}

/** getSharedData with the key already UTF-8 encoded: for a caller that reads the same keys
 *  on every request and encodes them once. Legal in every callback after start.
 *  Example: `const name = String.UTF8.encode("hits"); const v = getSharedDataBytes(name)` */
export function getSharedDataBytes(key: ArrayBuffer): SharedValue | null {
  clearOut();
  if (proxy_get_shared_data(ptrOf(key), key.byteLength, OUT_PTR, OUT_SIZE, OUT_EXTRA) != Status.Ok) {
    return null;
  }
  const cas = load<u32>(OUT_EXTRA);
  return new SharedValue(takeOutBytes(), cas);
}

/** setSharedData with the key already UTF-8 encoded (the same CAS rules). Legal in every
 *  callback after start. Example: `setSharedDataBytes(name, next, v.cas)` */
export function setSharedDataBytes(key: ArrayBuffer, value: ArrayBuffer, cas: u32 = 0): Status {
  return <Status>proxy_set_shared_data(ptrOf(key), key.byteLength, ptrOf(value), value.byteLength, cas);
}

// The key whose writes take fresh CAS tokens for absentCas. Never created through absentCas.
const CAS_PROBE_KEY = String.UTF8.encode("meshwasm.cas_probe");
const CAS_PROBE_VALUE = new ArrayBuffer(1);

/** A CAS token that no other key of shared data holds: the token of a write just made to a
 *  key of the SDK's own. Writing a key with it creates the key when it is absent and fails
 *  with Status.CasMismatch when someone created it meanwhile (the host gives every write a
 *  new token from one counter, so the probe's token is nobody else's until 2^32 more writes).
 *  This is the compare-and-swap for "still absent" that the host lacks. Legal in every
 *  callback after start. Example: `setSharedData(key, initial, absentCas())` */
export function absentCas(): u32 {
  proxy_set_shared_data(ptrOf(CAS_PROBE_KEY), CAS_PROBE_KEY.byteLength, ptrOf(CAS_PROBE_VALUE), 1, 0);
  clearOut();
  const got = proxy_get_shared_data(ptrOf(CAS_PROBE_KEY), CAS_PROBE_KEY.byteLength, OUT_PTR, OUT_SIZE, OUT_EXTRA);
  if (got != Status.Ok) return 0;
  const cas = load<u32>(OUT_EXTRA);
  freeHostBuffer(load<usize>(OUT_PTR)); // the host's copy of the probe's value, never read
  return cas;
}

/** Creates `key` only if it does not exist: Status.Ok when this write created it,
 *  Status.CasMismatch when it already existed (then read it and update with its CAS).
 *  Example: `if (createSharedData("limits/v1", initial) == Status.CasMismatch) { ... }` */
export function createSharedData(key: string, value: ArrayBuffer): Status {
  const k = String.UTF8.encode(key);
  return <Status>proxy_set_shared_data(ptrOf(k), k.byteLength, ptrOf(value), value.byteLength, absentCas());
}

// The key addSharedCounter encoded last: a filter counts under the same few keys on every
// request, so the UTF-8 is usually at hand (no allocation per call).
let counterKey: string = "";
let counterKeyBytes = new ArrayBuffer(0);
// The new value of a counter, written from here (no allocation per call).
const COUNTER_NEXT: usize = memory.data(8, 8);

/** Adds `delta` to a u64 counter stored little-endian under `key`, retrying on CAS
 *  mismatch up to `attempts` times. Returns the new value, or -1 if every attempt lost.
 *  Exact across workers, also while the key is created: the first write is conditional on
 *  the key being still absent (absentCas), so two workers creating it at once lose nothing.
 *  Two host calls per attempt (read, conditional write) and no allocation once the key was
 *  used: the value lands in the SDK's reused block and is read in place. */
export function addSharedCounter(key: string, delta: i64, attempts: i32 = 8): i64 {
  if (key != counterKey || counterKeyBytes.byteLength == 0) {
    counterKeyBytes = String.UTF8.encode(key);
    counterKey = key;
  }
  const k = counterKeyBytes;
  for (let i = 0; i < attempts; i++) {
    clearOut();
    let current: i64 = 0;
    let cas: u32 = 0;
    armLanding();
    const got = proxy_get_shared_data(ptrOf(k), k.byteLength, OUT_PTR, OUT_SIZE, OUT_EXTRA);
    disarmLanding();
    if (got == Status.Ok) {
      cas = load<u32>(OUT_EXTRA);
      const ptr = load<usize>(OUT_PTR);
      if (load<u32>(OUT_SIZE) == 8) current = load<i64>(ptr);
      freeHostBuffer(ptr);
    } else {
      cas = absentCas();
    }
    store<i64>(COUNTER_NEXT, current + delta);
    const status = proxy_set_shared_data(ptrOf(k), k.byteLength, COUNTER_NEXT, 8, cas);
    if (status == Status.Ok) return current + delta;
    if (status != Status.CasMismatch) return -1;
  }
  return -1;
}

/** The outcome of registering or resolving a queue. */
export class QueueId {
  constructor(public status: Status, public id: u32) {}
}

/** Registers a queue this VM consumes; onQueueReady fires on the root context when data
 *  arrives. Legal from onVmStart/onConfigure on. */
export function registerSharedQueue(name: string): QueueId {
  const n = String.UTF8.encode(name);
  store<u32>(OUT_EXTRA, 0);
  const status = <Status>proxy_register_shared_queue(ptrOf(n), n.byteLength, OUT_EXTRA);
  const id = load<u32>(OUT_EXTRA);
  if (status == Status.Ok) noteQueueOwner(id);
  return new QueueId(status, id);
}

/** Finds a queue registered by the VM `vmId`. Status.NotFound when it is not registered. */
export function resolveSharedQueue(vmId: string, name: string): QueueId {
  const v = String.UTF8.encode(vmId);
  const n = String.UTF8.encode(name);
  store<u32>(OUT_EXTRA, 0);
  const status = <Status>proxy_resolve_shared_queue(
    ptrOf(v), v.byteLength, ptrOf(n), n.byteLength, OUT_EXTRA,
  );
  return new QueueId(status, load<u32>(OUT_EXTRA));
}

/** Appends a message to a queue. */
export function enqueueSharedQueue(queueId: u32, data: ArrayBuffer): Status {
  return <Status>proxy_enqueue_shared_queue(queueId, ptrOf(data), data.byteLength);
}

/** A dequeued message; `status` is Status.Empty when the queue had nothing. */
export class Dequeued {
  constructor(public status: Status, public data: ArrayBuffer) {}
}

/** Takes the oldest message of a queue. */
export function dequeueSharedQueue(queueId: u32): Dequeued {
  clearOut();
  const status = <Status>proxy_dequeue_shared_queue(queueId, OUT_PTR, OUT_SIZE);
  if (status != Status.Ok) return new Dequeued(status, new ArrayBuffer(0));
  return new Dequeued(status, takeOutBytes());
}

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
import { OUT_EXTRA, OUT_PTR, OUT_SIZE, clearOut, ptrOf, takeOutBytes } from "../internal/memory";

/** A value read from shared data with the CAS token to write it back conditionally. */
export class SharedValue {
  constructor(public value: ArrayBuffer, public cas: u32) {}
}

/** The value of `key`, or null when no one set it yet. Legal in every callback after start.
 *  Example: `const v = getSharedData("hits"); setSharedData("hits", next, v ? v.cas : 0)` */
export function getSharedData(key: string): SharedValue | null {
  const k = String.UTF8.encode(key);
  clearOut();
  if (proxy_get_shared_data(ptrOf(k), k.byteLength, OUT_PTR, OUT_SIZE, OUT_EXTRA) != Status.Ok) {
    return null;
  }
  const cas = load<u32>(OUT_EXTRA);
  return new SharedValue(takeOutBytes(), cas);
}

/** Sets `key`. With `cas` 0 the write is unconditional; otherwise it fails with
 *  Status.CasMismatch when someone wrote since the read that returned `cas`. */
export function setSharedData(key: string, value: ArrayBuffer, cas: u32 = 0): Status {
  const k = String.UTF8.encode(key);
  return <Status>proxy_set_shared_data(ptrOf(k), k.byteLength, ptrOf(value), value.byteLength, cas);
}

/** Adds `delta` to a u64 counter stored little-endian under `key`, retrying on CAS
 *  mismatch up to `attempts` times. Returns the new value, or -1 if every attempt lost.
 *  The write that creates the key carries no CAS (the host has no create-if-absent), so two
 *  workers creating the same counter at once can lose one update: exact counters set their key
 *  once before traffic. */
export function addSharedCounter(key: string, delta: i64, attempts: i32 = 8): i64 {
  const k = String.UTF8.encode(key);
  const next = new ArrayBuffer(8);
  for (let i = 0; i < attempts; i++) {
    clearOut();
    let current: i64 = 0;
    let cas: u32 = 0;
    if (proxy_get_shared_data(ptrOf(k), k.byteLength, OUT_PTR, OUT_SIZE, OUT_EXTRA) == Status.Ok) {
      cas = load<u32>(OUT_EXTRA);
      const bytes = takeOutBytes();
      if (bytes.byteLength == 8) current = load<i64>(changetype<usize>(bytes));
    }
    store<i64>(changetype<usize>(next), current + delta);
    const status = proxy_set_shared_data(ptrOf(k), k.byteLength, ptrOf(next), 8, cas);
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
  return new QueueId(status, load<u32>(OUT_EXTRA));
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

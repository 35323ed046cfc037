// Everything one Envoy process shares between its VMs and workers: the virtual clock, logs,
// shared data and queues (keyed by vm_id), metrics, callouts in flight and the coverage record.
// The world knows no VM: VMs hold the world, and what the world calls back into (a root
// context's tick, a queue's owner, a callout's owner) it sees through narrow interfaces.

import type { AttributeValue } from "./attributes.ts";
import { Callouts, type Scheduler } from "./callouts.ts";
import { Coverage } from "./coverage.ts";
import { HostCallFailures } from "./failures.ts";
import { MetricStore } from "./metrics.ts";
import { LOG_LEVELS, type LogLevelName, Status } from "./status.ts";
import { encodePairs, utf8 } from "./wire.ts";

export interface LogEntry {
  level: LogLevelName;
  message: string;
  /** Which worker's VM wrote it. */
  worker: number;
  /** "wasm" for proxy_log and WASI output, "host" for the host's own lines (traps, errors). */
  source: "wasm" | "host";
}

/** Virtual time: it moves only when the test advances it. */
export class Clock {
  private offsetNanos = 0n;
  constructor(private readonly epochNanos: bigint) {}
  nowNanos(): bigint {
    return this.epochNanos + this.offsetNanos;
  }
  monotonicNanos(): bigint {
    return 1_000_000_000n + this.offsetNanos;
  }
  nowMs(): number {
    return Number(this.offsetNanos / 1_000_000n);
  }
  advanceTo(ms: number): void {
    this.offsetNanos = BigInt(Math.round(ms * 1e6));
  }
}

/** Another writer the test stands in for: it rewrites a key right after the guest reads it. */
export interface SharedWriter {
  /** Reads still to be followed by a write. */
  remaining: number;
  /** The value written, given the one the guest just read (undefined when unset). */
  write(current: Uint8Array | undefined): Uint8Array;
}

export class SharedData {
  private readonly stores = new Map<string, Map<string, { value: Uint8Array; cas: number }>>();
  private readonly writers = new Map<string, SharedWriter>();

  /** `nextCas`: the token the next write takes (the world's `sharedDataCas`, 1 by default,
   *  as in Envoy). */
  constructor(private nextCas: number) {}

  /** After each of the guest's next `writer.remaining` reads of `key`, `writer.write` replaces
   *  the value (a new CAS), as another worker writing between the read and the guest's write. */
  contend(vmId: string, key: string, writer: SharedWriter): void {
    this.writers.set(`${vmId}\0${key}`, writer);
  }

  /** A guest's read (proxy_get_shared_data): the entry as read, then any contending write. */
  guestRead(vmId: string, key: string): { value: Uint8Array; cas: number } | undefined {
    const entry = this.get(vmId, key);
    const writer = this.writers.get(`${vmId}\0${key}`);
    if (writer && writer.remaining > 0) {
      writer.remaining--;
      this.set(vmId, key, writer.write(entry?.value), 0);
    }
    return entry;
  }

  get(vmId: string, key: string): { value: Uint8Array; cas: number } | undefined {
    return this.stores.get(vmId)?.get(key);
  }

  set(vmId: string, key: string, value: Uint8Array, cas: number): number {
    let store = this.stores.get(vmId);
    if (!store) {
      store = new Map();
      this.stores.set(vmId, store);
    }
    const entry = store.get(key);
    if (cas !== 0 && entry && entry.cas !== cas) return Status.CasMismatch;
    store.set(key, { value: value.slice(), cas: this.nextCas });
    // Envoy's counter is 32 bits, and 0 (an unconditional write) is no token: after
    // 0xffffffff comes 1.
    this.nextCas = this.nextCas === 0xffffffff ? 1 : this.nextCas + 1;
    return Status.Ok;
  }
}

/** The root context that registered a queue: it is woken when an item arrives. */
export interface QueueOwner {
  readonly vmId: string;
  /** proxy_on_queue_ready (a no-op once the VM failed or the context is gone). */
  queueReady(token: number): void;
}

interface Queue {
  vmId: string;
  name: string;
  items: Uint8Array[];
  owner: QueueOwner;
}

export class SharedQueues {
  private readonly byToken = new Map<number, Queue>();
  private readonly byName = new Map<string, number>();
  private nextToken = 1;

  constructor(private readonly scheduler: Pick<Scheduler, "post">) {}

  register(owner: QueueOwner, name: string): number {
    const key = `${owner.vmId}\0${name}`;
    const existing = this.byName.get(key);
    if (existing !== undefined) {
      (this.byToken.get(existing) as Queue).owner = owner;
      return existing;
    }
    const token = this.nextToken++;
    this.byName.set(key, token);
    this.byToken.set(token, { vmId: owner.vmId, name, items: [], owner });
    return token;
  }

  resolve(vmId: string, name: string): number | undefined {
    return this.byName.get(`${vmId}\0${name}`);
  }

  enqueue(token: number, value: Uint8Array): number {
    const q = this.byToken.get(token);
    if (!q) return Status.NotFound;
    q.items.push(value.slice());
    // Envoy posts proxy_on_queue_ready to the registering VM's thread: it runs after the
    // current callback returns.
    const owner = q.owner;
    this.scheduler.post(() => owner.queueReady(token));
    return Status.Ok;
  }

  dequeue(vmId: string, token: number): Uint8Array | number {
    const q = this.byToken.get(token);
    if (!q) return Status.NotFound;
    if (q.vmId !== vmId) return Status.BadArgument;
    const item = q.items.shift();
    return item ?? Status.Empty;
  }

  size(vmId: string, name: string): number {
    const token = this.resolve(vmId, name);
    return token === undefined ? 0 : (this.byToken.get(token)?.items.length ?? 0);
  }
}

/** A value a test gives for a property: strings and bytes raw, numbers as int64, and so on. */
export type PropertyValue =
  | string
  | number
  | bigint
  | boolean
  | Uint8Array
  | Array<[string, string]>;

/** A root context with a tick period (proxy_set_tick_period_milliseconds). */
export interface TickTarget {
  tickPeriodMs: number;
  nextTickAt: number;
  /** proxy_on_tick (a no-op once the VM failed). */
  tick(): void;
}

export class World implements Scheduler {
  readonly clock: Clock;
  readonly metrics = new MetricStore();
  readonly shared: SharedData;
  readonly queues = new SharedQueues(this);
  readonly callouts: Callouts;
  readonly coverage: Coverage;
  readonly logs: LogEntry[] = [];
  readonly foreignFunctions = new Map<string, (args: Uint8Array) => Uint8Array | number>();
  /** Filter-state keys Envoy has object factories for (set_envoy_filter_state). */
  readonly envoyFilterStateKeys = new Set([
    "envoy.tcp_proxy.cluster",
    "envoy.network.upstream_server_name",
    "envoy.network.application_protocols",
    "envoy.string",
  ]);
  readonly properties = new Map<string, Uint8Array>();
  /** Host calls made to fail on purpose (HostOptions.failHostCalls, Host.failHostCalls). */
  readonly failures = new HostCallFailures();
  private readonly posted: Array<() => void> = [];
  private readonly roots = new Set<TickTarget>();
  logLevel: number;

  constructor(opts: {
    logLevel: LogLevelName;
    coverage?: Coverage;
    startTimeMs?: number;
    sharedDataCas?: number;
  }) {
    this.logLevel = LOG_LEVELS.indexOf(opts.logLevel);
    const cas = opts.sharedDataCas ?? 1;
    if (!Number.isInteger(cas) || cas < 1 || cas > 0xffffffff) {
      throw new Error(`sharedDataCas: ${cas} is not a token of Envoy's counter (1 to 4294967295)`);
    }
    this.shared = new SharedData(cas);
    this.clock = new Clock(BigInt(opts.startTimeMs ?? Date.now()) * 1_000_000n);
    this.coverage = opts.coverage ?? new Coverage();
    this.callouts = new Callouts(this);
  }

  log(worker: number, level: number, message: string, source: "wasm" | "host"): void {
    if (level < this.logLevel && source === "wasm") return;
    this.logs.push({ level: LOG_LEVELS[level] ?? "info", message, worker, source });
  }

  nowMs(): number {
    return this.clock.nowMs();
  }

  setProperty(dotted: string, value: PropertyValue): void {
    this.properties.set(dotted, encodeProperty(value));
  }

  // ---- ticks -----------------------------------------------------------------------------

  /** `roots` holds the ticking roots alone: a period of 0 takes a root out. */
  setTickPeriod(root: TickTarget, periodMs: number): void {
    root.tickPeriodMs = periodMs;
    root.nextTickAt = periodMs > 0 ? this.clock.nowMs() + periodMs : 0;
    if (periodMs > 0) this.roots.add(root);
    else this.roots.delete(root);
  }

  /** When the next tick or callout timeout falls due (ms of virtual time), if any. */
  nextEventAt(): number | undefined {
    let at: number | undefined;
    for (const root of this.roots) {
      if (at === undefined || root.nextTickAt < at) at = root.nextTickAt;
    }
    const timeout = this.callouts.nextDeadline();
    if (timeout && (at === undefined || timeout.at < at)) at = timeout.at;
    return at;
  }

  /** Moves virtual time forward by `ms`, firing ticks and callout timeouts in time order. */
  advance(ms: number): void {
    const end = this.clock.nowMs() + ms;
    for (;;) {
      let next: { at: number; run: () => void } | undefined;
      for (const root of this.roots) {
        if (root.nextTickAt <= end && (!next || root.nextTickAt < next.at)) {
          const r = root;
          next = {
            at: r.nextTickAt,
            run: () => {
              r.nextTickAt += r.tickPeriodMs;
              r.tick();
            },
          };
        }
      }
      const timeout = this.callouts.nextDeadline();
      if (timeout && timeout.at <= end && (!next || timeout.at < next.at)) next = timeout;
      if (!next) break;
      this.clock.advanceTo(Math.max(next.at, this.clock.nowMs()));
      next.run();
      this.drain();
    }
    this.clock.advanceTo(end);
    this.drain();
  }

  // ---- posted work (queue wake-ups), run once no guest call is active ------------------------

  post(action: () => void): void {
    this.posted.push(action);
  }

  drain(): void {
    for (let action = this.posted.shift(); action; action = this.posted.shift()) action();
  }
}

/** An attribute as proxy_get_property hands it over: its bytes, or the status Envoy answers
 *  instead. */
export function encodeAttribute(value: AttributeValue): Uint8Array | number {
  return typeof value === "object" && "status" in value ? value.status : encodeProperty(value);
}

export function encodeProperty(value: PropertyValue): Uint8Array {
  if (typeof value === "string") return utf8(value);
  if (typeof value === "boolean") return Uint8Array.of(value ? 1 : 0);
  if (typeof value === "number" || typeof value === "bigint") {
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigInt64(0, BigInt(value), true);
    return out;
  }
  if (value instanceof Uint8Array) return value;
  // A map: Envoy serializes CEL maps in the header-pairs format; an empty one is a zero count.
  return value.length === 0 ? new Uint8Array(4) : encodePairs(value);
}

// Everything one Envoy process shares between its VMs and workers: the virtual clock, logs,
// shared data and queues (keyed by vm_id), metrics, callouts in flight and the coverage record.

import { Callouts } from "./callouts.ts";
import { Coverage } from "./coverage.ts";
import { MetricStore } from "./metrics.ts";
import { LOG_LEVELS, type LogLevelName, Status } from "./status.ts";
import type { RootContextState, Vm } from "./vm.ts";
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

export class SharedData {
  private readonly stores = new Map<string, Map<string, { value: Uint8Array; cas: number }>>();
  private nextCas = 1;

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
    store.set(key, { value: value.slice(), cas: this.nextCas++ });
    return Status.Ok;
  }
}

interface Queue {
  vmId: string;
  name: string;
  items: Uint8Array[];
  vm: Vm;
  rootContextId: number;
}

export class SharedQueues {
  private readonly byToken = new Map<number, Queue>();
  private readonly byName = new Map<string, number>();
  private nextToken = 1;

  constructor(private readonly world: World) {}

  register(vm: Vm, root: RootContextState, name: string): number {
    const key = `${vm.plugin.vmId}\0${name}`;
    const existing = this.byName.get(key);
    if (existing !== undefined) {
      const q = this.byToken.get(existing) as Queue;
      q.vm = vm;
      q.rootContextId = root.id;
      return existing;
    }
    const token = this.nextToken++;
    this.byName.set(key, token);
    this.byToken.set(token, { vmId: vm.plugin.vmId, name, items: [], vm, rootContextId: root.id });
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
    this.world.post(() => {
      const root = q.vm.contexts.get(q.rootContextId);
      if (root && !q.vm.failed) q.vm.call("proxy_on_queue_ready", root, q.rootContextId, token);
    });
    return Status.Ok;
  }

  dequeue(vm: Vm, token: number): Uint8Array | number {
    const q = this.byToken.get(token);
    if (!q) return Status.NotFound;
    if (q.vmId !== vm.plugin.vmId) return Status.BadArgument;
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

export class World {
  readonly clock: Clock;
  readonly metrics = new MetricStore();
  readonly shared = new SharedData();
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
  /** Status left for proxy_get_status by the last callout failure, per root context. */
  private readonly statuses = new Map<RootContextState, { code: number; message: string }>();
  private readonly posted: Array<() => void> = [];
  private readonly roots = new Set<RootContextState>();
  logLevel: number;

  constructor(opts: { logLevel: LogLevelName; coverage?: Coverage; startTimeMs?: number }) {
    this.logLevel = LOG_LEVELS.indexOf(opts.logLevel);
    this.clock = new Clock(BigInt(opts.startTimeMs ?? Date.now()) * 1_000_000n);
    this.coverage = opts.coverage ?? new Coverage();
    this.callouts = new Callouts(this);
  }

  log(vm: Vm, level: number, message: string, source: "wasm" | "host"): void {
    if (level < this.logLevel && source === "wasm") return;
    this.logs.push({ level: LOG_LEVELS[level] ?? "info", message, worker: vm.worker, source });
  }

  setProperty(dotted: string, value: PropertyValue): void {
    this.properties.set(dotted, encodeProperty(value));
  }

  /** Plugin-level attributes every context can read. */
  pluginProperty(vm: Vm, path: string[]): Uint8Array | undefined {
    const dotted = path.join(".");
    const override = this.properties.get(dotted);
    if (override) return override;
    switch (dotted) {
      case "plugin_name":
        return utf8(vm.plugin.name);
      case "plugin_root_id":
        return utf8(vm.plugin.rootId);
      case "plugin_vm_id":
        return utf8(vm.plugin.vmId);
      default:
        return undefined;
    }
  }

  statusOf(root: RootContextState): { code: number; message: string } {
    return this.statuses.get(root) ?? { code: 0, message: "" };
  }

  setStatus(root: RootContextState, status: { code: number; message: string } | null): void {
    if (status) this.statuses.set(root, status);
    else this.statuses.delete(root);
  }

  // ---- ticks -----------------------------------------------------------------------------

  setTickPeriod(root: RootContextState, periodMs: number): void {
    root.tickPeriodMs = periodMs;
    root.nextTickAt = periodMs > 0 ? this.clock.nowMs() + periodMs : 0;
    if (periodMs > 0) this.roots.add(root);
    else this.roots.delete(root);
  }

  /** When the next tick or callout timeout falls due (ms of virtual time), if any. */
  nextEventAt(): number | undefined {
    let at: number | undefined;
    for (const root of this.roots) {
      if (root.tickPeriodMs > 0 && (at === undefined || root.nextTickAt < at)) at = root.nextTickAt;
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
        if (
          root.tickPeriodMs > 0 &&
          root.nextTickAt <= end &&
          (!next || root.nextTickAt < next.at)
        ) {
          const r = root;
          next = {
            at: r.nextTickAt,
            run: () => {
              r.nextTickAt += r.tickPeriodMs;
              if (!r.vm.failed) r.vm.call("proxy_on_tick", r, r.id);
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

  rootDone(vm: Vm, root: RootContextState): void {
    vm.call("proxy_on_delete", root, root.id);
    vm.contexts.delete(root.id);
  }

  // ---- posted work (queue wake-ups), run once no guest call is active ------------------------

  post(action: () => void): void {
    this.posted.push(action);
  }

  drain(): void {
    while (this.posted.length > 0) this.posted.shift()?.();
  }
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
  // A map: Envoy serializes CEL maps in the header-pairs format.
  return encodePairs(value);
}

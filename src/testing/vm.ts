// One Wasm VM the way Envoy runs it: link the module against the ABI 0.2.1 host functions (and
// fail the way Envoy fails when it cannot), run the restricted start call, and serve every host
// call from the context that is current or effective. Contexts (root, HTTP, TCP) subclass
// GuestContext; process-wide state (shared data, queues, metrics, clock, logs) lives in World.

import { createPublicKey, verify } from "node:crypto";
import {
  ABI_MARKER,
  ALLOCATOR_EXPORTS,
  ENVOY_ABI_MARKERS,
  findGuestExport,
  findHostFunction,
  HOST_FUNCTIONS,
} from "../wasm/abi.ts";
import { formatFuncType, readWasmModule, sameFuncType } from "../wasm/binary.ts";
import type { HeaderMap } from "./headers.ts";
import { MetricIds } from "./metrics.ts";
import { BufferType, MapType, Status, WasmLoadError, WasmTrapError } from "./status.ts";
import {
  WA,
  type WasmImports,
  type WasmInstance,
  type WasmMemory,
  type WasmModule,
} from "./wasm-api.ts";
import { decodePairs, decodePath, encodePairs, type Pairs, text, utf8 } from "./wire.ts";
import type { World } from "./world.ts";

/** A host byte buffer with Envoy's proxy_set_buffer_bytes rules. */
export class ByteBuffer {
  constructor(
    public bytes: Uint8Array,
    readonly mutable = true,
  ) {}

  /** start 0: drop `length` bytes then prepend; start ≥ size: append; otherwise BadArgument. */
  copyFrom(start: number, length: number, data: Uint8Array): number {
    if (!this.mutable) return Status.BadArgument;
    if (start === 0) {
      const rest = this.bytes.subarray(Math.min(length, this.bytes.length));
      const out = new Uint8Array(data.length + rest.length);
      out.set(data, 0);
      out.set(rest, data.length);
      this.bytes = out;
      return Status.Ok;
    }
    if (start >= this.bytes.length) {
      const out = new Uint8Array(this.bytes.length + data.length);
      out.set(this.bytes, 0);
      out.set(data, this.bytes.length);
      this.bytes = out;
      return Status.Ok;
    }
    return Status.BadArgument;
  }
}

/** A local reply a filter asked for. */
export interface LocalReply {
  status: number;
  body: string;
  headers: Pairs;
  details: string;
  grpcStatus: number | null;
}

/** Base of the host-side contexts. Defaults are what Envoy does for a root context. */
export abstract class GuestContext {
  constructor(
    readonly vm: Vm,
    readonly id: number,
  ) {}

  abstract get root(): RootContextState;

  /** The map `type` if it exists in this callback; null otherwise (BadArgument). */
  getMap(type: number, _write: boolean): HeaderMap | null {
    return this.root.calloutMap(type);
  }

  getBuffer(type: number): ByteBuffer | null {
    return this.root.rootBuffer(type);
  }

  /** An attribute (Envoy property) by path, already encoded. */
  property(path: string[]): Uint8Array | undefined {
    return this.vm.world.pluginProperty(this.vm, path);
  }

  setProperty(_path: string, _value: Uint8Array): number {
    return Status.NotFound;
  }

  continueStream(type: number): number {
    return type === 3 ? Status.Unimplemented : type > 3 ? Status.BadArgument : Status.Ok;
  }

  closeStream(type: number): number {
    return type > 3 ? Status.BadArgument : Status.Ok;
  }

  sendLocalResponse(_reply: LocalReply): number {
    return Status.Ok;
  }

  /** For set_envoy_filter_state / clear_route_cache: the stream's state, if any. */
  streamState(): { filterState: Map<string, Uint8Array>; routeCacheCleared: number } | null {
    return null;
  }
}

/** The root context: configuration buffers, callout responses, tick period. */
export class RootContextState extends GuestContext {
  configuring: Uint8Array | null = null;
  vmConfiguration: Uint8Array | null = null;
  callData: Uint8Array | null = null;
  callout: { headers: HeaderMap; body: Uint8Array; trailers: HeaderMap } | null = null;
  grpcMessage: Uint8Array | null = null;
  grpcMetadata: HeaderMap | null = null;
  tickPeriodMs = 0;
  nextTickAt = 0;

  get root(): RootContextState {
    return this;
  }

  calloutMap(type: number): HeaderMap | null {
    if (type === MapType.HttpCallResponseHeaders) return this.callout?.headers ?? null;
    if (type === MapType.HttpCallResponseTrailers) return this.callout?.trailers ?? null;
    if (type === MapType.GrpcInitialMetadata || type === MapType.GrpcTrailingMetadata) {
      return this.grpcMetadata;
    }
    return null;
  }

  rootBuffer(type: number): ByteBuffer | null {
    switch (type) {
      case BufferType.VmConfiguration:
        return new ByteBuffer(this.vm.plugin.vmConfiguration, false);
      case BufferType.PluginConfiguration:
        return this.configuring ? new ByteBuffer(this.configuring, false) : null;
      case BufferType.HttpCallResponseBody:
        return this.callout ? new ByteBuffer(this.callout.body, false) : null;
      case BufferType.GrpcReceiveBuffer:
        return this.grpcMessage ? new ByteBuffer(this.grpcMessage, false) : null;
      case BufferType.CallData:
        return new ByteBuffer(this.callData ?? new Uint8Array(0), false);
      case BufferType.RequestBody:
      case BufferType.ResponseBody:
      case BufferType.DownstreamData:
      case BufferType.UpstreamData:
        // Envoy hands back an empty buffer object outside the callbacks that fill it.
        return new ByteBuffer(new Uint8Array(0), false);
      default:
        return null;
    }
  }
}

/** Plugin settings a VM needs (from PluginConfig and VmConfig). */
export interface PluginInfo {
  name: string;
  rootId: string;
  vmId: string;
  configuration: Uint8Array;
  vmConfiguration: Uint8Array;
  environment: Record<string, string>;
  failurePolicy: "FAIL_CLOSED" | "FAIL_OPEN" | "FAIL_RELOAD";
  allowOnHeadersStopIteration: boolean;
}

/** Host functions allowed while _initialize/_start run (cpp-host startVm). */
const START_ALLOWED = new Set([
  "proxy_log",
  "fd_write",
  "clock_time_get",
  "clock_res_get",
  "random_get",
  "environ_get",
  "environ_sizes_get",
  "args_get",
  "args_sizes_get",
  "proc_exit",
  "sched_yield",
  "poll_oneoff",
  "fd_fdstat_get",
]);

type Fn = (...args: never[]) => unknown;

/** Validates the module the way Envoy does before and while linking it. */
export function linkCheck(bytes: Uint8Array): void {
  const info = readWasmModule(bytes);
  const exportNames = new Set(info.exports.filter((e) => e.kind === "function").map((e) => e.name));
  if (!Object.keys(ENVOY_ABI_MARKERS).some((m) => exportNames.has(m))) {
    throw new WasmLoadError(
      `Missing or unknown Proxy-Wasm ABI version: the module does not export ${ABI_MARKER}`,
    );
  }
  for (const imp of info.imports) {
    if (imp.kind !== "function") continue;
    const host = findHostFunction(imp.module, imp.name);
    if (!host) {
      throw new WasmLoadError(
        `Failed to load Wasm module due to a missing import: ${imp.module}.${imp.name}`,
      );
    }
    if (imp.type && !sameFuncType(host.type, imp.type)) {
      throw new WasmLoadError(
        `Failed to load Wasm module due to an import type mismatch: ${imp.module}.${imp.name}, ` +
          `want: ${formatFuncType(imp.type)}, but host exports: ${formatFuncType(host.type)}`,
      );
    }
  }
  if (!ALLOCATOR_EXPORTS.some((name) => exportNames.has(name))) {
    throw new WasmLoadError(
      "Wasm module is missing malloc function (malloc or proxy_on_memory_allocate)",
    );
  }
  if (!info.exports.some((e) => e.kind === "memory")) {
    throw new WasmLoadError("Wasm module is missing its memory export");
  }
  for (const exp of info.exports) {
    const known = findGuestExport(exp.name);
    if (!known || known.role === "marker" || exp.kind !== "function" || !exp.type) continue;
    if (!sameFuncType(known.type, exp.type)) {
      throw new WasmLoadError(`Bad function signature for: ${exp.name}`);
    }
  }
}

export class Vm {
  readonly instance: WasmInstance;
  readonly exports: Record<string, Fn>;
  readonly metricIds: MetricIds;
  readonly contexts = new Map<number, GuestContext>();
  /** The context whose callback is running, and the one set by proxy_set_effective_context. */
  current: GuestContext | null = null;
  effective: GuestContext | null = null;
  /** Set once a guest function trapped: Envoy's VM is then failed for good. */
  failed: WasmTrapError | null = null;
  private starting = false;
  private depth = 0;
  private readonly after: Array<() => void> = [];
  private memory!: WasmMemory;
  private u8 = new Uint8Array(0);
  private dv = new DataView(new ArrayBuffer(0));
  private readonly alloc: (size: number) => number;
  /** "proxy_done" pending for root contexts that returned false from proxy_on_done. */
  readonly pendingDone = new Set<number>();

  constructor(
    readonly world: World,
    readonly plugin: PluginInfo,
    readonly worker: number,
    module: WasmModule,
  ) {
    this.metricIds = new MetricIds(world.metrics);
    this.instance = new WA.Instance(module, this.importObject());
    this.exports = this.instance.exports as unknown as Record<string, Fn>;
    this.memory = this.instance.exports.memory as WasmMemory;
    const allocName = ALLOCATOR_EXPORTS.find((n) => typeof this.exports[n] === "function") ?? "";
    const alloc = this.exports[allocName] as unknown as (size: number) => number;
    this.alloc = alloc;
  }

  /** Runs `_initialize` (then `main`/`__main_void`) or `_start`, with Envoy's restrictions. */
  start(): void {
    this.starting = true;
    try {
      if (this.exports._initialize) {
        this.call("_initialize", null);
        if (this.exports.__main_void) this.call("__main_void", null);
        else if (this.exports.main) this.call("main", null, 0, 0);
      } else if (this.exports._start) {
        this.call("_start", null);
      }
    } finally {
      this.starting = false;
    }
  }

  has(name: string): boolean {
    return typeof this.exports[name] === "function";
  }

  /**
   * Calls a guest export with `ctx` current; a trap fails the VM and throws WasmTrapError
   * naming the export. Host actions deferred by the guest (local replies, continue) run after
   * the outermost call returns, as Envoy's DeferAfterCallActions do.
   */
  call(name: string, ctx: GuestContext | null, a = 0, b = 0, c = 0, d = 0, e = 0): number {
    const fn = this.exports[name] as unknown as
      | ((a: number, b: number, c: number, d: number, e: number) => unknown)
      | undefined;
    if (!fn) return 0;
    if (this.failed) throw this.failed;
    this.world.coverage.callback(name);
    const savedCurrent = this.current;
    const savedEffective = this.effective;
    this.current = ctx;
    this.effective = ctx;
    this.depth++;
    let result: unknown;
    try {
      result = fn(a, b, c, d, e);
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      const trap =
        error instanceof WasmTrapError ? error : new WasmTrapError(name, `Uncaught ${reason}`);
      this.failed = trap;
      this.world.log(this, 5, trap.message, "host");
      this.after.length = 0;
      throw trap;
    } finally {
      this.depth--;
      this.current = savedCurrent;
      this.effective = savedEffective;
    }
    if (this.depth === 0) this.runAfter();
    return typeof result === "bigint" ? Number(result) : Number(result ?? 0);
  }

  /** Queues an action for after the current guest call (runs now when no call is active). */
  defer(action: () => void): void {
    if (this.depth === 0) action();
    else this.after.push(action);
  }

  private runAfter(): void {
    while (this.after.length > 0) {
      const action = this.after.shift();
      action?.();
    }
  }

  // ---- memory ---------------------------------------------------------------------------

  private refresh(): void {
    // Growing the memory detaches the old buffer, and views on it then have length 0:
    // cheaper to test than reading memory.buffer on every host call.
    if (this.u8.length === 0) {
      this.u8 = new Uint8Array(this.memory.buffer);
      this.dv = new DataView(this.memory.buffer);
    }
  }

  /** A copy of guest memory; null when out of bounds. */
  read(ptr: number, size: number): Uint8Array | null {
    this.refresh();
    if (ptr < 0 || size < 0 || ptr + size > this.u8.length) return null;
    return this.u8.slice(ptr, ptr + size);
  }

  readString(ptr: number, size: number): string | null {
    this.refresh();
    if (ptr < 0 || size < 0 || ptr + size > this.u8.length) return null;
    return text(this.u8.subarray(ptr, ptr + size));
  }

  setU32(ptr: number, value: number): boolean {
    this.refresh();
    if (ptr < 0 || ptr + 4 > this.u8.length) return false;
    this.dv.setUint32(ptr, value >>> 0, true);
    return true;
  }

  setU64(ptr: number, value: bigint): boolean {
    this.refresh();
    if (ptr < 0 || ptr + 8 > this.u8.length) return false;
    this.dv.setBigUint64(ptr, BigInt.asUintN(64, value), true);
    return true;
  }

  /** Copies bytes into a guest allocation and writes its address and size to the out slots. */
  copyOut(bytes: Uint8Array, ptrPtr: number, sizePtr: number): number {
    let ptr = 0;
    if (bytes.length > 0) {
      ptr = Number(this.alloc(bytes.length));
      if (!ptr) return Status.InvalidMemoryAccess;
      this.refresh();
      this.u8.set(bytes, ptr);
    }
    if (!this.setU32(ptrPtr, ptr) || !this.setU32(sizePtr, bytes.length)) {
      return Status.InvalidMemoryAccess;
    }
    return Status.Ok;
  }

  /** The context host calls act on: the effective one, else the current one. */
  private ctx(): GuestContext | null {
    return this.effective ?? this.current;
  }

  // ---- imports ------------------------------------------------------------------------------

  private importObject(): WasmImports {
    const impl = this.hostFunctions();
    const env: Record<string, Fn> = {};
    const wasi: Record<string, Fn> = {};
    for (const fn of HOST_FUNCTIONS) {
      const target = fn.module === "env" ? env : wasi;
      const body = impl[fn.name] ?? (() => (fn.module === "env" ? Status.Unimplemented : 52));
      const name = fn.name;
      const cell = this.world.coverage.hostCell(name);
      const allowedAtStart = START_ALLOWED.has(name);
      const call = body as (...a: unknown[]) => unknown;
      // Fixed arity (the longest ABI call has 12 parameters): no rest/spread on the hot path.
      target[name] = ((
        a: unknown,
        b: unknown,
        c: unknown,
        d: unknown,
        e: unknown,
        f: unknown,
        g: unknown,
        h: unknown,
        i: unknown,
        j: unknown,
        k: unknown,
        l: unknown,
      ) => {
        cell.count++;
        if (this.starting && !allowedAtStart) {
          throw new WasmTrapError(
            this.exports._initialize ? "_initialize" : "_start",
            `restricted_callback: ${fn.module}.${name} is not allowed while the VM starts`,
          );
        }
        return call(a, b, c, d, e, f, g, h, i, j, k, l);
      }) as Fn;
    }
    return { env, wasi_snapshot_preview1: wasi, wasi_unstable: wasi };
  }

  private hostFunctions(): Record<string, (...args: never[]) => unknown> {
    const world = this.world;
    const need = (): GuestContext => {
      const c = this.ctx();
      if (!c) throw new WasmTrapError("(start)", "host call without a current context");
      return c;
    };
    const getBytes = (ptr: number, size: number): Uint8Array | null => this.read(ptr, size);
    return {
      proxy_done: () => {
        const c = need();
        if (!(c instanceof RootContextState) || !this.pendingDone.delete(c.id)) {
          return Status.NotFound;
        }
        world.rootDone(this, c);
        return Status.Ok;
      },
      proxy_set_effective_context: (id: number) => {
        const c = this.contexts.get(id);
        if (!c) return Status.BadArgument;
        this.effective = c;
        return Status.Ok;
      },
      proxy_log: (level: number, ptr: number, size: number) => {
        const msg = this.readString(ptr, size);
        if (msg === null) return Status.InvalidMemoryAccess;
        if (level > 5) return Status.BadArgument;
        world.log(this, level, msg, "wasm");
        return Status.Ok;
      },
      proxy_get_log_level: (ptr: number) =>
        this.setU32(ptr, world.logLevel) ? Status.Ok : Status.InvalidMemoryAccess,
      proxy_get_current_time_nanoseconds: (ptr: number) =>
        this.setU64(ptr, world.clock.nowNanos()) ? Status.Ok : Status.InvalidMemoryAccess,
      proxy_set_tick_period_milliseconds: (period: number) => {
        const root = need().root;
        world.setTickPeriod(root, period >>> 0);
        return Status.Ok;
      },
      proxy_get_buffer_bytes: (
        type: number,
        start: number,
        max: number,
        pp: number,
        sp: number,
      ) => {
        if (type > 8) return Status.BadArgument;
        const buffer = need().getBuffer(type);
        if (!buffer) return Status.NotFound;
        const size = buffer.bytes.length;
        const from = start >>> 0;
        let length = max >>> 0;
        if (from > size) return Status.BadArgument;
        if (from + length > size) length = size - from;
        if (length === 0) return Status.Ok;
        return this.copyOut(buffer.bytes.subarray(from, from + length), pp, sp);
      },
      proxy_set_buffer_bytes: (
        type: number,
        start: number,
        size: number,
        ptr: number,
        len: number,
      ) => {
        if (type > 8) return Status.BadArgument;
        const buffer = need().getBuffer(type);
        if (!buffer) return Status.NotFound;
        const data = getBytes(ptr, len);
        if (!data) return Status.InvalidMemoryAccess;
        return buffer.copyFrom(start >>> 0, size >>> 0, data);
      },
      proxy_get_buffer_status: (type: number, lp: number, fp: number) => {
        if (type > 8) return Status.BadArgument;
        const buffer = need().getBuffer(type);
        if (!buffer) return Status.NotFound;
        if (!this.setU32(lp, buffer.bytes.length) || !this.setU32(fp, 0)) {
          return Status.InvalidMemoryAccess;
        }
        return Status.Ok;
      },
      proxy_get_header_map_size: (type: number, sp: number) => {
        if (type > 7) return Status.BadArgument;
        const map = need().getMap(type, true);
        if (!map) return Status.BadArgument;
        return this.setU32(sp, map.byteSize()) ? Status.Ok : Status.InvalidMemoryAccess;
      },
      proxy_get_header_map_pairs: (type: number, pp: number, sp: number) => {
        if (type > 7) return Status.BadArgument;
        const map = need().getMap(type, false);
        return this.copyOut(encodePairs(map ? map.pairs() : []), pp, sp);
      },
      proxy_set_header_map_pairs: (type: number, ptr: number, size: number) => {
        if (type > 7) return Status.BadArgument;
        const bytes = getBytes(ptr, size);
        if (!bytes) return Status.InvalidMemoryAccess;
        const pairs = decodePairs(bytes);
        if (!pairs) return Status.ParseFailure;
        const map = need().getMap(type, true);
        if (!map) return Status.BadArgument;
        map.replaceAll(pairs);
        return Status.Ok;
      },
      proxy_get_header_map_value: (
        type: number,
        kp: number,
        ks: number,
        vpp: number,
        vsp: number,
      ) => {
        if (type > 7) return Status.BadArgument;
        const key = this.readString(kp, ks);
        if (key === null) return Status.InvalidMemoryAccess;
        const c = need();
        const map = c.getMap(type, false);
        if (!map) return Status.BadArgument;
        const value = map.get(key);
        if (value === undefined) return Status.NotFound;
        return this.copyOut(utf8(value), vpp, vsp);
      },
      proxy_add_header_map_value: (type: number, kp: number, ks: number, vp: number, vs: number) =>
        this.editMap(type, kp, ks, vp, vs, (m, k, v) => m.add(k, v)),
      proxy_replace_header_map_value: (
        type: number,
        kp: number,
        ks: number,
        vp: number,
        vs: number,
      ) => this.editMap(type, kp, ks, vp, vs, (m, k, v) => m.set(k, v)),
      proxy_remove_header_map_value: (type: number, kp: number, ks: number) =>
        this.editMap(type, kp, ks, 0, 0, (m, k) => m.remove(k)),
      proxy_continue_stream: (type: number) => need().continueStream(type),
      proxy_close_stream: (type: number) => need().closeStream(type),
      proxy_get_status: (cp: number, mpp: number, msp: number) => {
        const root = need().root;
        const { code, message } = world.statusOf(root);
        if (!this.setU32(cp, code)) return Status.InvalidMemoryAccess;
        return this.copyOut(utf8(message), mpp, msp);
      },
      proxy_send_local_response: (
        status: number,
        dp: number,
        ds: number,
        bp: number,
        bs: number,
        hp: number,
        hs: number,
        grpc: number,
      ) => {
        const details = this.readString(dp, ds);
        const body = this.readString(bp, bs);
        const headerBytes = getBytes(hp, hs);
        if (details === null || body === null || !headerBytes) return Status.InvalidMemoryAccess;
        const headers = decodePairs(headerBytes);
        if (!headers) return Status.ParseFailure;
        const grpcStatus = grpc >= 0 && grpc <= 16 ? grpc : null;
        return need().sendLocalResponse({
          status,
          body,
          headers,
          details: details.replace(/\s/g, "_"),
          grpcStatus,
        });
      },
      proxy_http_call: (
        up: number,
        us: number,
        hp: number,
        hs: number,
        bp: number,
        bs: number,
        tp: number,
        ts: number,
        timeout: number,
        tokenPtr: number,
      ) => {
        const cluster = this.readString(up, us);
        const hb = getBytes(hp, hs);
        const body = getBytes(bp, bs);
        const tb = getBytes(tp, ts);
        if (cluster === null || !hb || !body || !tb) return Status.InvalidMemoryAccess;
        const headers = decodePairs(hb);
        const trailers = decodePairs(tb);
        if (!headers || !trailers) return Status.ParseFailure;
        const c = need();
        const result = world.callouts.httpCall(this, c.root, {
          cluster,
          headers,
          body,
          trailers,
          timeoutMs: timeout | 0,
        });
        if (typeof result !== "number" || result < 0) return -result;
        return this.setU32(tokenPtr, result) ? Status.Ok : Status.InvalidMemoryAccess;
      },
      proxy_grpc_call: (
        up: number,
        us: number,
        sp: number,
        ss: number,
        mp: number,
        ms: number,
        mdp: number,
        mds: number,
        msgp: number,
        msgs: number,
        timeout: number,
        tokenPtr: number,
      ) => {
        const cluster = this.readString(up, us);
        const service = this.readString(sp, ss);
        const method = this.readString(mp, ms);
        const md = getBytes(mdp, mds);
        const message = getBytes(msgp, msgs);
        if (cluster === null || service === null || method === null || !md || !message) {
          return Status.InvalidMemoryAccess;
        }
        const metadata = decodePairs(md) ?? [];
        const result = world.callouts.grpcCall(this, need().root, {
          cluster,
          service,
          method,
          metadata,
          message,
          timeoutMs: timeout >>> 0,
          stream: false,
        });
        if (result < 0) return -result;
        return this.setU32(tokenPtr, result) ? Status.Ok : Status.InvalidMemoryAccess;
      },
      proxy_grpc_stream: (
        up: number,
        us: number,
        sp: number,
        ss: number,
        mp: number,
        ms: number,
        mdp: number,
        mds: number,
        tokenPtr: number,
      ) => {
        const cluster = this.readString(up, us);
        const service = this.readString(sp, ss);
        const method = this.readString(mp, ms);
        const md = getBytes(mdp, mds);
        if (cluster === null || service === null || method === null || !md) {
          return Status.InvalidMemoryAccess;
        }
        const result = world.callouts.grpcCall(this, need().root, {
          cluster,
          service,
          method,
          metadata: decodePairs(md) ?? [],
          message: new Uint8Array(0),
          timeoutMs: 0,
          stream: true,
        });
        if (result < 0) return -result;
        return this.setU32(tokenPtr, result) ? Status.Ok : Status.InvalidMemoryAccess;
      },
      proxy_grpc_send: (token: number, mp: number, ms: number, eos: number) => {
        const message = getBytes(mp, ms);
        if (!message) return Status.InvalidMemoryAccess;
        return world.callouts.grpcSend(this, token, message, eos !== 0);
      },
      proxy_grpc_cancel: (token: number) => world.callouts.grpcCancel(this, token),
      proxy_grpc_close: (token: number) => world.callouts.grpcClose(this, token),
      proxy_get_shared_data: (kp: number, ks: number, vpp: number, vsp: number, casp: number) => {
        const key = this.readString(kp, ks);
        if (key === null) return Status.InvalidMemoryAccess;
        const entry = world.shared.get(this.plugin.vmId, key);
        if (!entry) return Status.NotFound;
        const status = this.copyOut(entry.value, vpp, vsp);
        if (status !== Status.Ok) return status;
        return this.setU32(casp, entry.cas) ? Status.Ok : Status.InvalidMemoryAccess;
      },
      proxy_set_shared_data: (kp: number, ks: number, vp: number, vs: number, cas: number) => {
        const key = this.readString(kp, ks);
        const value = getBytes(vp, vs);
        if (key === null || !value) return Status.InvalidMemoryAccess;
        return world.shared.set(this.plugin.vmId, key, value, cas >>> 0);
      },
      proxy_register_shared_queue: (np: number, ns: number, tokenPtr: number) => {
        const name = this.readString(np, ns);
        if (name === null) return Status.InvalidMemoryAccess;
        const token = world.queues.register(this, need().root, name);
        return this.setU32(tokenPtr, token) ? Status.Ok : Status.InvalidMemoryAccess;
      },
      proxy_resolve_shared_queue: (
        vp: number,
        vs: number,
        np: number,
        ns: number,
        tokenPtr: number,
      ) => {
        const vmId = this.readString(vp, vs);
        const name = this.readString(np, ns);
        if (vmId === null || name === null) return Status.InvalidMemoryAccess;
        const token = world.queues.resolve(vmId, name);
        if (token === undefined) return Status.NotFound;
        return this.setU32(tokenPtr, token) ? Status.Ok : Status.InvalidMemoryAccess;
      },
      proxy_enqueue_shared_queue: (token: number, vp: number, vs: number) => {
        const value = getBytes(vp, vs);
        if (!value) return Status.InvalidMemoryAccess;
        return world.queues.enqueue(token, value);
      },
      proxy_dequeue_shared_queue: (token: number, vpp: number, vsp: number) => {
        const result = world.queues.dequeue(this, token);
        if (typeof result === "number") return result;
        return this.copyOut(result, vpp, vsp);
      },
      proxy_define_metric: (type: number, np: number, ns: number, idPtr: number) => {
        if (type > 2) return Status.BadArgument;
        const name = this.readString(np, ns);
        if (name === null) return Status.InvalidMemoryAccess;
        const id = this.metricIds.define(type, name);
        return this.setU32(idPtr, id) ? Status.Ok : Status.InvalidMemoryAccess;
      },
      proxy_increment_metric: (id: number, offset: bigint) => {
        const type = id & 3;
        const metric = this.metricIds.get(id);
        if (type === 2) return Status.BadArgument;
        if (!metric) return Status.NotFound;
        if (type === 0) {
          if (offset <= 0n) return Status.BadArgument;
          metric.value += offset;
        } else {
          metric.value += offset;
          if (metric.value < 0n) metric.value = 0n;
        }
        return Status.Ok;
      },
      proxy_record_metric: (id: number, value: bigint) => {
        const metric = this.metricIds.get(id);
        if (!metric) return Status.NotFound;
        const v = BigInt.asUintN(64, value);
        if (metric.kind === "counter") metric.value += v;
        else if (metric.kind === "gauge") metric.value = v;
        else metric.samples.push(v);
        return Status.Ok;
      },
      proxy_get_metric: (id: number, ptr: number) => {
        const type = id & 3;
        if (type === 2) return Status.BadArgument;
        const metric = this.metricIds.get(id);
        if (!metric) return Status.NotFound;
        return this.setU64(ptr, metric.value) ? Status.Ok : Status.InvalidMemoryAccess;
      },
      proxy_get_property: (pp: number, ps: number, vpp: number, vsp: number) => {
        const raw = getBytes(pp, ps);
        if (!raw) return Status.InvalidMemoryAccess;
        const value = need().property(decodePath(raw));
        if (value === undefined) return Status.NotFound;
        return this.copyOut(value, vpp, vsp);
      },
      proxy_set_property: (pp: number, ps: number, vp: number, vs: number) => {
        const raw = getBytes(pp, ps);
        const value = getBytes(vp, vs);
        if (!raw || !value) return Status.InvalidMemoryAccess;
        return need().setProperty(text(raw), value);
      },
      proxy_call_foreign_function: (
        np: number,
        ns: number,
        ap: number,
        as: number,
        rpp: number,
        rsp: number,
      ) => {
        const name = this.readString(np, ns);
        const args = getBytes(ap, as);
        if (name === null || !args) return Status.InvalidMemoryAccess;
        const result = this.foreign(name, args, need());
        if (typeof result === "number") return result;
        return this.copyOut(result, rpp, rsp);
      },
      pthread_equal: (a: number, b: number) => (a === b ? 1 : 0),
      emscripten_notify_memory_growth: () => undefined,
      // WASI, as Envoy shims it.
      fd_write: (fd: number, iovs: number, count: number, writtenPtr: number) => {
        if (fd !== 1 && fd !== 2) return 8; // EBADF
        this.refresh();
        let out = "";
        let written = 0;
        for (let i = 0; i < count; i++) {
          const ptr = this.dv.getUint32(iovs + i * 8, true);
          const len = this.dv.getUint32(iovs + i * 8 + 4, true);
          out += this.readString(ptr, len) ?? "";
          written += len;
        }
        this.setU32(writtenPtr, written);
        world.log(this, fd === 1 ? 2 : 4, out.replace(/\n$/, ""), "wasm");
        return 0;
      },
      clock_time_get: (id: number, _precision: bigint, ptr: number) => {
        if (id !== 0 && id !== 1) return 58; // ENOTSUP
        const nanos = id === 0 ? world.clock.nowNanos() : world.clock.monotonicNanos();
        return this.setU64(ptr, nanos) ? 0 : 21;
      },
      clock_res_get: (_id: number, ptr: number) => (this.setU64(ptr, 1n) ? 0 : 21),
      random_get: (ptr: number, len: number) => {
        if (len > 65536) return 28; // EINVAL
        this.refresh();
        globalThis.crypto.getRandomValues(this.u8.subarray(ptr, ptr + len));
        return 0;
      },
      environ_sizes_get: (countPtr: number, sizePtr: number) => {
        const entries = Object.entries(this.plugin.environment).map(([k, v]) =>
          utf8(`${k}=${v}\0`),
        );
        this.setU32(countPtr, entries.length);
        this.setU32(
          sizePtr,
          entries.reduce((n, e) => n + e.length, 0),
        );
        return 0;
      },
      environ_get: (ptrs: number, buf: number) => {
        let at = buf;
        Object.entries(this.plugin.environment).forEach(([k, v], i) => {
          const bytes = utf8(`${k}=${v}\0`);
          this.setU32(ptrs + i * 4, at);
          this.refresh();
          this.u8.set(bytes, at);
          at += bytes.length;
        });
        return 0;
      },
      args_sizes_get: (countPtr: number, sizePtr: number) => {
        this.setU32(countPtr, 0);
        this.setU32(sizePtr, 0);
        return 0;
      },
      args_get: () => 0,
      proc_exit: (code: number) => {
        world.log(this, 4, `wasi proc_exit(${code}) called; Envoy only logs it`, "host");
      },
      sched_yield: () => 0,
      poll_oneoff: (_in: number, _out: number, _n: number, neventsPtr: number) => {
        this.setU32(neventsPtr, 0);
        return 0;
      },
    };
  }

  private editMap(
    type: number,
    kp: number,
    ks: number,
    vp: number,
    vs: number,
    edit: (map: HeaderMap, key: string, value: string) => void,
  ): number {
    if (type > 7) return Status.BadArgument;
    const key = this.readString(kp, ks);
    const value = this.readString(vp, vs);
    if (key === null || value === null) return Status.InvalidMemoryAccess;
    const c = this.ctx();
    const map = c?.getMap(type, true);
    // Callout and gRPC maps are read-only in Envoy (getMap returns null for them).
    if (!map || type >= MapType.GrpcInitialMetadata) return Status.BadArgument;
    edit(map, key, value);
    return Status.Ok;
  }

  /** Envoy's foreign functions: verify_signature, clear_route_cache, set_envoy_filter_state. */
  private foreign(name: string, args: Uint8Array, c: GuestContext): Uint8Array | number {
    const custom = this.world.foreignFunctions.get(name);
    if (custom) return custom(args);
    if (name === "clear_route_cache") {
      const state = c.streamState();
      if (state) state.routeCacheCleared++;
      return new Uint8Array(0);
    }
    if (name === "set_envoy_filter_state") {
      const fields = readProto(args);
      const key = text(fields.get(1) ?? new Uint8Array(0));
      const value = fields.get(2) ?? new Uint8Array(0);
      const state = c.streamState();
      if (!this.world.envoyFilterStateKeys.has(key)) return Status.NotFound;
      if (!state) return Status.NotFound;
      state.filterState.set(key, value);
      return new Uint8Array(0);
    }
    if (name === "verify_signature") {
      const fields = readProto(args);
      const hash = text(fields.get(1) ?? new Uint8Array(0));
      let ok = false;
      let error = "";
      if (!["sha1", "sha224", "sha256", "sha384", "sha512"].includes(hash)) {
        error = `${hash} is not supported.`;
      } else {
        try {
          const key = createPublicKey({
            key: Buffer.from(fields.get(2) ?? new Uint8Array(0)),
            format: "der",
            type: "spki",
          });
          ok = verify(
            hash,
            fields.get(4) ?? new Uint8Array(0),
            key,
            fields.get(3) ?? new Uint8Array(0),
          );
          if (!ok) error = "Failed to verify digest. Error code: 0";
        } catch {
          error = "Failed to parse public key.";
        }
      }
      return writeProto(ok, error);
    }
    return Status.NotFound;
  }
}

/** Length-delimited fields (wire type 2) of a flat protobuf message, by field number. */
function readProto(bytes: Uint8Array): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  let i = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    while (i < bytes.length) {
      const b = bytes[i++] ?? 0;
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
      shift += 7;
    }
    return result;
  };
  while (i < bytes.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 2) {
      const len = varint();
      out.set(field, bytes.subarray(i, i + len));
      i += len;
    } else if (wire === 0) {
      varint();
    } else break;
  }
  return out;
}

/** VerifySignatureResult { bool result = 1; string error = 2; } */
function writeProto(result: boolean, error: string): Uint8Array {
  const e = utf8(error);
  const parts: number[] = [];
  if (result) parts.push(0x08, 1);
  if (e.length) {
    parts.push(0x12);
    let n = e.length;
    while (n >= 0x80) {
      parts.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    parts.push(n);
  }
  const out = new Uint8Array(parts.length + e.length);
  out.set(parts, 0);
  out.set(e, parts.length);
  return out;
}

// One Wasm VM the way Envoy runs it: link the module against the ABI 0.2.1 host functions (and
// fail the way Envoy fails when it cannot), run the restricted start call, and serve every host
// call from the context that is current or effective. Contexts (root, HTTP, TCP) subclass
// GuestContext; process-wide state (shared data, queues, metrics, clock, logs) lives in World.

import type { ResolvedPluginSettings } from "../plugin.ts";
import {
  ABI_MARKER,
  ALLOCATOR_EXPORTS,
  ENVOY_ABI_MARKERS,
  findGuestExport,
  findHostFunction,
  HOST_FUNCTIONS,
} from "../wasm/abi.ts";
import { formatFuncType, readWasmModule, sameFuncType } from "../wasm/binary.ts";
import type { GuestContext } from "./contexts.ts";
import type { CountCell } from "./coverage.ts";
import { hostFunctions } from "./hostcalls/index.ts";
import { MetricIds } from "./metrics.ts";
import { Status, WasmLoadError, WasmTrapError } from "./status.ts";
import {
  WA,
  type WasmImports,
  type WasmInstance,
  type WasmMemory,
  type WasmModule,
} from "./wasm-api.ts";
import { byteString, text } from "./wire.ts";
import type { World } from "./world.ts";

export { ByteBuffer, GuestContext, type LocalReply, RootContextState } from "./contexts.ts";

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
  /** The guest export running now (the innermost one), or null between calls. */
  running: string | null = null;
  /** Set once a guest function trapped: Envoy's VM is then failed for good. */
  failed: WasmTrapError | null = null;
  /** When it failed (virtual ms). */
  failedAtMs = 0;
  private starting = false;
  private depth = 0;
  private readonly after: Array<() => void> = [];
  private memory!: WasmMemory;
  /** Views on guest memory; refresh() renews them after the memory grew. */
  u8 = new Uint8Array(0);
  dv = new DataView(new ArrayBuffer(0));
  private readonly alloc: (size: number) => number;
  /** Counts the host's entries into the guest's allocator (as Envoy makes one per value it
   *  hands over), beside the callbacks' counts. */
  private readonly allocCell: CountCell;
  private readonly callbackCells = new Map<string, CountCell>();
  /** "proxy_done" pending for root contexts that returned false from proxy_on_done. */
  readonly pendingDone = new Set<number>();

  constructor(
    readonly world: World,
    readonly plugin: ResolvedPluginSettings,
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
    this.allocCell = this.world.coverage.callbackCell(allocName);
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
    let cell = this.callbackCells.get(name);
    if (!cell) {
      cell = this.world.coverage.callbackCell(name);
      this.callbackCells.set(name, cell);
    }
    cell.count++;
    const savedCurrent = this.current;
    const savedEffective = this.effective;
    const savedRunning = this.running;
    this.current = ctx;
    this.effective = ctx;
    this.running = name;
    this.depth++;
    let result: unknown;
    try {
      result = fn(a, b, c, d, e);
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      const trap =
        error instanceof WasmTrapError ? error : new WasmTrapError(name, `Uncaught ${reason}`);
      this.failed = trap;
      this.failedAtMs = this.world.clock.nowMs();
      this.world.log(this.worker, 5, trap.message, "host");
      this.after.length = 0;
      throw trap;
    } finally {
      this.depth--;
      this.current = savedCurrent;
      this.effective = savedEffective;
      this.running = savedRunning;
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

  /** The guest's linear memory in bytes (it only grows; a leak shows as growth). */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  refresh(): void {
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

  /** Guest bytes as a byte string (header names and values keep their exact bytes). */
  readByteString(ptr: number, size: number): string | null {
    this.refresh();
    if (ptr < 0 || size < 0 || ptr + size > this.u8.length) return null;
    return byteString(this.u8.subarray(ptr, ptr + size));
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
      this.allocCell.count++;
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
  ctx(): GuestContext | null {
    return this.effective ?? this.current;
  }

  // ---- imports ------------------------------------------------------------------------------

  private importObject(): WasmImports {
    const impl = hostFunctions(this);
    const env: Record<string, Fn> = {};
    const wasi: Record<string, Fn> = {};
    for (const fn of HOST_FUNCTIONS) {
      const target = fn.module === "env" ? env : wasi;
      const body = impl[fn.name] ?? (() => (fn.module === "env" ? Status.Unimplemented : 52));
      const name = fn.name;
      const cell = this.world.coverage.hostCell(name);
      const allowedAtStart = START_ALLOWED.has(name);
      const call = body as (...a: unknown[]) => unknown;
      const failures = this.world.failures;
      const proxyCall = fn.module === "env";
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
        if (proxyCall && failures.armed) {
          const status = failures.statusFor(name, this.worker, this.running);
          if (status !== null) return status;
        }
        return call(a, b, c, d, e, f, g, h, i, j, k, l);
      }) as Fn;
    }
    return { env, wasi_snapshot_preview1: wasi, wasi_unstable: wasi };
  }
}

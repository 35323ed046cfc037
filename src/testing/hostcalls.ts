// The host functions of ABI 0.2.1 (and the WASI and foreign functions Envoy provides), each
// acting on the VM's current or effective context. Statuses and edge cases follow Envoy's
// context.cc and proxy-wasm-cpp-host's exports.cc.

import { createPublicKey, verify } from "node:crypto";
import { type GuestContext, RootContextState } from "./contexts.ts";
import type { HeaderMap } from "./headers.ts";
import { MapType, Status, WasmTrapError } from "./status.ts";
import type { Vm } from "./vm.ts";
import { decodePairs, decodePath, encodePairs, text, utf8 } from "./wire.ts";

export function hostFunctions(vm: Vm): Record<string, (...args: never[]) => unknown> {
  const world = vm.world;
  const need = (): GuestContext => {
    const c = vm.ctx();
    if (!c) throw new WasmTrapError("(start)", "host call without a current context");
    return c;
  };
  const getBytes = (ptr: number, size: number): Uint8Array | null => vm.read(ptr, size);
  return {
    proxy_done: () => {
      const c = need();
      if (!(c instanceof RootContextState) || !vm.pendingDone.delete(c.id)) {
        return Status.NotFound;
      }
      world.rootDone(vm, c);
      return Status.Ok;
    },
    proxy_set_effective_context: (id: number) => {
      const c = vm.contexts.get(id);
      if (!c) return Status.BadArgument;
      vm.effective = c;
      return Status.Ok;
    },
    proxy_log: (level: number, ptr: number, size: number) => {
      const msg = vm.readString(ptr, size);
      if (msg === null) return Status.InvalidMemoryAccess;
      if (level > 5) return Status.BadArgument;
      world.log(vm, level, msg, "wasm");
      return Status.Ok;
    },
    proxy_get_log_level: (ptr: number) =>
      vm.setU32(ptr, world.logLevel) ? Status.Ok : Status.InvalidMemoryAccess,
    proxy_get_current_time_nanoseconds: (ptr: number) =>
      vm.setU64(ptr, world.clock.nowNanos()) ? Status.Ok : Status.InvalidMemoryAccess,
    proxy_set_tick_period_milliseconds: (period: number) => {
      const root = need().root;
      world.setTickPeriod(root, period >>> 0);
      return Status.Ok;
    },
    proxy_get_buffer_bytes: (type: number, start: number, max: number, pp: number, sp: number) => {
      if (type > 8) return Status.BadArgument;
      const buffer = need().getBuffer(type);
      if (!buffer) return Status.NotFound;
      const size = buffer.bytes.length;
      const from = start >>> 0;
      let length = max >>> 0;
      if (from > size) return Status.BadArgument;
      if (from + length > size) length = size - from;
      if (length === 0) return Status.Ok;
      return vm.copyOut(buffer.bytes.subarray(from, from + length), pp, sp);
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
      if (!vm.setU32(lp, buffer.bytes.length) || !vm.setU32(fp, 0)) {
        return Status.InvalidMemoryAccess;
      }
      return Status.Ok;
    },
    proxy_get_header_map_size: (type: number, sp: number) => {
      if (type > 7) return Status.BadArgument;
      const map = need().getMap(type, true);
      if (!map) return Status.BadArgument;
      return vm.setU32(sp, map.byteSize()) ? Status.Ok : Status.InvalidMemoryAccess;
    },
    proxy_get_header_map_pairs: (type: number, pp: number, sp: number) => {
      if (type > 7) return Status.BadArgument;
      const map = need().getMap(type, false);
      return vm.copyOut(encodePairs(map ? map.pairs() : []), pp, sp);
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
      const key = vm.readString(kp, ks);
      if (key === null) return Status.InvalidMemoryAccess;
      const c = need();
      const map = c.getMap(type, false);
      if (!map) return Status.BadArgument;
      const value = map.get(key);
      if (value === undefined) return Status.NotFound;
      return vm.copyOut(utf8(value), vpp, vsp);
    },
    proxy_add_header_map_value: (type: number, kp: number, ks: number, vp: number, vs: number) =>
      editMap(vm, type, kp, ks, vp, vs, (m, k, v) => m.add(k, v)),
    proxy_replace_header_map_value: (
      type: number,
      kp: number,
      ks: number,
      vp: number,
      vs: number,
    ) => editMap(vm, type, kp, ks, vp, vs, (m, k, v) => m.set(k, v)),
    proxy_remove_header_map_value: (type: number, kp: number, ks: number) =>
      editMap(vm, type, kp, ks, 0, 0, (m, k) => m.remove(k)),
    proxy_continue_stream: (type: number) => need().continueStream(type),
    proxy_close_stream: (type: number) => need().closeStream(type),
    proxy_get_status: (cp: number, mpp: number, msp: number) => {
      const root = need().root;
      const { code, message } = world.statusOf(root);
      if (!vm.setU32(cp, code)) return Status.InvalidMemoryAccess;
      return vm.copyOut(utf8(message), mpp, msp);
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
      const details = vm.readString(dp, ds);
      const body = vm.readString(bp, bs);
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
      const cluster = vm.readString(up, us);
      const hb = getBytes(hp, hs);
      const body = getBytes(bp, bs);
      const tb = getBytes(tp, ts);
      if (cluster === null || !hb || !body || !tb) return Status.InvalidMemoryAccess;
      const headers = decodePairs(hb);
      const trailers = decodePairs(tb);
      if (!headers || !trailers) return Status.ParseFailure;
      const c = need();
      const result = world.callouts.httpCall(vm, c.root, {
        cluster,
        headers,
        body,
        trailers,
        timeoutMs: timeout | 0,
      });
      if (typeof result !== "number" || result < 0) return -result;
      return vm.setU32(tokenPtr, result) ? Status.Ok : Status.InvalidMemoryAccess;
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
      const cluster = vm.readString(up, us);
      const service = vm.readString(sp, ss);
      const method = vm.readString(mp, ms);
      const md = getBytes(mdp, mds);
      const message = getBytes(msgp, msgs);
      if (cluster === null || service === null || method === null || !md || !message) {
        return Status.InvalidMemoryAccess;
      }
      const metadata = decodePairs(md) ?? [];
      const result = world.callouts.grpcCall(vm, need().root, {
        cluster,
        service,
        method,
        metadata,
        message,
        timeoutMs: timeout >>> 0,
        stream: false,
      });
      if (result < 0) return -result;
      return vm.setU32(tokenPtr, result) ? Status.Ok : Status.InvalidMemoryAccess;
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
      const cluster = vm.readString(up, us);
      const service = vm.readString(sp, ss);
      const method = vm.readString(mp, ms);
      const md = getBytes(mdp, mds);
      if (cluster === null || service === null || method === null || !md) {
        return Status.InvalidMemoryAccess;
      }
      const result = world.callouts.grpcCall(vm, need().root, {
        cluster,
        service,
        method,
        metadata: decodePairs(md) ?? [],
        message: new Uint8Array(0),
        timeoutMs: 0,
        stream: true,
      });
      if (result < 0) return -result;
      return vm.setU32(tokenPtr, result) ? Status.Ok : Status.InvalidMemoryAccess;
    },
    proxy_grpc_send: (token: number, mp: number, ms: number, eos: number) => {
      const message = getBytes(mp, ms);
      if (!message) return Status.InvalidMemoryAccess;
      return world.callouts.grpcSend(vm, token, message, eos !== 0);
    },
    proxy_grpc_cancel: (token: number) => world.callouts.grpcCancel(vm, token),
    proxy_grpc_close: (token: number) => world.callouts.grpcClose(vm, token),
    proxy_get_shared_data: (kp: number, ks: number, vpp: number, vsp: number, casp: number) => {
      const key = vm.readString(kp, ks);
      if (key === null) return Status.InvalidMemoryAccess;
      const entry = world.shared.get(vm.plugin.vmId, key);
      if (!entry) return Status.NotFound;
      const status = vm.copyOut(entry.value, vpp, vsp);
      if (status !== Status.Ok) return status;
      return vm.setU32(casp, entry.cas) ? Status.Ok : Status.InvalidMemoryAccess;
    },
    proxy_set_shared_data: (kp: number, ks: number, vp: number, vs: number, cas: number) => {
      const key = vm.readString(kp, ks);
      const value = getBytes(vp, vs);
      if (key === null || !value) return Status.InvalidMemoryAccess;
      return world.shared.set(vm.plugin.vmId, key, value, cas >>> 0);
    },
    proxy_register_shared_queue: (np: number, ns: number, tokenPtr: number) => {
      const name = vm.readString(np, ns);
      if (name === null) return Status.InvalidMemoryAccess;
      const token = world.queues.register(vm, need().root, name);
      return vm.setU32(tokenPtr, token) ? Status.Ok : Status.InvalidMemoryAccess;
    },
    proxy_resolve_shared_queue: (
      vp: number,
      vs: number,
      np: number,
      ns: number,
      tokenPtr: number,
    ) => {
      const vmId = vm.readString(vp, vs);
      const name = vm.readString(np, ns);
      if (vmId === null || name === null) return Status.InvalidMemoryAccess;
      const token = world.queues.resolve(vmId, name);
      if (token === undefined) return Status.NotFound;
      return vm.setU32(tokenPtr, token) ? Status.Ok : Status.InvalidMemoryAccess;
    },
    proxy_enqueue_shared_queue: (token: number, vp: number, vs: number) => {
      const value = getBytes(vp, vs);
      if (!value) return Status.InvalidMemoryAccess;
      return world.queues.enqueue(token, value);
    },
    proxy_dequeue_shared_queue: (token: number, vpp: number, vsp: number) => {
      const result = world.queues.dequeue(vm, token);
      if (typeof result === "number") return result;
      return vm.copyOut(result, vpp, vsp);
    },
    proxy_define_metric: (type: number, np: number, ns: number, idPtr: number) => {
      if (type > 2) return Status.BadArgument;
      const name = vm.readString(np, ns);
      if (name === null) return Status.InvalidMemoryAccess;
      const id = vm.metricIds.define(type, name);
      return vm.setU32(idPtr, id) ? Status.Ok : Status.InvalidMemoryAccess;
    },
    proxy_increment_metric: (id: number, offset: bigint) => {
      const type = id & 3;
      const metric = vm.metricIds.get(id);
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
      const metric = vm.metricIds.get(id);
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
      const metric = vm.metricIds.get(id);
      if (!metric) return Status.NotFound;
      return vm.setU64(ptr, metric.value) ? Status.Ok : Status.InvalidMemoryAccess;
    },
    proxy_get_property: (pp: number, ps: number, vpp: number, vsp: number) => {
      const raw = getBytes(pp, ps);
      if (!raw) return Status.InvalidMemoryAccess;
      const value = need().property(decodePath(raw));
      if (value === undefined) return Status.NotFound;
      return vm.copyOut(value, vpp, vsp);
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
      const name = vm.readString(np, ns);
      const args = getBytes(ap, as);
      if (name === null || !args) return Status.InvalidMemoryAccess;
      const result = foreign(vm, name, args, need());
      if (typeof result === "number") return result;
      return vm.copyOut(result, rpp, rsp);
    },
    pthread_equal: (a: number, b: number) => (a === b ? 1 : 0),
    emscripten_notify_memory_growth: () => undefined,
    // WASI, as Envoy shims it.
    fd_write: (fd: number, iovs: number, count: number, writtenPtr: number) => {
      if (fd !== 1 && fd !== 2) return 8; // EBADF
      vm.refresh();
      let out = "";
      let written = 0;
      for (let i = 0; i < count; i++) {
        const ptr = vm.dv.getUint32(iovs + i * 8, true);
        const len = vm.dv.getUint32(iovs + i * 8 + 4, true);
        out += vm.readString(ptr, len) ?? "";
        written += len;
      }
      vm.setU32(writtenPtr, written);
      world.log(vm, fd === 1 ? 2 : 4, out.replace(/\n$/, ""), "wasm");
      return 0;
    },
    clock_time_get: (id: number, _precision: bigint, ptr: number) => {
      if (id !== 0 && id !== 1) return 58; // ENOTSUP
      const nanos = id === 0 ? world.clock.nowNanos() : world.clock.monotonicNanos();
      return vm.setU64(ptr, nanos) ? 0 : 21;
    },
    clock_res_get: (_id: number, ptr: number) => (vm.setU64(ptr, 1n) ? 0 : 21),
    random_get: (ptr: number, len: number) => {
      if (len > 65536) return 28; // EINVAL
      vm.refresh();
      globalThis.crypto.getRandomValues(vm.u8.subarray(ptr, ptr + len));
      return 0;
    },
    environ_sizes_get: (countPtr: number, sizePtr: number) => {
      const entries = Object.entries(vm.plugin.environment).map(([k, v]) => utf8(`${k}=${v}\0`));
      vm.setU32(countPtr, entries.length);
      vm.setU32(
        sizePtr,
        entries.reduce((n, e) => n + e.length, 0),
      );
      return 0;
    },
    environ_get: (ptrs: number, buf: number) => {
      let at = buf;
      Object.entries(vm.plugin.environment).forEach(([k, v], i) => {
        const bytes = utf8(`${k}=${v}\0`);
        vm.setU32(ptrs + i * 4, at);
        vm.refresh();
        vm.u8.set(bytes, at);
        at += bytes.length;
      });
      return 0;
    },
    args_sizes_get: (countPtr: number, sizePtr: number) => {
      vm.setU32(countPtr, 0);
      vm.setU32(sizePtr, 0);
      return 0;
    },
    args_get: () => 0,
    proc_exit: (code: number) => {
      world.log(vm, 4, `wasi proc_exit(${code}) called; Envoy only logs it`, "host");
    },
    sched_yield: () => 0,
    poll_oneoff: (_in: number, _out: number, _n: number, neventsPtr: number) => {
      vm.setU32(neventsPtr, 0);
      return 0;
    },
  };
}

function editMap(
  vm: Vm,
  type: number,
  kp: number,
  ks: number,
  vp: number,
  vs: number,
  edit: (map: HeaderMap, key: string, value: string) => void,
): number {
  if (type > 7) return Status.BadArgument;
  const key = vm.readString(kp, ks);
  const value = vm.readString(vp, vs);
  if (key === null || value === null) return Status.InvalidMemoryAccess;
  const c = vm.ctx();
  const map = c?.getMap(type, true);
  // Callout and gRPC maps are read-only in Envoy (getMap returns null for them).
  if (!map || type >= MapType.GrpcInitialMetadata) return Status.BadArgument;
  edit(map, key, value);
  return Status.Ok;
}

/** Envoy's foreign functions: verify_signature, clear_route_cache, set_envoy_filter_state. */
function foreign(vm: Vm, name: string, args: Uint8Array, c: GuestContext): Uint8Array | number {
  const custom = vm.world.foreignFunctions.get(name);
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
    if (!vm.world.envoyFilterStateKeys.has(key)) return Status.NotFound;
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

// Header and metadata maps: proxy_get_header_map_size/_pairs/_value,
// proxy_set_header_map_pairs, proxy_add/replace/remove_header_map_value.

import type { HeaderMap } from "../headers.ts";
import { MapType, Status } from "../status.ts";
import type { Vm } from "../vm.ts";
import { encodePairs, hostPairs, utf8 } from "../wire.ts";
import type { HostCallScope, HostCalls } from "./scope.ts";

const LAST_MAP_TYPE = MapType.HttpCallResponseTrailers;

export function mapCalls({ vm, need }: HostCallScope): HostCalls {
  return {
    proxy_get_header_map_size: (type: number, sp: number) => {
      // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, no context has a map past the last type (getMap answers null, so BadArgument) and the size call reads no guest memory before it; the last type itself, a callout's trailers, has no size either (Envoy asks for a writable map)
      if (type > LAST_MAP_TYPE) return Status.BadArgument;
      const map = need().getMap(type, true);
      if (!map) return Status.BadArgument;
      return vm.setU32(sp, map.byteSize()) ? Status.Ok : Status.InvalidMemoryAccess;
    },
    proxy_get_header_map_pairs: (type: number, pp: number, sp: number) => {
      if (type > LAST_MAP_TYPE) return Status.BadArgument;
      const map = need().getMap(type, false);
      return vm.copyOut(encodePairs(map ? map.pairs() : []), pp, sp);
    },
    proxy_set_header_map_pairs: (type: number, ptr: number, size: number) => {
      if (type > LAST_MAP_TYPE) return Status.BadArgument;
      const bytes = vm.read(ptr, size);
      if (!bytes) return Status.InvalidMemoryAccess;
      const pairs = hostPairs(bytes);
      const map = need().getMap(type, true);
      if (!map) return Status.BadArgument;
      map.replaceAll(pairs);
      requestHeadersChanged(vm, type);
      return Status.Ok;
    },
    proxy_get_header_map_value: (
      type: number,
      kp: number,
      ks: number,
      vpp: number,
      vsp: number,
    ) => {
      if (type > LAST_MAP_TYPE) return Status.BadArgument;
      const key = vm.readByteString(kp, ks);
      if (key === null) return Status.InvalidMemoryAccess;
      const map = need().getMap(type, false);
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
  if (type > LAST_MAP_TYPE) return Status.BadArgument;
  const key = vm.readByteString(kp, ks);
  const value = vm.readByteString(vp, vs);
  if (key === null || value === null) return Status.InvalidMemoryAccess;
  // Callout and gRPC maps are read-only in Envoy: the writable lookup gives null for them.
  const map = vm.ctx()?.getMap(type, true);
  if (!map) return Status.BadArgument;
  edit(map, key, value);
  requestHeadersChanged(vm, type);
  return Status.Ok;
}

/** Envoy clears the stream's route cache after every change an ABI 0.2.1 module makes to its
 *  request headers (the route is matched again on the new headers when next asked for). */
function requestHeadersChanged(vm: Vm, type: number): void {
  if (type !== MapType.HttpRequestHeaders) return;
  // Stryker disable next-line OptionalChaining: equivalent, only an HTTP stream has request headers, and every edit has checked its context had the map
  const state = vm.ctx()?.streamState();
  // Stryker disable next-line ConditionalExpression: equivalent, only an HTTP stream has request headers, and it always has stream state
  if (state) state.routeCacheCleared++;
}

// Header, trailer and metadata maps.
//
// A HeaderMap names one host map (request headers, response trailers, callout response
// headers, ...) and reads or writes it on the context the host is currently running.
// Names are lower-case in Envoy (HTTP/2 semantics), and pseudo-headers (":path",
// ":method", ":authority", ":scheme", ":status") are ordinary entries.

import {
  proxy_add_header_map_value,
  proxy_get_header_map_pairs,
  proxy_get_header_map_size,
  proxy_get_header_map_value,
  proxy_remove_header_map_value,
  proxy_replace_header_map_value,
  proxy_set_header_map_pairs,
} from "../abi/imports";
import { MapType, Status } from "../abi/types";
import { OUT_PTR, OUT_SIZE, clearOut, freeHostBuffer, ptrOf, takeOutBytes } from "../internal/memory";
import {
  Header,
  HeaderBytes,
  deserializeHeaderBytes,
  deserializeHeaders,
  serializeHeaderBytes,
  serializeHeaders,
} from "../internal/pairs";

/**
 * One of the host's header maps. Which callbacks may use it depends on the map:
 * request headers from onRequestHeaders on, response headers from onResponseHeaders on,
 * trailers in their trailers callback, callout response maps only in the callout's
 * response callback. Outside those, reads return null/empty and writes return a status.
 *
 * Example: `const ua = this.request.headers.get("user-agent");`
 */
export class HeaderMap {
  constructor(public readonly mapType: MapType) {}

  /** The value of `name`, or null when absent. With several values, the host joins them
   *  (Envoy: with ","); use getAll for each value. */
  get(name: string): string | null {
    const value = this.getBytes(String.UTF8.encode(name));
    return value === null ? null : String.UTF8.decode(value);
  }

  /** The value of `name` as bytes, or null when absent. `name` is UTF-8. */
  getBytes(name: ArrayBuffer): ArrayBuffer | null {
    clearOut();
    const status = proxy_get_header_map_value(
      this.mapType, ptrOf(name), name.byteLength, OUT_PTR, OUT_SIZE,
    );
    if (status != Status.Ok) return null;
    return takeOutBytes();
  }

  /** Whether `name` is present. */
  has(name: string): bool {
    return this.getBytes(String.UTF8.encode(name)) !== null;
  }

  /** Every value of `name`, in order (several `set-cookie` headers, say). */
  getAll(name: string): string[] {
    const all = this.pairs();
    const out = new Array<string>(0);
    const lower = name.toLowerCase();
    for (let i = 0; i < all.length; i++) {
      const h = unchecked(all[i]);
      if (h.name == lower) out.push(h.value);
    }
    return out;
  }

  /** Replaces every value of `name` with `value` (adds it when absent). */
  set(name: string, value: string): Status {
    return this.setBytes(String.UTF8.encode(name), String.UTF8.encode(value));
  }

  /** Bytes form of set. */
  setBytes(name: ArrayBuffer, value: ArrayBuffer): Status {
    return <Status>proxy_replace_header_map_value(
      this.mapType, ptrOf(name), name.byteLength, ptrOf(value), value.byteLength,
    );
  }

  /** Adds one more value of `name`, keeping the existing ones. */
  add(name: string, value: string): Status {
    return this.addBytes(String.UTF8.encode(name), String.UTF8.encode(value));
  }

  /** Bytes form of add. */
  addBytes(name: ArrayBuffer, value: ArrayBuffer): Status {
    return <Status>proxy_add_header_map_value(
      this.mapType, ptrOf(name), name.byteLength, ptrOf(value), value.byteLength,
    );
  }

  /** Removes every value of `name`. Removing an absent header is not an error. */
  remove(name: string): Status {
    return this.removeBytes(String.UTF8.encode(name));
  }

  /** Bytes form of remove. */
  removeBytes(name: ArrayBuffer): Status {
    return <Status>proxy_remove_header_map_value(this.mapType, ptrOf(name), name.byteLength);
  }

  /** The whole map, in order, as strings. Empty when the map is not available here. */
  pairs(): Header[] {
    clearOut();
    if (proxy_get_header_map_pairs(this.mapType, OUT_PTR, OUT_SIZE) != Status.Ok) {
      return new Array<Header>(0);
    }
    const ptr = load<usize>(OUT_PTR);
    const out = deserializeHeaders(ptr, load<u32>(OUT_SIZE));
    freeHostBuffer(ptr);
    return out;
  }

  /** The whole map as bytes. */
  pairsBytes(): HeaderBytes[] {
    clearOut();
    if (proxy_get_header_map_pairs(this.mapType, OUT_PTR, OUT_SIZE) != Status.Ok) {
      return new Array<HeaderBytes>(0);
    }
    const ptr = load<usize>(OUT_PTR);
    const out = deserializeHeaderBytes(ptr, load<u32>(OUT_SIZE));
    freeHostBuffer(ptr);
    return out;
  }

  /** The raw pairs block as the host serialized it. */
  pairsBlock(): ArrayBuffer {
    clearOut();
    if (proxy_get_header_map_pairs(this.mapType, OUT_PTR, OUT_SIZE) != Status.Ok) {
      return new ArrayBuffer(0);
    }
    return takeOutBytes();
  }

  /** Replaces the whole map. */
  setPairs(headers: Header[]): Status {
    const block = serializeHeaders(headers);
    return <Status>proxy_set_header_map_pairs(this.mapType, ptrOf(block), block.byteLength);
  }

  /** Bytes form of setPairs. */
  setPairsBytes(headers: HeaderBytes[]): Status {
    const block = serializeHeaderBytes(headers);
    return <Status>proxy_set_header_map_pairs(this.mapType, ptrOf(block), block.byteLength);
  }

  /** The map's size in bytes as the host counts it (Envoy: the sum of name and value
   *  lengths), or -1 when the map is not available. */
  byteSize(): i32 {
    store<u32>(OUT_SIZE, 0);
    if (proxy_get_header_map_size(this.mapType, OUT_SIZE) != Status.Ok) return -1;
    return <i32>load<u32>(OUT_SIZE);
  }
}

/** Request headers: from onRequestHeaders on (onLog too). */
export const requestHeaders = new HeaderMap(MapType.HttpRequestHeaders);
/** Request trailers: in onRequestTrailers. */
export const requestTrailers = new HeaderMap(MapType.HttpRequestTrailers);
/** Response headers: from onResponseHeaders on. */
export const responseHeaders = new HeaderMap(MapType.HttpResponseHeaders);
/** Response trailers: in onResponseTrailers. */
export const responseTrailers = new HeaderMap(MapType.HttpResponseTrailers);
/** Headers of a callout's response: only in onHttpCallResponse. */
export const httpCallResponseHeaders = new HeaderMap(MapType.HttpCallResponseHeaders);
/** Trailers of a callout's response: only in onHttpCallResponse. */
export const httpCallResponseTrailers = new HeaderMap(MapType.HttpCallResponseTrailers);
/** Initial metadata of a gRPC call or stream: only in onGrpcReceiveInitialMetadata. */
export const grpcInitialMetadata = new HeaderMap(MapType.GrpcReceiveInitialMetadata);
/** Trailing metadata of a gRPC call or stream: only in onGrpcReceiveTrailingMetadata. */
export const grpcTrailingMetadata = new HeaderMap(MapType.GrpcReceiveTrailingMetadata);

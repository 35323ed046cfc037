// Properties: Envoy's attributes (request.path, source.address, plugin_name, ...).
//
// Envoy encodes values by type: strings and bytes raw, integers as 8-byte little-endian,
// booleans as one byte, durations and timestamps as 8-byte nanoseconds, maps and messages
// as serialized protobuf. The typed helpers below decode the common ones.

import { proxy_get_property, proxy_set_property } from "../abi/imports";
import { Status } from "../abi/types";
import { writeBatches } from "../internal/current";
import {
  OUT_PTR,
  OUT_SIZE,
  armLanding,
  clearOut,
  disarmLanding,
  ensureRoom,
  freeHostBuffer,
  ptrOf,
  takeOutBytes,
} from "../internal/memory";
import { serializePath, splitPath } from "../internal/path";
import { decodeUtf8At } from "../utf8";

/**
 * A property path, encoded once: the one way to name a property. Reading costs one host call
 * and the result's copy. Safe (and best) as a top-level constant.
 * Example: `const USER = new PropertyPath(["metadata", "filter_metadata", "auth", "user"]);`
 */
export class PropertyPath {
  readonly encoded: ArrayBuffer;
  constructor(public readonly segments: string[]) {
    this.encoded = serializePath(segments);
  }
  /** A path from its dotted form ("request.path"); use segments when one contains a dot. */
  static of(dotted: string): PropertyPath {
    return new PropertyPath(splitPath(dotted));
  }
}

/** The raw value at `path`, or null when Envoy has no such attribute here. Legal in every
 *  callback; request attributes exist from onRequestHeaders on.
 *  Example: `getProperty(new PropertyPath(["filter_state", "wasm.my_key"]))` */
export function getProperty(path: PropertyPath): ArrayBuffer | null {
  if (!readInPlace(path.encoded)) return null;
  return takeOutBytes();
}

/** Reads the path whose wire form is `encoded` with the landing block armed; true when the
 *  host handed a value over (its pointer and size are then in OUT_PTR / OUT_SIZE, to read
 *  before the next host call and release with freeHostBuffer). The typed readers below
 *  decode it in place: no copy. */
function readInPlace(encoded: ArrayBuffer): bool {
  writeBatches(); // request.headers and the like read the maps
  clearOut();
  armLanding();
  const status = proxy_get_property(ptrOf(encoded), encoded.byteLength, OUT_PTR, OUT_SIZE);
  disarmLanding();
  return status == Status.Ok;
}

/** The value at `path` as UTF-8 (ill-formed bytes as U+FFFD; getProperty is exact), or null. */
export function getPropertyString(path: PropertyPath): string | null {
  return propertyStringAt(path.encoded);
}

/** getPropertyString for a path in its wire form (the SDK's own paths, see wirePath). */
export function propertyStringAt(encoded: ArrayBuffer): string | null {
  if (!readInPlace(encoded)) return null;
  const ptr = load<usize>(OUT_PTR);
  const size = load<u32>(OUT_SIZE);
  // A string takes two bytes per UTF-16 unit: up to twice the UTF-8.
  if (size > 0x8000) ensureRoom(<u64>size << 1, "decoding a property value");
  const text = decodeUtf8At(ptr, size);
  freeHostBuffer(ptr);
  return text;
}

/** The value at `path` decoded as a 64-bit integer (Envoy's int64/uint64 encoding), or
 *  `fallback` when absent or not 8 bytes long. */
export function getPropertyInt(path: PropertyPath, fallback: i64 = -1): i64 {
  return propertyIntAt(path.encoded, fallback);
}

function propertyIntAt(encoded: ArrayBuffer, fallback: i64): i64 {
  if (!readInPlace(encoded)) return fallback;
  const ptr = load<usize>(OUT_PTR);
  const value = load<u32>(OUT_SIZE) == 8 ? load<i64>(ptr) : fallback;
  freeHostBuffer(ptr);
  return value;
}

/** The value at `path` decoded as a boolean, or `fallback` when absent. */
export function getPropertyBool(path: PropertyPath, fallback: bool = false): bool {
  return propertyBoolAt(path.encoded, fallback);
}

function propertyBoolAt(encoded: ArrayBuffer, fallback: bool): bool {
  if (!readInPlace(encoded)) return fallback;
  const ptr = load<usize>(OUT_PTR);
  const value = load<u32>(OUT_SIZE) >= 1 ? load<u8>(ptr) != 0 : fallback;
  freeHostBuffer(ptr);
  return value;
}

/** Sets a property (Envoy: filter state under `wasm.` keys, readable by later filters and
 *  access logs). Returns the host's status. Stream callbacks only. */
export function setProperty(path: PropertyPath, value: ArrayBuffer): Status {
  const encoded = path.encoded;
  return <Status>proxy_set_property(ptrOf(encoded), encoded.byteLength, ptrOf(value), value.byteLength);
}

/** Sets a property to the UTF-8 of `value`. */
export function setPropertyString(path: PropertyPath, value: string): Status {
  return setProperty(path, String.UTF8.encode(value));
}

/** A path of the SDK's own in its wire form, segments joined by NUL ("request\0path"): one
 *  small block each, where a PropertyPath also keeps its segments, and a collection visits
 *  every block the SDK keeps, in every module. */
export function wirePath(joined: string): ArrayBuffer {
  return String.UTF8.encode(joined);
}

/** Typed helpers for Envoy's common attributes. Each returns null (or -1) when absent. */
// Paths of the typed helpers, encoded once.
const P_REQUEST_PATH = wirePath("request\0path");
const P_REQUEST_METHOD = wirePath("request\0method");
const P_REQUEST_HOST = wirePath("request\0host");
const P_REQUEST_PROTOCOL = wirePath("request\0protocol");
const P_REQUEST_ID = wirePath("request\0id");
const P_SOURCE_ADDRESS = wirePath("source\0address");
const P_DESTINATION_ADDRESS = wirePath("destination\0address");
const P_XDS_ROUTE_NAME = wirePath("xds\0route_name");
const P_XDS_CLUSTER_NAME = wirePath("xds\0cluster_name");
const P_PLUGIN_NAME = wirePath("plugin_name");
const P_PLUGIN_ROOT_ID = wirePath("plugin_root_id");
const P_PLUGIN_VM_ID = wirePath("plugin_vm_id");
const P_CONNECTION_REQUESTED_SERVER_NAME = wirePath("connection\0requested_server_name");
const P_UPSTREAM_ADDRESS = wirePath("upstream\0address");
const P_SOURCE_PORT = wirePath("source\0port");
const P_CONNECTION_ID = wirePath("connection\0id");
const P_RESPONSE_CODE = wirePath("response\0code");
const P_CONNECTION_MTLS = wirePath("connection\0mtls");

export namespace properties {
  /** The request path with query string (request.path). From onRequestHeaders on. */
  export function requestPath(): string | null {
    return propertyStringAt(P_REQUEST_PATH);
  }
  /** The request method (request.method). */
  export function requestMethod(): string | null {
    return propertyStringAt(P_REQUEST_METHOD);
  }
  /** The request host (request.host). */
  export function requestHost(): string | null {
    return propertyStringAt(P_REQUEST_HOST);
  }
  /** The request protocol, e.g. "HTTP/1.1" (request.protocol). */
  export function requestProtocol(): string | null {
    return propertyStringAt(P_REQUEST_PROTOCOL);
  }
  /** The request id Envoy assigned (request.id). */
  export function requestId(): string | null {
    return propertyStringAt(P_REQUEST_ID);
  }
  /** The downstream peer's address "ip:port" (source.address). */
  export function sourceAddress(): string | null {
    return propertyStringAt(P_SOURCE_ADDRESS);
  }
  /** The downstream peer's port (source.port). */
  export function sourcePort(): i64 {
    return propertyIntAt(P_SOURCE_PORT, -1);
  }
  /** The local address that accepted the connection (destination.address). */
  export function destinationAddress(): string | null {
    return propertyStringAt(P_DESTINATION_ADDRESS);
  }
  /** The matched route's name (xds.route_name; empty when the route has none). Envoy 1.40
   *  no longer serves the old top-level route_name. */
  export function routeName(): string | null {
    return propertyStringAt(P_XDS_ROUTE_NAME);
  }
  /** The upstream cluster chosen for the request (xds.cluster_name), from onRequestHeaders on.
   *  Envoy 1.40 no longer serves the old top-level cluster_name. */
  export function clusterName(): string | null {
    return propertyStringAt(P_XDS_CLUSTER_NAME);
  }
  /** This plugin's name from PluginConfig.name (plugin_name). */
  export function pluginName(): string | null {
    return propertyStringAt(P_PLUGIN_NAME);
  }
  /** This plugin's root id (plugin_root_id). */
  export function pluginRootId(): string | null {
    return propertyStringAt(P_PLUGIN_ROOT_ID);
  }
  /** The VM id (plugin_vm_id). */
  export function pluginVmId(): string | null {
    return propertyStringAt(P_PLUGIN_VM_ID);
  }
  /** The downstream connection's id (connection.id). */
  export function connectionId(): i64 {
    return propertyIntAt(P_CONNECTION_ID, -1);
  }
  /** Whether the downstream connection uses mutual TLS (connection.mtls). */
  export function connectionMtls(): bool {
    return propertyBoolAt(P_CONNECTION_MTLS, false);
  }
  /** The SNI the client asked for (connection.requested_server_name). */
  export function requestedServerName(): string | null {
    return propertyStringAt(P_CONNECTION_REQUESTED_SERVER_NAME);
  }
  /** The upstream host's address "ip:port" (upstream.address). From onResponseHeaders on. */
  export function upstreamAddress(): string | null {
    return propertyStringAt(P_UPSTREAM_ADDRESS);
  }
  /** The response status code (response.code), or -1. From onResponseHeaders on. */
  export function responseCode(): i64 {
    return propertyIntAt(P_RESPONSE_CODE, -1);
  }
}

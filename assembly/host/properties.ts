// Properties: Envoy's attributes (request.path, source.address, plugin_name, ...).
//
// Envoy encodes values by type: strings and bytes raw, integers as 8-byte little-endian,
// booleans as one byte, durations and timestamps as 8-byte nanoseconds, maps and messages
// as serialized protobuf. The typed helpers below decode the common ones.

import { proxy_get_property, proxy_set_property } from "../abi/imports";
import { Status } from "../abi/types";
import { OUT_PTR, OUT_SIZE, clearOut, ptrOf, takeOutBytes } from "../internal/memory";
import { serializePath, splitPath } from "../internal/path";

/** The raw value at `path` (segments), or null when Envoy has no such attribute here.
 *  Legal in every callback; request attributes exist from onRequestHeaders on.
 *  Example: `getProperty(["filter_state", "wasm.my_key"])` */
export function getProperty(path: string[]): ArrayBuffer | null {
  const encoded = serializePath(path);
  clearOut();
  const status = proxy_get_property(ptrOf(encoded), encoded.byteLength, OUT_PTR, OUT_SIZE);
  if (status != Status.Ok) return null;
  return takeOutBytes();
}

/** The value at a dotted path ("request.path") as UTF-8, or null. */
export function getPropertyString(dotted: string): string | null {
  const value = getProperty(splitPath(dotted));
  return value === null ? null : String.UTF8.decode(value);
}

/** The value at `path` decoded as a 64-bit integer (Envoy's int64/uint64 encoding), or
 *  `fallback` when absent or not 8 bytes long. */
export function getPropertyInt(path: string[], fallback: i64 = -1): i64 {
  const value = getProperty(path);
  if (value === null || value.byteLength != 8) return fallback;
  return load<i64>(changetype<usize>(value));
}

/** The value at `path` decoded as a boolean, or `fallback` when absent. */
export function getPropertyBool(path: string[], fallback: bool = false): bool {
  const value = getProperty(path);
  if (value === null || value.byteLength < 1) return fallback;
  return load<u8>(changetype<usize>(value)) != 0;
}

/** Sets a property (Envoy: filter state under `wasm.` keys, readable by later filters and
 *  access logs). Returns the host's status. */
export function setProperty(path: string[], value: ArrayBuffer): Status {
  const encoded = serializePath(path);
  return <Status>proxy_set_property(ptrOf(encoded), encoded.byteLength, ptrOf(value), value.byteLength);
}

/** Sets a property to the UTF-8 of `value`. */
export function setPropertyString(path: string[], value: string): Status {
  return setProperty(path, String.UTF8.encode(value));
}

/** Typed helpers for Envoy's common attributes. Each returns null (or -1) when absent. */
export namespace properties {
  /** The request path with query string (request.path). From onRequestHeaders on. */
  export function requestPath(): string | null {
    return getPropertyString("request.path");
  }
  /** The request method (request.method). */
  export function requestMethod(): string | null {
    return getPropertyString("request.method");
  }
  /** The request host (request.host). */
  export function requestHost(): string | null {
    return getPropertyString("request.host");
  }
  /** The request protocol, e.g. "HTTP/1.1" (request.protocol). */
  export function requestProtocol(): string | null {
    return getPropertyString("request.protocol");
  }
  /** The request id Envoy assigned (request.id). */
  export function requestId(): string | null {
    return getPropertyString("request.id");
  }
  /** The downstream peer's address "ip:port" (source.address). */
  export function sourceAddress(): string | null {
    return getPropertyString("source.address");
  }
  /** The downstream peer's port (source.port). */
  export function sourcePort(): i64 {
    return getPropertyInt(["source", "port"]);
  }
  /** The local address that accepted the connection (destination.address). */
  export function destinationAddress(): string | null {
    return getPropertyString("destination.address");
  }
  /** The matched route's name (xds.route_name; empty when the route has none). Envoy 1.40
   *  no longer serves the old top-level route_name. */
  export function routeName(): string | null {
    return getPropertyString("xds.route_name");
  }
  /** The upstream cluster chosen for the request (xds.cluster_name), from onRequestHeaders on.
   *  Envoy 1.40 no longer serves the old top-level cluster_name. */
  export function clusterName(): string | null {
    return getPropertyString("xds.cluster_name");
  }
  /** This plugin's name from PluginConfig.name (plugin_name). */
  export function pluginName(): string | null {
    return getPropertyString("plugin_name");
  }
  /** This plugin's root id (plugin_root_id). */
  export function pluginRootId(): string | null {
    return getPropertyString("plugin_root_id");
  }
  /** The VM id (plugin_vm_id). */
  export function pluginVmId(): string | null {
    return getPropertyString("plugin_vm_id");
  }
  /** The downstream connection's id (connection.id). */
  export function connectionId(): i64 {
    return getPropertyInt(["connection", "id"]);
  }
  /** Whether the downstream connection uses mutual TLS (connection.mtls). */
  export function connectionMtls(): bool {
    return getPropertyBool(["connection", "mtls"]);
  }
  /** The SNI the client asked for (connection.requested_server_name). */
  export function requestedServerName(): string | null {
    return getPropertyString("connection.requested_server_name");
  }
  /** The upstream host's address "ip:port" (upstream.address). From onResponseHeaders on. */
  export function upstreamAddress(): string | null {
    return getPropertyString("upstream.address");
  }
  /** The response status code (response.code), or -1. From onResponseHeaders on. */
  export function responseCode(): i64 {
    return getPropertyInt(["response", "code"]);
  }
}

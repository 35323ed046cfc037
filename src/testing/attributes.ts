// The attributes (Envoy properties) an HTTP stream and a TCP connection serve, by name, with
// when each is readable, as observed in Envoy 1.40: the downstream connection's and its
// listener's (source.*, destination.*, connection.*, connection_id) in every callback of either;
// for a stream, request.* header attributes only while the filter holds the request
// headers (and again in onLog); upstream.* once the router chose a host; response.code and
// code_details once a response exists; request.duration only in onLog; sizes as bytes so far
// (request.size: the content-length while the request headers are readable), total sizes with
// the byteSize of the header maps served at that point.
// A name not here is NotFound, as for TLS attributes on a plaintext connection.

import type { HeaderMap } from "./headers.ts";

/** The downstream connection: what feeds source.*, destination.*, connection.* and
 *  connection_id, for a stream as for a TCP connection. */
export interface DownstreamConnection {
  sourceAddress: string;
  destinationAddress: string;
  connectionId: number;
}

/** Connection and route facts that feed a stream's source.*, destination.*, connection.*,
 *  upstream.* and xds.*. */
export interface ConnectionInfo extends DownstreamConnection {
  upstreamAddress: string;
  clusterName: string;
  routeName: string;
  virtualHostName: string;
  /** xds.node: the serialized envoy.config.core.v3.Node. */
  node: Uint8Array;
  /** xds.upstream_host_metadata: the serialized Metadata of the chosen host, or null when the
   *  host has none. */
  upstreamHostMetadata: Uint8Array | null;
}

/** What the attributes of one stream are computed from. */
export interface StreamFacts {
  /** Request headers while readable (held by the filter, or in onLog); else null. */
  readonly requestHeaders: HeaderMap | null;
  /** Response headers while readable; else null. */
  readonly responseHeaders: HeaderMap | null;
  /** The response headers, readable or not (response.code, grpc_status). */
  readonly response: HeaderMap | null;
  readonly responseTrailers: HeaderMap | null;
  /** Body bytes received from the client so far. */
  readonly requestBodyBytes: number;
  /** Body bytes sent to the client so far. */
  readonly responseBodyBytes: number;
  /** The router chose an upstream host. */
  readonly upstreamChosen: boolean;
  /** Why the response is what it is ("via_upstream", a local reply's details). */
  readonly responseDetails: string | null;
  /** In the access-log phase (onLog). */
  readonly accessLog: boolean;
  readonly connection: ConnectionInfo;
  /** Virtual time: when the stream started and now (ns since the epoch). */
  readonly startedAtNanos: bigint;
  readonly nowNanos: bigint;
}

/** An attribute's value, or the status Envoy answers instead (filter_state: a
 *  SerializationFailure). */
export type AttributeValue =
  | string
  | number
  | bigint
  | boolean
  | Uint8Array
  | Array<[string, string]>
  | { status: number };

/** An empty protobuf message: the metadata attributes of a configuration that sets none. */
const EMPTY_MESSAGE = new Uint8Array(0);

type Attribute = (f: StreamFacts) => AttributeValue | undefined;
type ConnectionAttribute = (c: DownstreamConnection) => AttributeValue | undefined;

function portOf(address: string): bigint | undefined {
  const at = address.lastIndexOf(":");
  return at < 0 ? undefined : BigInt(address.slice(at + 1));
}

function query(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  const at = path.indexOf("?");
  return at < 0 ? "" : path.slice(at + 1);
}

/** Envoy's gRPC status for a response: its grpc-status, else the one its HTTP status maps to. */
function grpcStatus(f: StreamFacts): bigint | undefined {
  if (!f.response) return undefined;
  const given = f.responseTrailers?.get("grpc-status") ?? f.response.get("grpc-status");
  // Stryker disable next-line ConditionalExpression: equivalent, the check is for the compiler: "undefined" is no number
  if (given !== undefined && /^\d+$/.test(given)) return BigInt(given);
  switch (Number(f.response.get(":status"))) {
    case 400:
      return 13n; // INTERNAL
    case 401:
      return 16n; // UNAUTHENTICATED
    case 403:
      return 7n; // PERMISSION_DENIED
    case 404:
      return 12n; // UNIMPLEMENTED
    case 429:
    case 502:
    case 503:
    case 504:
      return 14n; // UNAVAILABLE
    default:
      return 2n; // UNKNOWN
  }
}

const fromRequest =
  (read: (h: HeaderMap) => string | undefined): Attribute =>
  (f) =>
    f.requestHeaders ? read(f.requestHeaders) : undefined;

const afterRouter =
  (read: (f: StreamFacts) => AttributeValue | undefined): Attribute =>
  (f) =>
    f.upstreamChosen ? read(f) : undefined;

/** The attributes of the downstream connection and its listener, by dotted name: a TCP
 *  connection serves these, a stream these among the rest. */
export const CONNECTION_ATTRIBUTES: Readonly<Record<string, ConnectionAttribute>> = {
  "source.address": (c) => c.sourceAddress,
  "source.port": (c) => portOf(c.sourceAddress),
  "destination.address": (c) => c.destinationAddress,
  "destination.port": (c) => portOf(c.destinationAddress),
  "connection.id": (c) => BigInt(c.connectionId),
  // The same uint64 under its top-level name.
  connection_id: (c) => BigInt(c.connectionId),
  "connection.mtls": () => false,
  "connection.requested_server_name": () => "",
  // A stream's dynamic metadata and filter state, or a TCP connection's: Envoy's filters here
  // set none.
  metadata: () => EMPTY_MESSAGE,
  filter_state: () => ({ status: 3 }),
  "xds.listener_direction": () => 0n,
  "xds.filter_chain_name": () => "",
};

/** The connection attributes as a stream serves them: from its connection. */
const STREAM_CONNECTION_ATTRIBUTES: Record<string, Attribute> = Object.fromEntries(
  Object.entries(CONNECTION_ATTRIBUTES).map(([name, read]) => [
    name,
    (f: StreamFacts) => read(f.connection),
  ]),
);

/** Every HTTP attribute the emulator serves, by dotted name. */
export const HTTP_ATTRIBUTES: Readonly<Record<string, Attribute>> = {
  ...STREAM_CONNECTION_ATTRIBUTES,
  "request.path": fromRequest((h) => h.get(":path")),
  "request.url_path": fromRequest((h) => h.get(":path")?.split("?")[0]),
  "request.host": fromRequest((h) => h.get(":authority")),
  "request.scheme": fromRequest((h) => h.get(":scheme")),
  "request.method": fromRequest((h) => h.get(":method")),
  "request.referer": fromRequest((h) => h.get("referer")),
  "request.useragent": fromRequest((h) => h.get("user-agent")),
  "request.id": fromRequest((h) => h.get("x-request-id")),
  "request.query": fromRequest((h) => query(h.get(":path"))),
  // Header maps are served in every callback: empty while not readable.
  "request.headers": (f) => f.requestHeaders?.pairs() ?? [],
  "request.protocol": () => "HTTP/1.1",
  "request.time": (f) => f.startedAtNanos,
  "request.duration": (f) => (f.accessLog ? f.nowNanos - f.startedAtNanos : undefined),
  // Envoy answers the content-length while the request headers are at hand.
  "request.size": (f) => {
    const announced = f.requestHeaders?.get("content-length");
    // Stryker disable next-line ConditionalExpression: equivalent, the check is for the compiler: "undefined" is no number
    return announced !== undefined && /^\d+$/.test(announced)
      ? BigInt(announced)
      : BigInt(f.requestBodyBytes);
  },
  "request.total_size": (f) => BigInt((f.requestHeaders?.byteSize() ?? 0) + f.requestBodyBytes),
  "response.code": (f) => (f.response ? Number(f.response.get(":status") ?? 0) : undefined),
  "response.code_details": (f) => f.responseDetails ?? undefined,
  "response.flags": () => 0n,
  "response.grpc_status": grpcStatus,
  "response.headers": (f) => f.responseHeaders?.pairs() ?? [],
  "response.trailers": (f) => (f.accessLog ? f.responseTrailers?.pairs() : undefined) ?? [],
  "response.size": (f) => BigInt(f.responseBodyBytes),
  "response.total_size": (f) => BigInt((f.responseHeaders?.byteSize() ?? 0) + f.responseBodyBytes),
  "upstream.address": afterRouter((f) => f.connection.upstreamAddress),
  "upstream.port": afterRouter((f) => portOf(f.connection.upstreamAddress)),
  "upstream.request_attempt_count": (f) => (f.upstreamChosen ? 1n : 0n),
  "upstream.transport_failure_reason": afterRouter(() => ""),
  "upstream.locality": afterRouter(() => EMPTY_MESSAGE),
  // Envoy 1.40 has these under xds.* only; the old top-level cluster_name is gone.
  "xds.cluster_name": (f) => f.connection.clusterName,
  "xds.route_name": (f) => f.connection.routeName,
  "xds.virtual_host_name": (f) => f.connection.virtualHostName,
  "xds.node": (f) => f.connection.node,
  // Before the router chose a host: NotFound; a host without metadata: SerializationFailure.
  "xds.upstream_host_metadata": afterRouter(
    (f) => f.connection.upstreamHostMetadata ?? { status: 3 },
  ),
  "xds.cluster_metadata": () => EMPTY_MESSAGE,
  "xds.route_metadata": () => EMPTY_MESSAGE,
  "xds.listener_metadata": () => EMPTY_MESSAGE,
  "xds.virtual_host_metadata": () => EMPTY_MESSAGE,
};

/** The plugin attributes every context serves. */
export const PLUGIN_ATTRIBUTES = ["plugin_name", "plugin_root_id", "plugin_vm_id"] as const;

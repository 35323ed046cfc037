// What createHost takes: the plugin's settings (the shape the Envoy runner takes too) and the
// test host's own (workers, upstream, callout clusters, properties, the clock, failures).

import type { HostMetadata, HttpLimits, NodeInfo, RouteNames } from "../connection-manager.ts";
import type { PluginSettings, StatsTag } from "../plugin.ts";
import type { GrpcHandler, HttpCallHandler } from "./callouts.ts";
import type { Coverage } from "./coverage.ts";
import type { UpstreamHandler } from "./exchange.ts";
import type { HostCallFailure } from "./failures.ts";
import type { LogLevelName } from "./status.ts";
import type { WasmModule } from "./wasm-api.ts";
import type { PropertyValue } from "./world.ts";

/** The plugin's settings (the shape the Envoy runner takes too) and the test host's own. */
export interface HostOptions extends Omit<PluginSettings, "name"> {
  /** The compiled filter: a path, the bytes, or a compiled WebAssembly.Module. */
  module: string | Uint8Array | WasmModule;
  /** PluginConfig name (plugin_name). Default "test". */
  name?: string;
  /** Worker threads, each with its own VM instance. Default 1. */
  workers?: number;
  /** Envoy's wasm log level; messages below it are dropped. Default "info", like Envoy. */
  logLevel?: LogLevelName;
  /** Properties by dotted path ("source.address"); they override the host's values. */
  properties?: Record<string, PropertyValue>;
  /** Bootstrap stats_tags, for prometheus(). */
  statsTags?: StatsTag[];
  /** Callout clusters: a base URL (a real server) or a handler. */
  clusters?: Record<string, string | HttpCallHandler>;
  /** gRPC clusters: a handler, or a real h2c server's base URL. */
  grpcClusters?: Record<string, string | GrpcHandler>;
  /** Where request() sends what passes the filter: a handler or a real server's base URL.
   *  Default: an echo that answers with a JSON description of the request. */
  upstream?: string | UpstreamHandler;
  /** Host-side foreign functions (in addition to Envoy's). */
  foreignFunctions?: Record<string, (args: Uint8Array) => Uint8Array | number>;
  /** Virtual clock start (ms since the epoch). Default: now. */
  startTimeMs?: number;
  /** The CAS token the first write of shared data takes. Default 1, as in Envoy, whose
   *  counter is 32 bits and gives 1 after 0xffffffff: start near 2^32 to see a filter at the
   *  wrap. */
  sharedDataCas?: number;
  /** Record host calls and callbacks here (the conformance suite shares one). */
  coverage?: Coverage;
  /** The names of the route requests take (xds.cluster_name, xds.route_name,
   *  xds.virtual_host_name); default cluster "upstream", an unnamed route, virtual host "all". */
  route?: RouteNames;
  /** The connection manager's limits (431, 426, 413, and 500 for a response body buffered
   *  past the buffer limit); Envoy's defaults unless given. */
  limits?: HttpLimits;
  /** The bootstrap's node (`xds.node`): id, cluster, metadata. Default: none set. */
  node?: NodeInfo;
  /** The upstream endpoint's metadata by filter namespace (`xds.upstream_host_metadata`). */
  upstreamHostMetadata?: HostMetadata;
  /** The upstream speaks HTTP/2 (its response trailers reach the filter). Default false:
   *  HTTP/1.1, whose trailers Envoy drops. */
  upstreamHttp2?: boolean;
  /** Host calls that fail on purpose with a chosen status instead of running (from the VM's
   *  start on): to test what the filter does when Envoy refuses a call. See HostCallFailure;
   *  Host.failHostCalls arms more later. */
  failHostCalls?: HostCallFailure[];
  /** More plugins in the same VM, as Envoy runs plugins whose VM settings (vm_id, code, VM
   *  configuration) are the same: each gets its own root context, started as Envoy starts
   *  every plugin (proxy_on_vm_start, then proxy_on_configure). A stream or connection names
   *  its plugin (`plugin`); the default is the host's own. */
  sharedVm?: SharedPlugin[];
}

/** A plugin sharing the host's VM: its own name, root_id and configuration. */
export type SharedPlugin = Pick<
  PluginSettings,
  "name" | "rootId" | "configuration" | "failurePolicy" | "allowOnHeadersStopIteration"
>;

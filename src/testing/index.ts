// meshwasm/testing: run a compiled proxy-wasm filter in Node the way Envoy runs it.
//
//   import { createHost } from "meshwasm/testing";
//   const host = await createHost({ module: "build/hello.wasm", configuration: { value: "hi" } });
//   const res = await host.request({ path: "/" });

export type { HttpLimits, RouteNames } from "../connection-manager.ts";
export type {
  FailurePolicy,
  PluginConfiguration,
  PluginSettings,
  StatsTag,
} from "../plugin.ts";
export type {
  GrpcCall,
  GrpcHandler,
  GrpcReply,
  HttpCall,
  HttpCallHandler,
  HttpCallReply,
} from "./callouts.ts";
export { Coverage } from "./coverage.ts";
export type {
  Exchange,
  RequestInit,
  UpstreamHandler,
  UpstreamRequest,
  UpstreamResponse,
} from "./exchange.ts";
export type { ArmedFailure, FailureStatusName, HostCallFailure } from "./failures.ts";
export { HeaderMap, type HeadersInit } from "./headers.ts";
export { createHost, Host, type HostOptions, type SharedPlugin } from "./host.ts";
export type { PassedMessage, Step } from "./http.ts";
export {
  type ActionName,
  type LogLevelName,
  PluginStartError,
  WasmLoadError,
  WasmTrapError,
} from "./status.ts";
export { TcpConnection } from "./tcp.ts";
export { TestStream } from "./test-stream.ts";
export type { LocalReply } from "./vm.ts";
export type { LogEntry, PropertyValue } from "./world.ts";

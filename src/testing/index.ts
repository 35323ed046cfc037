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
export type { ArmedFailure, FailureStatusName, HostCallFailure } from "./failures.ts";
export { HeaderMap, type HeadersInit } from "./headers.ts";
export {
  createHost,
  type Exchange,
  Host,
  type HostOptions,
  type RequestInit,
  type SharedPlugin,
  TestStream,
  type UpstreamHandler,
  type UpstreamRequest,
  type UpstreamResponse,
} from "./host.ts";
export type { PassedMessage, Step } from "./http.ts";
export {
  type ActionName,
  type LogLevelName,
  PluginStartError,
  WasmLoadError,
  WasmTrapError,
} from "./status.ts";
export { TcpConnection } from "./tcp.ts";
export type { LocalReply } from "./vm.ts";
export type { LogEntry, PropertyValue } from "./world.ts";

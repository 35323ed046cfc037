// meshwasm: the AssemblyScript SDK for proxy-wasm filters (ABI 0.2.1).
//
// import { RootContext, HttpContext, registerRootContext, Action, log } from "meshwasm/assembly";
// export * from "meshwasm/assembly/exports";   // the entry file must re-export the dispatcher

export {
  Action,
  BufferType,
  GrpcStatus,
  LogLevel,
  MapType,
  MetricType,
  PeerType,
  Status,
  StreamType,
} from "./abi/types";
export {
  Context,
  HttpContext,
  HttpMessage,
  RootContext,
  RootFactory,
  StreamContext,
  Timer,
  registerRootContext,
  request,
  response,
} from "./context";
export { Header, HeaderBytes, serializeHeaders, deserializeHeadersFrom } from "./internal/pairs";
export { serializePath } from "./internal/path";
export {
  HeaderMap,
  grpcInitialMetadata,
  grpcTrailingMetadata,
  httpCallResponseHeaders,
  httpCallResponseTrailers,
  requestHeaders,
  requestTrailers,
  responseHeaders,
  responseTrailers,
} from "./host/headers";
export {
  Buffer,
  downstreamData,
  foreignCallData,
  grpcReceiveBuffer,
  httpCallResponseBody,
  pluginConfiguration,
  requestBody,
  responseBody,
  upstreamData,
  vmConfiguration,
} from "./host/buffers";
export { getLogLevel, isLogEnabled, log, logAt } from "./host/log";
export { currentTimeMillis, currentTimeNanos } from "./host/time";
export {
  PropertyPath,
  readProperty,
  readPropertyBool,
  readPropertyInt,
  readPropertyString,
  getProperty,
  getPropertyBool,
  getPropertyInt,
  getPropertyString,
  properties,
  setProperty,
  setPropertyString,
} from "./host/properties";
export {
  HostStatus,
  closeStream,
  continueRequest,
  continueResponse,
  continueStream,
  getStatus,
  sendLocalResponse,
  sendLocalResponseBytes,
} from "./host/stream";
export {
  Dequeued,
  QueueId,
  SharedValue,
  addSharedCounter,
  dequeueSharedQueue,
  enqueueSharedQueue,
  getSharedData,
  registerSharedQueue,
  resolveSharedQueue,
  setSharedData,
} from "./host/shared";
export { Counter, Gauge, Histogram, Metric, taggedName } from "./host/metrics";
export { Dispatch, grpcCancel, grpcClose, grpcSend } from "./host/callouts";
export {
  ForeignResult,
  SignatureCheck,
  callForeignFunction,
  clearRouteCache,
  setEnvoyFilterState,
  verifySignature,
} from "./host/foreign";
export { panic } from "./internal/panic";

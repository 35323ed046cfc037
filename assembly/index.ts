// meshwasm: the AssemblyScript SDK for proxy-wasm filters (ABI 0.2.1). Everything a filter
// uses, one spelling each; assembly/README.md says where each is legal.
//
// import { RootContext, HttpContext, registerRootContext, Action, log } from "meshwasm/assembly";
// export * from "meshwasm/assembly/exports";   // the entry file must re-export the dispatcher

// The ABI's enums, with the ABI's names and values.
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

// Contexts. Request and response (headers, body, trailers) are reached through
// `this.request` / `this.response` of an HttpContext; TCP data through `this.downstream` /
// `this.upstream` of a StreamContext; local replies and resuming are HttpContext methods.
export {
  BodyLength,
  Context,
  DEFAULT_BODY_LIMIT,
  HttpContext,
  HttpMessage,
  Overflow,
  RootContext,
  StreamContext,
  Timer,
  httpCallResponse,
} from "./context";
export { RootFactory, registerRootContext } from "./registry";
// Which per-stream callbacks a configuration needs (RootContext.neededCallbacks).
export { CallbackNeeds, StreamCallbacks } from "./callbacks";
// Several filters in one module (the entry `meshwasm build --chain` writes calls registerChain).
export { ChainRoot, ChainStream, registerChain } from "./chain";

// Headers, bodies and the maps of callout and gRPC answers.
export { Header, HeaderBytes } from "./internal/pairs";
export { Protected } from "./internal/headercheck";
export { HeaderMap, grpcInitialMetadata, grpcTrailingMetadata } from "./host/headers";
export { Buffer, foreignCallData, grpcReceiveBuffer } from "./host/buffers";

// Bytes and text.
export { ByteReplacer, indexOfBytes, replaceAllBytes } from "./bytes";
export { decodeUtf8, decodeUtf8Strict, isValidUtf8 } from "./utf8";

// Configuration and JSON.
export { ConfigReader, readConfig } from "./config";
export {
  JsonArray,
  JsonBool,
  JsonError,
  JsonKind,
  JsonNull,
  JsonNumber,
  JsonObject,
  JsonParseResult,
  JsonString,
  JsonValue,
  parseJson,
  parseJsonString,
  quoteJsonString,
  stringifyJson,
} from "./json";

// Host services.
export { log } from "./host/log";
export { currentTimeMillis, currentTimeNanos } from "./host/time";
export {
  PropertyPath,
  getProperty,
  getPropertyBool,
  getPropertyInt,
  getPropertyString,
  properties,
  setProperty,
  setPropertyString,
} from "./host/properties";
export { HostStatus, getStatus } from "./host/stream";
export {
  Dequeued,
  QueueId,
  SharedValue,
  absentCas,
  addSharedCounter,
  createSharedData,
  dequeueSharedQueue,
  enqueueSharedQueue,
  getSharedData,
  getSharedDataBytes,
  registerSharedQueue,
  resolveSharedQueue,
  setSharedData,
  setSharedDataBytes,
} from "./host/shared";
export { Counter, Gauge, Histogram, Metric, taggedName } from "./host/metrics";
export {
  DEFAULT_LABEL_LIMIT,
  DropListener,
  Dropped,
  Labels,
  OTHER_VALUE,
  encodeLabelValue,
  labelNameProblem,
  statsTagRegex,
} from "./labels";
export { CounterFamily, GaugeFamily, HistogramFamily, MetricFamily } from "./metrics";
export { Dispatch, grpcCancel, grpcClose, grpcSend } from "./host/callouts";
export {
  ForeignResult,
  SignatureCheck,
  callForeignFunction,
  clearRouteCache,
  setEnvoyFilterState,
  verifySignature,
} from "./host/foreign";
export { setMemoryLimit } from "./internal/memory";

// Enumerations of the proxy-wasm ABI 0.2.1, with the exact wire values.
// Envoy's richer header/data statuses are included where it accepts them.

/** What a stream callback tells the host to do next. */
export enum Action {
  /** Pass the headers, data or trailers on to the next filter. */
  Continue = 0,
  /**
   * Stop here. On headers Envoy turns this into StopAllIterationAndWatermark (the body is
   * buffered up to the connection limit) unless `allow_on_headers_stop_iteration` is set.
   */
  Pause = 1,
  /** Headers only: pass the headers on and end the stream (Envoy's ContinueAndEndStream). */
  ContinueAndEndStream = 2,
  /** Headers only: stop and buffer everything that follows (Envoy's StopAllIterationAndBuffer). */
  StopAllIterationAndBuffer = 3,
  /** Headers only: stop and buffer up to the watermark (Envoy's StopAllIterationAndWatermark). */
  StopAllIterationAndWatermark = 4,
}

/** proxy_status_t: the result of every host call. */
export enum Status {
  Ok = 0,
  NotFound = 1,
  BadArgument = 2,
  SerializationFailure = 3,
  ParseFailure = 4,
  InvalidMemoryAccess = 6,
  Empty = 7,
  CasMismatch = 8,
  InternalFailure = 10,
  Unimplemented = 12,
}

/** proxy_log_level_t. */
export enum LogLevel {
  Trace = 0,
  Debug = 1,
  Info = 2,
  Warn = 3,
  Error = 4,
  Critical = 5,
}

/** proxy_buffer_type_t: which byte buffer a buffer call reads or writes. */
export enum BufferType {
  HttpRequestBody = 0,
  HttpResponseBody = 1,
  DownstreamData = 2,
  UpstreamData = 3,
  HttpCallResponseBody = 4,
  GrpcReceiveBuffer = 5,
  VmConfiguration = 6,
  PluginConfiguration = 7,
  CallData = 8,
}

/** proxy_map_type_t: which header or metadata map a map call reads or writes. */
export enum MapType {
  HttpRequestHeaders = 0,
  HttpRequestTrailers = 1,
  HttpResponseHeaders = 2,
  HttpResponseTrailers = 3,
  GrpcReceiveInitialMetadata = 4,
  GrpcReceiveTrailingMetadata = 5,
  HttpCallResponseHeaders = 6,
  HttpCallResponseTrailers = 7,
}

/** proxy_stream_type_t: the direction resumed or closed by continueStream/closeStream. */
export enum StreamType {
  HttpRequest = 0,
  HttpResponse = 1,
  Downstream = 2,
  Upstream = 3,
}

/** proxy_metric_type_t. */
export enum MetricType {
  Counter = 0,
  Gauge = 1,
  Histogram = 2,
}

/** proxy_peer_type_t: who closed a connection. */
export enum PeerType {
  Unknown = 0,
  Local = 1,
  Remote = 2,
}

/** gRPC status codes, as used by local replies and gRPC call completion. */
export enum GrpcStatus {
  Ok = 0,
  Cancelled = 1,
  Unknown = 2,
  InvalidArgument = 3,
  DeadlineExceeded = 4,
  NotFound = 5,
  AlreadyExists = 6,
  PermissionDenied = 7,
  ResourceExhausted = 8,
  FailedPrecondition = 9,
  Aborted = 10,
  OutOfRange = 11,
  Unimplemented = 12,
  Internal = 13,
  Unavailable = 14,
  DataLoss = 15,
  Unauthenticated = 16,
  /** Not a gRPC status: tells sendLocalResponse to send a plain HTTP reply. */
  None = -1,
}

// Byte buffers: bodies, connection data, configuration, callout bodies, gRPC messages.

import {
  proxy_get_buffer_bytes,
  proxy_get_buffer_status,
  proxy_set_buffer_bytes,
} from "../abi/imports";
import { BufferType, Status } from "../abi/types";
import {
  OUT_EXTRA,
  OUT_PTR,
  OUT_SIZE,
  armLanding,
  clearOut,
  disarmLanding,
  ptrOf,
  takeOutBytes,
} from "../internal/memory";
import { decodeUtf8 } from "../utf8";
import { log } from "./log";

/** `start` at or past the end appends (the host clamps it). */
const APPEND_AT: usize = 0x7fff_ffff;

/**
 * One of the host's byte buffers. Availability depends on the callback: the request body
 * in onRequestBody, the response body in onResponseBody, downstream/upstream data in the
 * stream data callbacks, the plugin configuration in onConfigure, the VM configuration in
 * onVmStart, a callout's body in onHttpCallResponse, a gRPC message in onGrpcReceive.
 *
 * Example: `const body = this.request.body.readString();`
 */
export class Buffer {
  /** The length as the host announced it to the running callback (-1: ask the host). The
   *  dispatcher sets it on entry to a body or data callback and clears it on exit; writes
   *  keep it current. It saves a host call per replace. */
  knownLength: i32 = -1;
  /** Set by the dispatcher while a body buffered with BodyLength.Kept is delivered: its
   *  Content-Length went on with the headers, so a write may not change its length. */
  lengthKept: bool = false;

  constructor(public readonly bufferType: BufferType) {}

  /** Whether a write taking the body from `from` to `to` bytes must be refused (the length
   *  is kept); logs why when it is. */
  private refused(from: i32, to: i32): bool {
    if (!this.lengthKept || from == to) return false;
    log.warn(
      "meshwasm: refused a {} body write: the body keeps its length ({} bytes, sent on as Content-Length; BodyLength.Kept), the write would make it {} bytes",
      this.bufferType == BufferType.HttpRequestBody ? "request" : "response",
      from.toString(),
      to.toString(),
    );
    return true;
  }

  /** The buffer's current length, or -1 when it is not available here. */
  length(): i32 {
    if (this.knownLength >= 0) return this.knownLength;
    clearOut();
    if (proxy_get_buffer_status(this.bufferType, OUT_SIZE, OUT_EXTRA) != Status.Ok) return -1;
    return <i32>load<u32>(OUT_SIZE);
  }

  /** Up to `maxSize` bytes from `start` (default: everything). Empty when unavailable. */
  read(start: usize = 0, maxSize: usize = 0x7fff_ffff): ArrayBuffer {
    clearOut();
    armLanding();
    const status = proxy_get_buffer_bytes(this.bufferType, start, maxSize, OUT_PTR, OUT_SIZE);
    disarmLanding();
    if (status != Status.Ok) return new ArrayBuffer(0);
    return takeOutBytes();
  }

  /** The buffer decoded as UTF-8, ill-formed bytes as U+FFFD (so the string may not give
   *  the same bytes back: to rewrite a body, work on read() with the tools in bytes.ts). */
  readString(start: usize = 0, maxSize: usize = 0x7fff_ffff): string {
    return decodeUtf8(this.read(start, maxSize));
  }

  /** Replaces the whole buffer with `data`. */
  replace(data: ArrayBuffer): Status {
    const current = this.length();
    if (current < 0) return Status.NotFound;
    if (this.refused(current, data.byteLength)) return Status.BadArgument;
    const status = <Status>proxy_set_buffer_bytes(
      this.bufferType, 0, <usize>current, ptrOf(data), data.byteLength,
    );
    if (this.knownLength >= 0) this.knownLength = status == Status.Ok ? data.byteLength : -1;
    return status;
  }

  /** Replaces the whole buffer with the UTF-8 of `text`. */
  replaceString(text: string): Status {
    return this.replace(String.UTF8.encode(text));
  }

  /** Appends `data` to the buffer. */
  append(data: ArrayBuffer): Status {
    if (this.lengthKept && this.refused(this.length(), this.length() + data.byteLength)) {
      return Status.BadArgument;
    }
    const status = <Status>proxy_set_buffer_bytes(
      this.bufferType, APPEND_AT, 0, ptrOf(data), data.byteLength,
    );
    this.grew(status, data.byteLength);
    return status;
  }

  private grew(status: Status, by: i32): void {
    if (this.knownLength >= 0) this.knownLength = status == Status.Ok ? this.knownLength + by : -1;
  }

  /** Appends the UTF-8 of `text`. */
  appendString(text: string): Status {
    return this.append(String.UTF8.encode(text));
  }

  /** Inserts `data` before the buffer's bytes. */
  prepend(data: ArrayBuffer): Status {
    if (this.lengthKept && this.refused(this.length(), this.length() + data.byteLength)) {
      return Status.BadArgument;
    }
    const status = <Status>proxy_set_buffer_bytes(this.bufferType, 0, 0, ptrOf(data), data.byteLength);
    this.grew(status, data.byteLength);
    return status;
  }

  /** Replaces `length` bytes from `start` with `data` (start 0 only, as Envoy allows). */
  splice(start: usize, length: usize, data: ArrayBuffer): Status {
    if (this.lengthKept) {
      const current = this.length();
      // The host clamps the range to the buffer.
      const from = start < <usize>current ? start : <usize>current;
      const cut = length < <usize>current - from ? length : <usize>current - from;
      const after = <i32>(<usize>current - cut + <usize>data.byteLength);
      if (this.refused(current, after)) return Status.BadArgument;
    }
    this.knownLength = -1;
    return <Status>proxy_set_buffer_bytes(this.bufferType, start, length, ptrOf(data), data.byteLength);
  }
}

export const requestBody = new Buffer(BufferType.HttpRequestBody);
export const responseBody = new Buffer(BufferType.HttpResponseBody);
export const downstreamData = new Buffer(BufferType.DownstreamData);
export const upstreamData = new Buffer(BufferType.UpstreamData);
export const httpCallResponseBody = new Buffer(BufferType.HttpCallResponseBody);
export const grpcReceiveBuffer = new Buffer(BufferType.GrpcReceiveBuffer);
export const vmConfiguration = new Buffer(BufferType.VmConfiguration);
export const pluginConfiguration = new Buffer(BufferType.PluginConfiguration);
export const foreignCallData = new Buffer(BufferType.CallData);

// The host-side contexts: what each host call reads and writes depends on the context that is
// current (or effective). GuestContext has Envoy's defaults for a root context; HTTP streams
// and TCP connections override what they own.

import type { HeaderMap } from "./headers.ts";
import { BufferType, MapType, Status } from "./status.ts";
import type { Vm } from "./vm.ts";
import type { Pairs } from "./wire.ts";

/** A host byte buffer with Envoy's proxy_set_buffer_bytes rules. */
export class ByteBuffer {
  constructor(
    public bytes: Uint8Array,
    readonly mutable = true,
  ) {}

  /** start 0: drop `length` bytes then prepend; start ≥ size: append; otherwise BadArgument. */
  copyFrom(start: number, length: number, data: Uint8Array): number {
    if (!this.mutable) return Status.BadArgument;
    if (start === 0) {
      const rest = this.bytes.subarray(Math.min(length, this.bytes.length));
      const out = new Uint8Array(data.length + rest.length);
      out.set(data, 0);
      out.set(rest, data.length);
      this.bytes = out;
      return Status.Ok;
    }
    if (start >= this.bytes.length) {
      const out = new Uint8Array(this.bytes.length + data.length);
      out.set(this.bytes, 0);
      out.set(data, this.bytes.length);
      this.bytes = out;
      return Status.Ok;
    }
    return Status.BadArgument;
  }
}

/** A local reply a filter asked for. */
export interface LocalReply {
  status: number;
  body: string;
  headers: Pairs;
  details: string;
  grpcStatus: number | null;
}

/** Base of the host-side contexts. Defaults are what Envoy does for a root context. */
export abstract class GuestContext {
  constructor(
    readonly vm: Vm,
    readonly id: number,
  ) {}

  abstract get root(): RootContextState;

  /** The map `type` if it exists in this callback; null otherwise (BadArgument). */
  getMap(type: number, _write: boolean): HeaderMap | null {
    return this.root.calloutMap(type);
  }

  getBuffer(type: number): ByteBuffer | null {
    return this.root.rootBuffer(type);
  }

  /** An attribute (Envoy property) by path, already encoded. */
  property(path: string[]): Uint8Array | undefined {
    return this.vm.world.pluginProperty(this.vm, path);
  }

  setProperty(_path: string, _value: Uint8Array): number {
    return Status.NotFound;
  }

  continueStream(type: number): number {
    return type === 3 ? Status.Unimplemented : type > 3 ? Status.BadArgument : Status.Ok;
  }

  closeStream(type: number): number {
    return type > 3 ? Status.BadArgument : Status.Ok;
  }

  sendLocalResponse(_reply: LocalReply): number {
    return Status.Ok;
  }

  /** For set_envoy_filter_state / clear_route_cache: the stream's state, if any. */
  streamState(): { filterState: Map<string, Uint8Array>; routeCacheCleared: number } | null {
    return null;
  }
}

/** The root context: configuration buffers, callout responses, tick period. */
export class RootContextState extends GuestContext {
  configuring: Uint8Array | null = null;
  vmConfiguration: Uint8Array | null = null;
  callData: Uint8Array | null = null;
  callout: { headers: HeaderMap; body: Uint8Array; trailers: HeaderMap } | null = null;
  grpcMessage: Uint8Array | null = null;
  grpcMetadata: HeaderMap | null = null;
  tickPeriodMs = 0;
  nextTickAt = 0;

  get root(): RootContextState {
    return this;
  }

  calloutMap(type: number): HeaderMap | null {
    if (type === MapType.HttpCallResponseHeaders) return this.callout?.headers ?? null;
    if (type === MapType.HttpCallResponseTrailers) return this.callout?.trailers ?? null;
    if (type === MapType.GrpcInitialMetadata || type === MapType.GrpcTrailingMetadata) {
      return this.grpcMetadata;
    }
    return null;
  }

  rootBuffer(type: number): ByteBuffer | null {
    switch (type) {
      case BufferType.VmConfiguration:
        return new ByteBuffer(this.vm.plugin.vmConfiguration, false);
      case BufferType.PluginConfiguration:
        return this.configuring ? new ByteBuffer(this.configuring, false) : null;
      case BufferType.HttpCallResponseBody:
        return this.callout ? new ByteBuffer(this.callout.body, false) : null;
      case BufferType.GrpcReceiveBuffer:
        return this.grpcMessage ? new ByteBuffer(this.grpcMessage, false) : null;
      case BufferType.CallData:
        return new ByteBuffer(this.callData ?? new Uint8Array(0), false);
      case BufferType.RequestBody:
      case BufferType.ResponseBody:
      case BufferType.DownstreamData:
      case BufferType.UpstreamData:
        // Envoy hands back an empty buffer object outside the callbacks that fill it.
        return new ByteBuffer(new Uint8Array(0), false);
      default:
        return null;
    }
  }
}

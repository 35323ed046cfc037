// Byte buffers: proxy_get_buffer_bytes, proxy_set_buffer_bytes, proxy_get_buffer_status.

import { BufferType, Status } from "../status.ts";
import type { HostCallScope, HostCalls } from "./scope.ts";

const LAST_BUFFER_TYPE = BufferType.CallData;

export function bufferCalls({ vm, need }: HostCallScope): HostCalls {
  return {
    proxy_get_buffer_bytes: (type: number, start: number, max: number, pp: number, sp: number) => {
      if (type > LAST_BUFFER_TYPE) return Status.BadArgument;
      const buffer = need().getBuffer(type);
      if (!buffer) return Status.NotFound;
      const size = buffer.bytes.length;
      const from = start >>> 0;
      let length = max >>> 0;
      if (from > size) return Status.BadArgument;
      // Stryker disable next-line EqualityOperator: equivalent, at from + length == size the clamp gives the same length
      if (from + length > size) length = size - from;
      if (length === 0) return Status.Ok;
      return vm.copyOut(buffer.bytes.subarray(from, from + length), pp, sp);
    },
    proxy_set_buffer_bytes: (
      type: number,
      start: number,
      size: number,
      ptr: number,
      len: number,
    ) => {
      // Stryker disable next-line EqualityOperator: equivalent, every context's CallData buffer is read-only, so a write to it answers BadArgument either way
      if (type > LAST_BUFFER_TYPE) return Status.BadArgument;
      const buffer = need().getBuffer(type);
      if (!buffer) return Status.NotFound;
      const data = vm.read(ptr, len);
      if (!data) return Status.InvalidMemoryAccess;
      return buffer.copyFrom(start >>> 0, size >>> 0, data);
    },
    proxy_get_buffer_status: (type: number, lp: number, fp: number) => {
      if (type > LAST_BUFFER_TYPE) return Status.BadArgument;
      const buffer = need().getBuffer(type);
      if (!buffer) return Status.NotFound;
      if (!vm.setU32(lp, buffer.bytes.length) || !vm.setU32(fp, 0)) {
        return Status.InvalidMemoryAccess;
      }
      return Status.Ok;
    },
  };
}

// The stream a context owns: proxy_continue_stream, proxy_close_stream,
// proxy_send_local_response.

import { Status } from "../status.ts";
import { hostPairs, text } from "../wire.ts";
import type { HostCallScope, HostCalls } from "./scope.ts";

export function streamCalls({ vm, need }: HostCallScope): HostCalls {
  return {
    proxy_continue_stream: (type: number) => need().continueStream(type),
    proxy_close_stream: (type: number) => need().closeStream(type),
    proxy_send_local_response: (
      status: number,
      dp: number,
      ds: number,
      bp: number,
      bs: number,
      hp: number,
      hs: number,
      grpc: number,
    ) => {
      const details = vm.readString(dp, ds);
      const body = vm.read(bp, bs);
      const headerBytes = vm.read(hp, hs);
      if (details === null || body === null || !headerBytes) return Status.InvalidMemoryAccess;
      const headers = hostPairs(headerBytes);
      const grpcStatus = grpc >= 0 && grpc <= 16 ? grpc : null;
      return need().sendLocalResponse({
        status,
        body: text(body),
        bodyBytes: body,
        headers,
        details: details.replace(/\s/g, "_"),
        grpcStatus,
      });
    },
  };
}

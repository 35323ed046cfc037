// HTTP and gRPC callouts: proxy_http_call, proxy_grpc_call, proxy_grpc_stream,
// proxy_grpc_send, proxy_grpc_cancel, proxy_grpc_close, and proxy_get_status (what a callout's
// callback reads about its outcome). Calls belong to the root context of the caller.

import { Status } from "../status.ts";
import { hostPairs, utf8 } from "../wire.ts";
import type { HostCallScope, HostCalls } from "./scope.ts";

export function calloutCalls({ vm, need }: HostCallScope): HostCalls {
  const callouts = vm.world.callouts;
  /** The arguments proxy_grpc_call and proxy_grpc_stream share: cluster, service, method and
   *  initial metadata, read from guest memory (null when any of them is out of bounds). */
  const grpcTarget = (
    up: number,
    us: number,
    sp: number,
    ss: number,
    mp: number,
    ms: number,
    mdp: number,
    mds: number,
  ) => {
    const cluster = vm.readString(up, us);
    const service = vm.readString(sp, ss);
    const method = vm.readString(mp, ms);
    const md = vm.read(mdp, mds);
    if (cluster === null || service === null || method === null || !md) return null;
    return { cluster, service, method, metadata: hostPairs(md) };
  };
  const tokenOut = (result: number, tokenPtr: number): number => {
    // Stryker disable next-line EqualityOperator: equivalent, no call's token is 0 (HTTP tokens start at 1, gRPC at 1 and 2)
    if (result < 0) return -result;
    return vm.setU32(tokenPtr, result) ? Status.Ok : Status.InvalidMemoryAccess;
  };
  return {
    proxy_get_status: (cp: number, mpp: number, msp: number) => {
      const { code, message } = need().root.status;
      if (!vm.setU32(cp, code)) return Status.InvalidMemoryAccess;
      return vm.copyOut(utf8(message), mpp, msp);
    },
    proxy_http_call: (
      up: number,
      us: number,
      hp: number,
      hs: number,
      bp: number,
      bs: number,
      tp: number,
      ts: number,
      timeout: number,
      tokenPtr: number,
    ) => {
      const cluster = vm.readString(up, us);
      const hb = vm.read(hp, hs);
      const body = vm.read(bp, bs);
      const tb = vm.read(tp, ts);
      if (cluster === null || !hb || !body || !tb) return Status.InvalidMemoryAccess;
      const headers = hostPairs(hb);
      const trailers = hostPairs(tb);
      const result = callouts.httpCall(need().root, {
        cluster,
        headers,
        body,
        trailers,
        timeoutMs: timeout | 0,
      });
      return tokenOut(result, tokenPtr);
    },
    proxy_grpc_call: (
      up: number,
      us: number,
      sp: number,
      ss: number,
      mp: number,
      ms: number,
      mdp: number,
      mds: number,
      msgp: number,
      msgs: number,
      timeout: number,
      tokenPtr: number,
    ) => {
      const target = grpcTarget(up, us, sp, ss, mp, ms, mdp, mds);
      const message = vm.read(msgp, msgs);
      if (target === null || !message) return Status.InvalidMemoryAccess;
      const result = callouts.grpcCall(need().root, {
        ...target,
        message,
        timeoutMs: timeout >>> 0,
        stream: false,
      });
      return tokenOut(result, tokenPtr);
    },
    proxy_grpc_stream: (
      up: number,
      us: number,
      sp: number,
      ss: number,
      mp: number,
      ms: number,
      mdp: number,
      mds: number,
      tokenPtr: number,
    ) => {
      const target = grpcTarget(up, us, sp, ss, mp, ms, mdp, mds);
      if (target === null) return Status.InvalidMemoryAccess;
      const result = callouts.grpcCall(need().root, {
        ...target,
        message: new Uint8Array(0),
        timeoutMs: 0,
        stream: true,
      });
      return tokenOut(result, tokenPtr);
    },
    proxy_grpc_send: (token: number, mp: number, ms: number, eos: number) => {
      const message = vm.read(mp, ms);
      if (!message) return Status.InvalidMemoryAccess;
      return callouts.grpcSend(need().root, token, message, eos !== 0);
    },
    proxy_grpc_cancel: (token: number) => callouts.grpcCancel(need().root, token),
    proxy_grpc_close: (token: number) => callouts.grpcClose(need().root, token),
  };
}

// HTTP and gRPC callouts: answered by handlers the test registers or by a real local server,
// delivered to the root context that owns them (the SDK then makes the requesting stream
// effective), with Envoy's answers for timeouts and connection failures.

import { request as httpRequest } from "node:http";
import { type GrpcConnection, openGrpc } from "./grpc-client.ts";
import { HeaderMap, type HeadersInit, toHeaderMap } from "./headers.ts";
import { Status } from "./status.ts";
import type { Pairs } from "./wire.ts";
import { utf8 } from "./wire.ts";

/** What callouts need of the process: virtual time and a queue for work after the current
 *  guest call. */
export interface Scheduler {
  nowMs(): number;
  post(action: () => void): void;
  /** Runs the posted work now (after an answer arrived from a real server). */
  drain(): void;
}

/** A code and message proxy_get_status reports while a callout's callback runs. */
export interface CalloutStatus {
  code: number;
  message: string;
}

/**
 * The root context a callout answers to. Callouts never see the VM: the owner runs the
 * callbacks (with the response readable through its buffers and maps) and drops them once
 * its VM failed or it was deleted.
 */
export interface CalloutOwner {
  /** proxy_on_http_call_response; `response` null when the upstream reset the call. */
  httpCallResponse(
    token: number,
    response: { headers: HeaderMap; body: Uint8Array; trailers: HeaderMap } | null,
  ): void;
  grpcReceive(token: number, message: Uint8Array): void;
  grpcInitialMetadata(token: number, metadata: HeaderMap): void;
  grpcTrailingMetadata(token: number, metadata: HeaderMap): void;
  grpcClose(token: number, status: CalloutStatus): void;
  /** False once the VM failed or the root context was deleted: answers are then dropped. */
  readonly listening: boolean;
}

export interface HttpCallRequest {
  cluster: string;
  headers: Pairs;
  body: Uint8Array;
  trailers: Pairs;
  timeoutMs: number;
}

/** How a callout is answered: a response, or a failure Envoy reports as a reset. */
export type HttpCallReply =
  | { status?: number; headers?: HeadersInit; body?: string | Uint8Array; trailers?: HeadersInit }
  | { failure: "reset" };

/** One callout the module made. */
export interface HttpCall {
  readonly token: number;
  readonly cluster: string;
  /** Request headers as the module sent them (with content-length added for a body). */
  readonly headers: HeaderMap;
  readonly body: Uint8Array;
  readonly trailers: HeaderMap;
  readonly timeoutMs: number;
  /** True once answered (by a handler, the test, a timeout or a failure). */
  readonly done: boolean;
  respond(reply: HttpCallReply): void;
}

export type HttpCallHandler = (
  call: HttpCall,
) => HttpCallReply | Promise<HttpCallReply> | undefined;

export interface GrpcReply {
  initialMetadata?: HeadersInit;
  /** Messages the server sends (unary: the first is the response). */
  messages?: Uint8Array[];
  trailingMetadata?: HeadersInit;
  /** gRPC status; default 0 (OK). */
  status?: number;
  message?: string;
}

/** A gRPC call or stream the module opened. */
export interface GrpcCall {
  readonly token: number;
  readonly cluster: string;
  readonly service: string;
  readonly method: string;
  readonly metadata: HeaderMap;
  /** Messages the module sent (the request for a unary call). */
  readonly sent: Uint8Array[];
  readonly stream: boolean;
  readonly done: boolean;
  /** Delivers server events: initial metadata, messages, trailing metadata, close. */
  reply(reply: GrpcReply): void;
}

/** Called when a unary call is made, when a stream opens and on each message the module sends. */
export type GrpcHandler = (
  call: GrpcCall,
  event: { message?: Uint8Array; endOfStream?: boolean },
) => GrpcReply | undefined;

/** Envoy's own answers when the upstream does not. */
export const TIMEOUT_REPLY = { status: 504, body: "upstream request timeout" } as const;
/** How Envoy closes a gRPC call that outlives its timeout (pinned by a conformance scenario). */
export const GRPC_TIMEOUT_CLOSE = {
  status: 14,
  message: "upstream request timeout{response_timeout}",
} as const;
/** How Envoy closes a gRPC call whose connection was refused (pinned by a conformance scenario):
 *  its local reply's text, then the reply's details in braces. */
export const GRPC_CONNECT_FAILURE_CLOSE = {
  status: 14,
  message:
    "upstream connect error or disconnect/reset before headers. reset reason: remote connection failure{upstream_reset_before_response_started{remote_connection_failure|delayed_connect_error:_Connection_refused}}",
} as const;
export const CONNECT_FAILURE_REPLY = {
  status: 503,
  body: "upstream connect error or disconnect/reset before headers. reset reason: remote connection failure, transport failure reason: delayed connect error: Connection refused",
} as const;

class PendingHttp implements HttpCall {
  done = false;
  deadline = 0;
  constructor(
    readonly callouts: Callouts,
    readonly owner: CalloutOwner,
    readonly token: number,
    readonly cluster: string,
    readonly headers: HeaderMap,
    readonly body: Uint8Array,
    readonly trailers: HeaderMap,
    readonly timeoutMs: number,
  ) {}
  respond(reply: HttpCallReply): void {
    this.callouts.deliverHttp(this, reply);
  }
}

class PendingGrpc implements GrpcCall {
  done = false;
  deadline = 0;
  localClosed = false;
  readonly sent: Uint8Array[] = [];
  constructor(
    readonly callouts: Callouts,
    readonly owner: CalloutOwner,
    readonly token: number,
    readonly cluster: string,
    readonly service: string,
    readonly method: string,
    readonly metadata: HeaderMap,
    readonly stream: boolean,
  ) {}
  reply(reply: GrpcReply): void {
    this.callouts.deliverGrpc(this, reply);
  }
}

export class Callouts {
  readonly httpHandlers = new Map<string, HttpCallHandler>();
  readonly grpcHandlers = new Map<string, GrpcHandler>();
  /** Clusters served by a real server: name → base URL. */
  readonly clusterUrls = new Map<string, string>();
  /** gRPC clusters served by a real h2c server: name → base URL. */
  readonly grpcUrls = new Map<string, string>();
  private readonly grpcConnections = new Map<number, GrpcConnection>();
  /** Clusters that exist but nobody answers (calls stay pending until answered or timed out). */
  readonly knownClusters = new Set<string>();
  readonly http: PendingHttp[] = [];
  readonly grpc: PendingGrpc[] = [];
  private readonly inflight = new Set<Promise<unknown>>();
  private nextHttpToken = 1;
  private nextGrpcCall = 1;
  private nextGrpcStream = 2;

  constructor(private readonly scheduler: Scheduler) {}

  private exists(cluster: string): boolean {
    return (
      this.httpHandlers.has(cluster) ||
      this.grpcHandlers.has(cluster) ||
      this.grpcUrls.has(cluster) ||
      this.clusterUrls.has(cluster) ||
      this.knownClusters.has(cluster)
    );
  }

  /** proxy_http_call: a token, or a negated status. */
  httpCall(owner: CalloutOwner, req: HttpCallRequest): number {
    if (req.timeoutMs < 0) return -Status.BadArgument;
    if (!this.exists(req.cluster)) return -Status.BadArgument;
    const headers = new HeaderMap(req.headers);
    const method = headers.get(":method");
    const path = headers.get(":path");
    const authority = headers.get(":authority");
    if (path === undefined || method === undefined || authority === undefined) {
      return -Status.BadArgument;
    }
    if (req.body.length > 0) headers.set("content-length", String(req.body.length));
    const call = new PendingHttp(
      this,
      owner,
      this.nextHttpToken++,
      req.cluster,
      headers,
      req.body.slice(),
      new HeaderMap(req.trailers),
      req.timeoutMs,
    );
    if (req.timeoutMs > 0) call.deadline = this.scheduler.nowMs() + req.timeoutMs;
    this.http.push(call);
    const url = this.clusterUrls.get(req.cluster);
    if (url) {
      this.track(
        fetchReply(url, call, { method, path, authority }).then((reply) => call.respond(reply)),
      );
    } else {
      const handler = this.httpHandlers.get(req.cluster);
      const reply = handler?.(call);
      if (reply instanceof Promise) this.track(reply.then((r) => call.respond(r)));
      else if (reply) this.scheduler.post(() => call.respond(reply));
    }
    return call.token;
  }

  private track(p: Promise<unknown>): void {
    const tracked = p.finally(() => this.inflight.delete(tracked));
    this.inflight.add(tracked);
  }

  /** Resolves once no handler or server answer is in flight. */
  async settle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
  }

  get busy(): boolean {
    return this.inflight.size > 0;
  }

  /** The earliest virtual-time timeout among pending callouts (those a real server answers
   *  time out in real time instead). */
  nextDeadline(): { at: number; run: () => void } | undefined {
    let next: { at: number; run: () => void } | undefined;
    for (const c of this.http) {
      if (!c.done && c.deadline > 0 && !this.clusterUrls.has(c.cluster)) {
        if (!next || c.deadline < next.at)
          next = { at: c.deadline, run: () => c.respond(TIMEOUT_REPLY) };
      }
    }
    for (const c of this.grpc) {
      if (!c.done && c.deadline > 0 && !this.grpcUrls.has(c.cluster)) {
        if (!next || c.deadline < next.at)
          next = { at: c.deadline, run: () => c.reply(GRPC_TIMEOUT_CLOSE) };
      }
    }
    return next;
  }

  deliverHttp(call: PendingHttp, reply: HttpCallReply): void {
    if (call.done) return;
    call.done = true;
    if (!call.owner.listening) return;
    if ("failure" in reply) {
      call.owner.httpCallResponse(call.token, null);
      return;
    }
    const headers = toHeaderMap(reply.headers);
    const body =
      typeof reply.body === "string" ? utf8(reply.body) : (reply.body ?? new Uint8Array(0));
    headers.set(":status", String(reply.status ?? 200));
    if (body.length > 0 && !headers.has("content-length")) {
      headers.set("content-length", String(body.length));
    }
    if ("status" in reply && (reply.status === 503 || reply.status === 504) && body.length > 0) {
      if (!headers.has("content-type")) headers.set("content-type", "text/plain");
    }
    call.owner.httpCallResponse(call.token, {
      headers,
      body,
      trailers: toHeaderMap(reply.trailers),
    });
  }

  // ---- gRPC ------------------------------------------------------------------------------------

  grpcCall(
    owner: CalloutOwner,
    req: {
      cluster: string;
      service: string;
      method: string;
      metadata: Pairs;
      message: Uint8Array;
      timeoutMs: number;
      stream: boolean;
    },
  ): number {
    if (!this.exists(req.cluster)) return -Status.ParseFailure;
    const token = req.stream ? this.nextGrpcStream : this.nextGrpcCall;
    if (req.stream) this.nextGrpcStream += 2;
    else this.nextGrpcCall += 2;
    const call = new PendingGrpc(
      this,
      owner,
      token,
      req.cluster,
      req.service,
      req.method,
      new HeaderMap(req.metadata),
      req.stream,
    );
    if (!req.stream) call.sent.push(req.message.slice());
    if (req.timeoutMs > 0) call.deadline = this.scheduler.nowMs() + req.timeoutMs;
    this.grpc.push(call);
    const url = this.grpcUrls.get(req.cluster);
    if (url) {
      const connection = openGrpc(url, { ...req, metadata: req.metadata }, (r) => {
        call.reply(r);
        this.scheduler.drain();
      });
      this.grpcConnections.set(token, connection);
      this.track(connection.done);
      if (!req.stream) connection.send(req.message, true);
      return token;
    }
    const reply = this.grpcHandlers.get(req.cluster)?.(
      call,
      req.stream ? {} : { message: req.message, endOfStream: true },
    );
    if (reply) this.scheduler.post(() => call.reply(reply));
    return token;
  }

  private grpcFind(token: number): PendingGrpc | undefined {
    return this.grpc.find((c) => c.token === token && !c.done);
  }

  grpcSend(owner: CalloutOwner, token: number, message: Uint8Array, endOfStream: boolean): number {
    if (token % 2 !== 0) return Status.BadArgument;
    const call = this.grpcFind(token);
    if (!call || call.owner !== owner) return Status.NotFound;
    // Closed on our side (proxy_grpc_close): Envoy's stream drops the message and answers Ok.
    if (call.localClosed) return Status.Ok;
    call.sent.push(message.slice());
    const connection = this.grpcConnections.get(token);
    if (connection) {
      connection.send(message, endOfStream);
      return Status.Ok;
    }
    const reply = this.grpcHandlers.get(call.cluster)?.(call, { message, endOfStream });
    if (reply) this.scheduler.post(() => call.reply(reply));
    return Status.Ok;
  }

  grpcCancel(owner: CalloutOwner, token: number): number {
    const call = this.grpcFind(token);
    if (!call || call.owner !== owner) return Status.NotFound;
    call.done = true;
    this.grpcConnections.get(token)?.cancel();
    return Status.Ok;
  }

  grpcClose(owner: CalloutOwner, token: number): number {
    const call = this.grpcFind(token);
    if (!call || call.owner !== owner) return Status.NotFound;
    if (!call.stream) {
      call.done = true;
      return Status.Ok;
    }
    call.localClosed = true;
    const connection = this.grpcConnections.get(token);
    if (connection) {
      connection.send(new Uint8Array(0), true);
      return Status.Ok;
    }
    // The server sees our half-close and may finish the stream.
    const reply = this.grpcHandlers.get(call.cluster)?.(call, { endOfStream: true });
    if (reply) this.scheduler.post(() => call.reply(reply));
    return Status.Ok;
  }

  deliverGrpc(call: PendingGrpc, reply: GrpcReply): void {
    if (call.done) return;
    const { owner } = call;
    if (!owner.listening) return;
    const status = reply.status ?? 0;
    if (!call.stream) {
      // Unary calls: the response message on success, otherwise only the close.
      call.done = true;
      const first = reply.messages?.[0];
      if (status === 0 && first) {
        owner.grpcReceive(call.token, first);
        return;
      }
      owner.grpcClose(call.token, {
        code: status === 0 ? 13 : status,
        message: reply.message ?? "",
      });
      return;
    }
    if (reply.initialMetadata) {
      owner.grpcInitialMetadata(call.token, toHeaderMap(reply.initialMetadata));
    }
    for (const message of reply.messages ?? []) {
      if (call.done) return;
      owner.grpcReceive(call.token, message);
    }
    if (reply.trailingMetadata && !call.done) {
      owner.grpcTrailingMetadata(call.token, toHeaderMap(reply.trailingMetadata));
    }
    if (reply.status !== undefined && !call.done) {
      call.done = true;
      owner.grpcClose(call.token, { code: status, message: reply.message ?? "" });
    }
  }
}

/** Sends a callout to a real server the way Envoy's async client would, with its failures.
 *  `target` holds the pseudo-headers httpCall made sure of. */
function fetchReply(
  base: string,
  call: HttpCall,
  target: { method: string; path: string; authority: string },
): Promise<HttpCallReply> {
  const url = new URL(target.path, base);
  const headers: Record<string, string> = {};
  for (const [k, v] of call.headers.pairs()) if (!k.startsWith(":")) headers[k] = v;
  headers.host = target.authority;
  return new Promise((resolve) => {
    const req = httpRequest(url, { method: target.method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        // rawHeaders alternates names and values, in the order the server sent them.
        const raw = res.rawHeaders;
        const pairs: Pairs = [];
        for (let i = 0; i < raw.length; i += 2) {
          const k = String(raw[i]).toLowerCase();
          if (k !== "connection" && k !== "keep-alive" && k !== "transfer-encoding") {
            pairs.push([k, String(raw[i + 1])]);
          }
        }
        resolve({
          status: res.statusCode ?? 0,
          headers: pairs,
          body: new Uint8Array(Buffer.concat(chunks)),
        });
      });
    });
    // A timeout of 0 is none, in Envoy as in Node (where it turns the socket's timeout off).
    req.setTimeout(call.timeoutMs, () => {
      req.destroy();
      resolve(TIMEOUT_REPLY);
    });
    req.on("error", () => resolve(CONNECT_FAILURE_REPLY));
    // An empty body goes out as no body: Node sends the same bytes for either.
    req.end(Buffer.from(call.body));
  });
}

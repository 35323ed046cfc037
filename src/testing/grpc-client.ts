// gRPC callouts answered by a real server: an h2c client that turns the server's frames into
// the replies Callouts delivers (initial metadata, messages, trailing metadata, close).

import { connect } from "node:http2";
import { GRPC_CONNECT_FAILURE_CLOSE, GRPC_TIMEOUT_CLOSE, type GrpcReply } from "./callouts.ts";

export interface GrpcConnection {
  send(message: Uint8Array, endOfStream: boolean): void;
  cancel(): void;
  /** Settles when the call is over (closed, failed or cancelled). */
  readonly done: Promise<void>;
}

function frame(message: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

function metadata(headers: Record<string, unknown>): Array<[string, string]> {
  return Object.entries(headers)
    .filter(([k]) => !k.startsWith(":"))
    .map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : String(v)]);
}

/**
 * Opens `/<service>/<method>` on the server at `base`. Stream calls get each event as it
 * comes; unary calls get one reply at the end (the message on success, else the status).
 */
export function openGrpc(
  base: string,
  call: {
    service: string;
    method: string;
    metadata: Array<[string, string]>;
    stream: boolean;
    timeoutMs: number;
  },
  deliver: (reply: GrpcReply) => void,
): GrpcConnection {
  const session = connect(base);
  const headers: Record<string, string> = {
    ":method": "POST",
    ":path": `/${call.service}/${call.method}`,
    "content-type": "application/grpc",
    te: "trailers",
  };
  for (const [k, v] of call.metadata) headers[k] = v;
  const req = session.request(headers);
  let buffered = Buffer.alloc(0) as Buffer;
  const messages: Uint8Array[] = [];
  let status: number | undefined;
  let message = "";
  let finished = false;
  let refused = false;
  const finish = (reply: GrpcReply) => {
    if (finished) return;
    finished = true;
    deliver(reply);
    session.close();
  };
  // Envoy's router times the call out like any request: a local 504, which its gRPC client
  // reads as UNAVAILABLE with the reply's text.
  const timer =
    call.timeoutMs > 0
      ? setTimeout(() => {
          finish(GRPC_TIMEOUT_CLOSE);
          req.close();
        }, call.timeoutMs)
      : undefined;
  const done = new Promise<void>((resolve) => {
    req.on("close", () => clearTimeout(timer));
    req.on("response", (h) => {
      if (h["grpc-status"] !== undefined) {
        status = Number(h["grpc-status"]);
        message = String(h["grpc-message"] ?? "");
      }
      if (call.stream && status === undefined) deliver({ initialMetadata: metadata(h) });
    });
    req.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 5 && buffered.length - 5 >= buffered.readUInt32BE(1)) {
        const len = buffered.readUInt32BE(1);
        const m = new Uint8Array(buffered.subarray(5, 5 + len));
        buffered = buffered.subarray(5 + len);
        if (call.stream) deliver({ messages: [m] });
        else messages.push(m);
      }
    });
    req.on("trailers", (t) => {
      status = Number(t["grpc-status"] ?? 2);
      message = String(t["grpc-message"] ?? "");
      if (call.stream) deliver({ trailingMetadata: metadata(t) });
    });
    req.on("close", () => {
      const code = status ?? 14;
      if (refused) finish(GRPC_CONNECT_FAILURE_CLOSE);
      else if (call.stream) finish({ status: code, message });
      else finish(code === 0 ? { messages, status: 0 } : { status: code, message });
      resolve();
    });
    // A session that fails (a refused connection, a server that is no HTTP/2) destroys its
    // request first: the request's error (a cancel whose cause is the session's error) and
    // close, which answers the call, come before the session's error. Both errors need a
    // listener, or Node throws them.
    req.on("error", (e) => {
      refused = (e.cause as NodeJS.ErrnoException | undefined)?.code === "ECONNREFUSED";
    });
    session.on("error", () => undefined);
  });
  return {
    send(m, endOfStream) {
      // Stryker disable next-line ConditionalExpression: equivalent, the `true` form: a write after the end or the close sends nothing, and its error goes to the request's listener, which ignores it; the `false` form, which the tests kill, goes with it
      if (req.writable) {
        if (m.length > 0 || !endOfStream) req.write(frame(m));
        if (endOfStream) req.end();
      }
    },
    cancel() {
      finished = true;
      clearTimeout(timer);
      req.close();
      session.close();
    },
    done,
  };
}

/**
 * An echo server to put behind Envoy: every request is answered with a JSON description of
 * what arrived, so a test can see exactly what its filter changed on the way upstream.
 *
 * Run it alone with `tsx src/envoy/upstream.ts --port 8081 [--http2]`.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import {
  createServer as createH2cServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
} from "node:http2";
import type { AddressInfo, Socket } from "node:net";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

/** How the echo answers one path instead of the default 200. */
export interface EchoRoute {
  /** Response status; default 200. */
  status?: number;
  /** Wait this long before answering (timeouts, slow upstreams). */
  delayMs?: number;
  /** Extra response headers. */
  headers?: Record<string, string>;
}

export interface EchoUpstreamOptions {
  /** Port on 127.0.0.1; default 0 (any free port). */
  port?: number;
  /** Speak cleartext HTTP/2 only (h2c, prior knowledge), like a gRPC server. */
  http2?: boolean;
  /** Per-path overrides, keyed by exact path without the query string. */
  routes?: Record<string, EchoRoute>;
}

/** What the echo saw, and what it answers with as JSON. */
export interface EchoRequest {
  method: string;
  /** Path with query string, as received. */
  path: string;
  /** Lower-case names; repeated headers joined with ", "; HTTP/2 pseudo-headers left out. */
  headers: Record<string, string>;
  /** The body decoded as UTF-8. */
  body: string;
  /** The exact body bytes, base64. */
  bodyBase64: string;
}

export interface EchoUpstream {
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Every request seen, oldest first. */
  requests: EchoRequest[];
  close(): Promise<void>;
}

type AnyRequest = IncomingMessage | Http2ServerRequest;
type AnyResponse = ServerResponse | Http2ServerResponse;

function headerRecord(req: AnyRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith(":") || value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

async function readBody(req: AnyRequest): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Starts an echo server on 127.0.0.1.
 *
 * @example
 * const echo = await startEchoUpstream({ routes: { "/slow": { delayMs: 2000 } } });
 * const config = buildBootstrap({ upstream: { kind: "cluster", port: echo.port } });
 */
export async function startEchoUpstream(opts: EchoUpstreamOptions = {}): Promise<EchoUpstream> {
  const requests: EchoRequest[] = [];
  const routes = opts.routes ?? {};

  const handle = async (req: AnyRequest, res: AnyResponse) => {
    const raw = await readBody(req);
    const path = req.url ?? "/";
    const seen: EchoRequest = {
      method: req.method ?? "",
      path,
      headers: headerRecord(req),
      body: raw.toString("utf8"),
      bodyBase64: raw.toString("base64"),
    };
    requests.push(seen);
    const route = routes[path.split("?")[0] ?? path] ?? {};
    if (route.delayMs) await new Promise((r) => setTimeout(r, route.delayMs));
    const payload = JSON.stringify(seen);
    res.writeHead(route.status ?? 200, {
      ...route.headers,
      "content-type": "application/json",
      "content-length": Buffer.byteLength(payload),
    });
    res.end(payload);
  };

  const onRequest = (req: AnyRequest, res: AnyResponse) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(`echo upstream failed: ${String(err)}`);
    });
  };
  const server = opts.http2 ? createH2cServer(onRequest) : createHttpServer(onRequest);

  // Both server kinds wait for open connections on close(); track sockets to end them at once.
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(opts.port ?? 0, "127.0.0.1", () => ok());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

function isMain(): boolean {
  const entry = process.argv[1];
  return entry !== undefined && resolve(entry) === fileURLToPath(import.meta.url);
}

if (isMain()) {
  const { values } = parseArgs({
    options: { port: { type: "string", default: "8081" }, http2: { type: "boolean" } },
  });
  const echo = await startEchoUpstream({ port: Number(values.port), http2: values.http2 ?? false });
  console.log(`echo upstream listening on ${echo.url}${values.http2 ? " (h2c)" : ""}`);
  process.once("SIGINT", () => void echo.close());
  process.once("SIGTERM", () => void echo.close());
}

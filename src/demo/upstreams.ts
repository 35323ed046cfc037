// The demo's two upstreams: Node HTTP servers on 127.0.0.1 that answer every request with JSON
// naming themselves and echoing what they received, plus an `x-upstream` response header, so a
// curl shows at a glance where a request landed.

import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface SeenRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
}

export interface NamedUpstream {
  name: string;
  port: number;
  url: string;
  /** Requests received, oldest first (the tour reads them; bounded by `keep`). */
  requests: SeenRequest[];
  /** Requests received in total. */
  count: number;
  close(): Promise<void>;
}

function headerRecord(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}

/** Starts an upstream called `name`; it remembers the last `keep` requests. */
export async function startNamedUpstream(name: string, keep = 1000): Promise<NamedUpstream> {
  const requests: SeenRequest[] = [];
  let count = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const seen = { method: req.method ?? "", path: req.url ?? "", headers: headerRecord(req) };
      count++;
      requests.push(seen);
      if (requests.length > keep) requests.shift();
      const body = JSON.stringify({ upstream: name, ...seen });
      res.writeHead(200, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
        "x-upstream": name,
      });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    get count() {
      return count;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// A minimal HTTP/2 (h2c, prior knowledge) client for requests with trailers, which fetch
// cannot send or read.

import { connect } from "node:http2";

export async function h2Request(
  base: string,
  path: string,
  init: {
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    trailers?: Record<string, string>;
  },
): Promise<{
  status: number;
  headers: Record<string, string>;
  body: string;
  trailers: Record<string, string>;
}> {
  const session = connect(base);
  try {
    return await new Promise((resolve, reject) => {
      const stream = session.request(
        { ":method": init.method ?? "POST", ":path": path, ...init.headers },
        { waitForTrailers: init.trailers !== undefined },
      );
      stream.setTimeout(10_000, () => reject(new Error("h2 request timed out")));
      const result = {
        status: 0,
        headers: {} as Record<string, string>,
        body: "",
        trailers: {} as Record<string, string>,
      };
      const flat = (h: Record<string, unknown>) =>
        Object.fromEntries(
          Object.entries(h)
            .filter(([k]) => !k.startsWith(":"))
            .map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : String(v)]),
        );
      stream.on("response", (h) => {
        result.status = Number(h[":status"]);
        result.headers = flat(h);
      });
      stream.on("trailers", (t) => {
        result.trailers = flat(t);
      });
      stream.on("data", (d: Buffer) => {
        result.body += d.toString();
      });
      stream.on("end", () => resolve(result));
      stream.on("error", reject);
      stream.on("wantTrailers", () => stream.sendTrailers(init.trailers ?? {}));
      stream.end(init.body ?? "");
    });
  } finally {
    session.close();
  }
}

// A byte-exact HTTP/1 client for the Envoy side of the conformance suite: it writes the request
// line, every header (repeats, odd spacing, raw bytes) and the body exactly as given, which
// fetch cannot (it joins repeats, trims values, speaks only HTTP/1.1 and frames bodies itself).
// Header values come back as binary strings (one character per byte).

import { connect } from "node:net";

export interface RawRequest {
  method: string;
  path: string;
  /** "HTTP/1.1" unless given. */
  version?: string;
  /** In order, repeats allowed; a Uint8Array value is written as those bytes. */
  headers: Array<[string, string | Uint8Array]>;
  /** The body, or its pieces: the emulator hands each piece to one body callback; to Envoy
   *  they are written 30 ms apart, so that its reads (and body callbacks) mostly see them
   *  apart too. */
  body?: Uint8Array | Uint8Array[];
  /** Send the body in chunked framing (one chunk) instead of as it is (pieces joined). */
  chunked?: boolean;
}

export interface RawResponse {
  status: number;
  /** In order, names lower-cased, values as binary strings. */
  headers: Array<[string, string]>;
  body: Uint8Array;
  /** The connection closed without a response. */
  reset: boolean;
}

const CRLF = "\r\n";

/** The request as written: the head with the body's first piece, then one write per piece. */
function encodeRequest(req: RawRequest): Buffer[] {
  const parts: Buffer[] = [
    Buffer.from(`${req.method} ${req.path} ${req.version ?? "HTTP/1.1"}${CRLF}`, "latin1"),
  ];
  for (const [name, value] of req.headers) {
    parts.push(Buffer.from(`${name}: `, "latin1"));
    parts.push(typeof value === "string" ? Buffer.from(value, "latin1") : Buffer.from(value));
    parts.push(Buffer.from(CRLF, "latin1"));
  }
  parts.push(Buffer.from(CRLF, "latin1"));
  if (Array.isArray(req.body) && !req.chunked) {
    const [first = new Uint8Array(0), ...rest] = req.body;
    return [Buffer.concat([...parts, first]), ...rest.map((piece) => Buffer.from(piece))];
  }
  const body = Array.isArray(req.body) ? Buffer.concat(req.body) : (req.body ?? new Uint8Array(0));
  if (req.chunked) {
    if (body.length > 0) {
      parts.push(Buffer.from(`${body.length.toString(16)}${CRLF}`, "latin1"));
      parts.push(Buffer.from(body));
      parts.push(Buffer.from(CRLF, "latin1"));
    }
    parts.push(Buffer.from(`0${CRLF}${CRLF}`, "latin1"));
  } else if (body.length > 0) {
    parts.push(Buffer.from(body));
  }
  return [Buffer.concat(parts)];
}

/** Parses one response from `data`; null while incomplete. `head` true for HEAD requests. */
function parseResponse(data: Buffer, head: boolean, ended: boolean): RawResponse | null {
  const end = data.indexOf("\r\n\r\n");
  if (end < 0) return null;
  const lines = data.subarray(0, end).toString("latin1").split(CRLF);
  const status = Number((lines[0] ?? "").split(" ")[1] ?? 0);
  // An interim response (100 Continue) comes before the real one.
  if (status >= 100 && status < 200) return parseResponse(data.subarray(end + 4), head, ended);
  const headers: Array<[string, string]> = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    headers.push([line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()]);
  }
  const rest = data.subarray(end + 4);
  const get = (name: string) => headers.find(([k]) => k === name)?.[1];
  if (head || status === 204 || status === 304) {
    return { status, headers, body: new Uint8Array(0), reset: false };
  }
  const length = get("content-length");
  if (length !== undefined) {
    const n = Number(length);
    if (rest.length < n) return null;
    return { status, headers, body: new Uint8Array(rest.subarray(0, n)), reset: false };
  }
  if (get("transfer-encoding")?.toLowerCase() === "chunked") {
    const chunks: Buffer[] = [];
    let at = 0;
    for (;;) {
      const lineEnd = rest.indexOf(CRLF, at);
      if (lineEnd < 0) return null;
      const size = Number.parseInt(rest.subarray(at, lineEnd).toString("latin1"), 16);
      if (Number.isNaN(size)) return null;
      if (size === 0) {
        const trailerEnd = rest.indexOf("\r\n\r\n", lineEnd);
        if (trailerEnd < 0 && rest.indexOf(CRLF, lineEnd + 2) !== lineEnd + 2) return null;
        return { status, headers, body: new Uint8Array(Buffer.concat(chunks)), reset: false };
      }
      if (rest.length < lineEnd + 2 + size + 2) return null;
      chunks.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
  }
  // Neither length nor chunked: the body runs to the end of the connection.
  return ended ? { status, headers, body: new Uint8Array(rest), reset: false } : null;
}

/** Sends one request on a fresh connection and reads one response. */
export function rawRequest(
  port: number,
  req: RawRequest,
  timeoutMs = 10_000,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let data = Buffer.alloc(0);
    let settled = false;
    const finish = (result: RawResponse | Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const timer = setTimeout(
      () => finish(new Error(`raw HTTP/1 request ${req.method} ${req.path} timed out`)),
      timeoutMs,
    );
    const head = req.method === "HEAD";
    socket.on("connect", async () => {
      const [first, ...rest] = encodeRequest(req);
      socket.write(first as Buffer);
      for (const piece of rest) {
        await new Promise((r) => setTimeout(r, 30));
        if (settled || socket.destroyed) return;
        socket.write(piece);
      }
    });
    socket.on("data", (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const parsed = parseResponse(data, head, false);
      if (parsed) finish(parsed);
    });
    socket.on("end", () => {
      const parsed = parseResponse(data, head, true);
      finish(parsed ?? { status: 0, headers: [], body: new Uint8Array(0), reset: true });
    });
    socket.on("error", (error) => {
      if (data.length === 0)
        finish({ status: 0, headers: [], body: new Uint8Array(0), reset: true });
      else finish(error);
    });
  });
}

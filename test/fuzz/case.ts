// One fuzz input: a plugin configuration and one exchange, as plain data, and its corpus file
// form (JSON; bytes that are valid UTF-8 are stored as text, others as hex, so a minimised
// case reads at a glance).

export type Pairs = Array<[string, string]>;

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Pairs;
  /** The body as the client's chunks, in order (an empty list: no body). */
  chunks: Uint8Array[];
  trailers: Pairs | null;
  /** The client goes away after sending this many body chunks (null: it does not). */
  resetAfterChunks: number | null;
}

export interface FuzzResponse {
  status: number;
  headers: Pairs;
  chunks: Uint8Array[];
  trailers: Pairs | null;
}

export interface FuzzCase {
  /** The plugin configuration bytes. */
  config: Uint8Array;
  request: FuzzRequest;
  response: FuzzResponse;
}

/** A saved finding: the minimised case and why it failed. */
export interface CorpusEntry {
  target: string;
  /** The kind of failure and where ("trap in proxy_on_request_body", "upstream body"). */
  signature: string;
  /** The full report of the first failure, for the reader. */
  message: string;
  /** How to reproduce the original run (before minimising). */
  found: string;
  case: FuzzCase;
}

const strict = new TextDecoder("utf-8", { fatal: true });

function isText(bytes: Uint8Array): boolean {
  try {
    strict.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Bytes as JSON: `{"text": ...}` when valid UTF-8, `{"hex": ...}` otherwise. */
export function bytesToJson(bytes: Uint8Array): { text: string } | { hex: string } {
  if (isText(bytes)) return { text: strict.decode(bytes) };
  return { hex: Buffer.from(bytes).toString("hex") };
}

export function bytesFromJson(v: unknown): Uint8Array {
  const o = v as { text?: string; hex?: string };
  if (typeof o.text === "string") return new TextEncoder().encode(o.text);
  if (typeof o.hex === "string") return new Uint8Array(Buffer.from(o.hex, "hex"));
  throw new Error(`corpus: expected {"text"} or {"hex"} bytes, got ${JSON.stringify(v)}`);
}

export function caseToJson(c: FuzzCase): unknown {
  return {
    config: bytesToJson(c.config),
    request: { ...c.request, chunks: c.request.chunks.map(bytesToJson) },
    response: { ...c.response, chunks: c.response.chunks.map(bytesToJson) },
  };
}

export function caseFromJson(v: unknown): FuzzCase {
  const o = v as {
    config: unknown;
    request: FuzzRequest & { chunks: unknown[] };
    response: FuzzResponse & { chunks: unknown[] };
  };
  return {
    config: bytesFromJson(o.config),
    request: { ...o.request, chunks: o.request.chunks.map(bytesFromJson) },
    response: { ...o.response, chunks: o.response.chunks.map(bytesFromJson) },
  };
}

export function concatBytes(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

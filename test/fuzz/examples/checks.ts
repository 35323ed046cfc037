// Comparisons the example models share, each returning the disagreements it finds as
// "field: what happened, what the model expects" lines.

import type { HeaderMap } from "../../../src/testing/index.ts";
import { concatBytes, type Pairs } from "../case.ts";

/** Headers the proxy itself manages on the way (framing, Envoy's own): not the filter's. */
const PROXY_OWNED = new Set([
  "content-length",
  "transfer-encoding",
  "server",
  "host",
  "x-request-id",
  "x-forwarded-proto",
  "x-envoy-upstream-service-time",
  "x-envoy-expected-rq-timeout-ms",
]);

/** Bytes for a message: printable ASCII as is, every other byte as \xNN. */
export function show(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes.subarray(0, 80)) {
    out +=
      b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c
        ? String.fromCharCode(b)
        : `\\x${b.toString(16).padStart(2, "0")}`;
  }
  return `"${out}"${bytes.length > 80 ? `... (${bytes.length} bytes)` : ""}`;
}

/** Every header in `sent` (except `except`, pseudo-headers and proxy-owned ones) arrived,
 *  values in order, nothing added under those names. */
export function sameHeadersExcept(
  field: string,
  sent: Pairs,
  got: HeaderMap,
  except: string[],
): string[] {
  const problems: string[] = [];
  const names = new Set(sent.map(([k]) => k.toLowerCase()));
  for (const name of names) {
    if (except.includes(name) || PROXY_OWNED.has(name) || name.startsWith(":")) continue;
    const want = sent.filter(([k]) => k.toLowerCase() === name).map(([, v]) => v);
    const have = got.getAll(name);
    if (want.length !== have.length || want.some((v, i) => v !== have[i]))
      problems.push(
        `${field} header ${name}: ${JSON.stringify(have).slice(0, 200)}, sent ${JSON.stringify(want).slice(0, 200)}`,
      );
  }
  return problems;
}

/** The body arrived byte for byte. */
export function sameBody(field: string, chunks: Uint8Array[], got: Uint8Array): string[] {
  return equalBytes(field, concatBytes(chunks), got);
}

export function equalBytes(field: string, want: Uint8Array, got: Uint8Array): string[] {
  if (Buffer.from(want).equals(Buffer.from(got))) return [];
  return [`${field}: ${show(got)}, expected ${show(want)}`];
}

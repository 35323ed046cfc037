// Key values of a request, from the sources a rule names. Every reader returns null when the
// part is missing, so the rule can skip or use its shared fallback bucket.

import { HeaderMap, properties } from "../../../assembly";
import { KeySource, SourceKind } from "./config";

/** The value of one key part, or null when the request lacks it. */
export function keyPart(source: KeySource, headers: HeaderMap): string | null {
  switch (source.kind) {
    case SourceKind.Header: {
      const v = headers.get(source.name);
      return v !== null && v.length > 0 ? v : null;
    }
    case SourceKind.ClientAddress:
      return clientAddress(source.count, headers);
    case SourceKind.Path:
      return pathPart(headers.get(":path"), source.count);
    case SourceKind.Method:
      return headers.get(":method");
    case SourceKind.Query:
      return queryParameter(headers.get(":path"), source.name);
    case SourceKind.Cookie:
      return cookie(headers.getAll("cookie"), source.name);
    default:
      return source.name;
  }
}

/** The client's address: the socket peer's IP (hops 0), or the `hops`-th X-Forwarded-For entry
 *  counted from the right (1 = the one the nearest trusted proxy appended). */
export function clientAddress(hops: i32, headers: HeaderMap): string | null {
  if (hops == 0) {
    const peer = properties.sourceAddress();
    return peer === null ? null : stripPort(peer);
  }
  const all = headers.getAll("x-forwarded-for");
  // Entries of every X-Forwarded-For line, in order; counted from the right.
  const entries: string[] = [];
  for (let i = 0; i < all.length; i++) {
    const parts = unchecked(all[i]).split(",");
    for (let j = 0; j < parts.length; j++) entries.push(unchecked(parts[j]).trim());
  }
  const at = entries.length - hops;
  if (at < 0) return null;
  const entry = unchecked(entries[at]);
  return entry.length > 0 ? entry : null;
}

// "10.0.0.1:5678" -> "10.0.0.1"; "[::1]:5678" -> "::1"; anything else as it is.
function stripPort(address: string): string {
  if (address.startsWith("[")) {
    const end = address.indexOf("]");
    return end > 0 ? address.substring(1, end) : address;
  }
  const colon = address.lastIndexOf(":");
  if (colon > 0 && address.indexOf(":") == colon) return address.substring(0, colon);
  return address;
}

/** The path without its query; with `segments` > 0 only that many leading segments
 *  ("/api/v1/users/7", 2 -> "/api/v1"). */
export function pathPart(path: string | null, segments: i32): string | null {
  if (path === null) return null;
  let end = path.indexOf("?");
  if (end < 0) end = path.length;
  if (segments > 0) {
    let seen = 0;
    for (let i = 1; i < end; i++) {
      if (path.charCodeAt(i) == 0x2f) {
        seen++;
        if (seen == segments) {
          end = i;
          break;
        }
      }
    }
  }
  return path.substring(0, end);
}

/** The first value of query parameter `name`, as sent (not percent-decoded); null when absent. */
export function queryParameter(path: string | null, name: string): string | null {
  if (path === null) return null;
  const q = path.indexOf("?");
  if (q < 0) return null;
  let hash = path.indexOf("#", q);
  if (hash < 0) hash = path.length;
  let i = q + 1;
  while (i <= hash) {
    let amp = path.indexOf("&", i);
    if (amp < 0 || amp > hash) amp = hash;
    const eq = path.indexOf("=", i);
    const nameEnd = eq >= 0 && eq < amp ? eq : amp;
    if (nameEnd - i == name.length && path.substring(i, nameEnd) == name) {
      return nameEnd == amp ? "" : path.substring(nameEnd + 1, amp);
    }
    i = amp + 1;
  }
  return null;
}

/** The value of cookie `name` from the Cookie lines; null when absent. */
export function cookie(lines: string[], name: string): string | null {
  for (let l = 0; l < lines.length; l++) {
    const pairs = unchecked(lines[l]).split(";");
    for (let i = 0; i < pairs.length; i++) {
      const pair = unchecked(pairs[i]).trim();
      const eq = pair.indexOf("=");
      if (eq < 0) continue;
      if (pair.substring(0, eq).trim() == name) return pair.substring(eq + 1).trim();
    }
  }
  return null;
}

// Finding a credential in a request: an Authorization-style header with a scheme prefix, any
// header, a query parameter or a cookie, in the configured order. Exactly one credential of a
// kind may be present: two (in one header repeated, in two locations, a repeated query
// parameter or cookie) are refused rather than guessed between.

import { Header, HeaderMap, Protected } from "../../../assembly";
import { Location, LocationKind } from "./locations";

/** The request's headers as read once (one host call for the whole map), for every lookup a
 *  decision makes; writes still go to the host's map. Names are lower-case, as the host
 *  gives them. */
export class RequestHeaders {
  constructor(public readonly all: Header[]) {}

  /** The first value of `name` (lower-case), or null. */
  get(name: string): string | null {
    for (let i = 0; i < this.all.length; i++) {
      const h = unchecked(this.all[i]);
      if (h.name == name) return h.value;
    }
    return null;
  }

  has(name: string): bool {
    return this.get(name) !== null;
  }

  /** Every value of `name` (lower-case), in order. */
  getAll(name: string): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.all.length; i++) {
      const h = unchecked(this.all[i]);
      if (h.name == name) out.push(h.value);
    }
    return out;
  }
}

/** The credential found for one list of locations. */
export class Found {
  /** The credential text (prefix removed), or null. */
  value: string | null = null;
  /** How many credentials the locations held (above 1 means refused). */
  count: i32 = 0;
  /** Index in the list of the location it came from. */
  where: i32 = -1;
}

/** Whether `value` starts with `prefix`, ignoring ASCII case. */
function startsWithFolded(value: string, prefix: string): bool {
  if (value.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    let a = value.charCodeAt(i);
    let b = prefix.charCodeAt(i);
    if (a >= 0x41 && a <= 0x5a) a += 32;
    if (b >= 0x41 && b <= 0x5a) b += 32;
    if (a != b) return false;
  }
  return true;
}

function trimSpaces(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) == 0x20 || s.charCodeAt(a) == 0x09)) a++;
  while (b > a && (s.charCodeAt(b - 1) == 0x20 || s.charCodeAt(b - 1) == 0x09)) b--;
  return s.substring(a, b);
}

function hexValue(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/** Percent-decodes a query value (`+` is a space); null when a `%` is not followed by two hex
 *  digits or the bytes are not UTF-8. */
export function percentDecode(s: string): string | null {
  if (!s.includes("%") && !s.includes("+")) return s;
  const bytes = new Uint8Array(s.length * 3);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x25) {
      if (i + 2 >= s.length) return null;
      const hi = hexValue(s.charCodeAt(i + 1));
      const lo = hexValue(s.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) return null;
      bytes[n++] = <u8>((hi << 4) | lo);
      i += 2;
    } else if (c == 0x2b) {
      bytes[n++] = 0x20;
    } else if (c < 0x80) {
      bytes[n++] = <u8>c;
    } else {
      // Non-ASCII in a path is not what Envoy hands over; refuse rather than re-encode.
      return null;
    }
  }
  const out = String.UTF8.decodeUnsafe(bytes.dataStart, n, false);
  // A round trip proves the bytes were UTF-8 (the decoder replaces what is not).
  if (String.UTF8.byteLength(out, false) != n) return null;
  return out;
}

/** The credentials in `locations`, in order; `path` is `:path` (with its query). */
export function findCredential(headers: RequestHeaders, path: string, locations: Location[]): Found {
  const out = new Found();
  for (let i = 0; i < locations.length; i++) {
    const loc = unchecked(locations[i]);
    if (loc.kind == LocationKind.Header) {
      const values = headers.getAll(loc.name);
      for (let j = 0; j < values.length; j++) {
        const v = unchecked(values[j]);
        if (loc.prefix.length > 0 && !startsWithFolded(v, loc.prefix)) continue;
        // Envoy joins repeated inline headers (Authorization among them) with ",": a second
        // "<prefix>..." after a comma is a second credential, not part of the first.
        if (loc.prefix.length > 0 && v.includes(",")) {
          const parts = v.split(",");
          let extra = 0;
          for (let k = 1; k < parts.length; k++) if (startsWithFolded(trimSpaces(unchecked(parts[k])), loc.prefix)) extra++;
          if (extra > 0) {
            for (let k = 0; k <= extra; k++) take(out, "", i);
            continue;
          }
        }
        const cred = trimSpaces(v.substring(loc.prefix.length));
        take(out, cred, i);
      }
    } else if (loc.kind == LocationKind.Query) {
      const q = path.indexOf("?");
      if (q < 0) continue;
      const query = path.substring(q + 1);
      let start = 0;
      while (start <= query.length) {
        let end = query.indexOf("&", start);
        if (end < 0) end = query.length;
        const eq = query.indexOf("=", start);
        const nameEnd = eq >= 0 && eq < end ? eq : end;
        if (query.substring(start, nameEnd) == loc.name) {
          const raw = nameEnd < end ? query.substring(nameEnd + 1, end) : "";
          const decoded = percentDecode(raw);
          // A value that does not decode is still a credential (a bad one): count it.
          take(out, decoded !== null ? decoded : "\u0000", i);
        }
        start = end + 1;
      }
    } else {
      const cookies = headers.getAll("cookie");
      for (let j = 0; j < cookies.length; j++) {
        const parts = unchecked(cookies[j]).split(";");
        for (let k = 0; k < parts.length; k++) {
          const part = trimSpaces(unchecked(parts[k]));
          const eq = part.indexOf("=");
          if (eq < 0 || part.substring(0, eq) != loc.name) continue;
          let value = part.substring(eq + 1);
          if (value.length >= 2 && value.startsWith("\"") && value.endsWith("\"")) value = value.substring(1, value.length - 1);
          take(out, value, i);
        }
      }
    }
  }
  return out;
}

function take(out: Found, value: string, where: i32): void {
  out.count++;
  if (out.count == 1) {
    out.value = value;
    out.where = where;
  } else out.value = null;
}

/** Removes the credential found at `loc` from the request (the header, the query parameter,
 *  or the cookie), so the upstream never sees it. */
export function removeCredential(headers: HeaderMap, read: RequestHeaders, loc: Location): void {
  if (loc.kind == LocationKind.Header) {
    if (loc.prefix.length == 0) {
      headers.remove(loc.name);
      return;
    }
    // Keep values of other schemes (a Basic credential beside a removed Bearer token).
    const values = read.getAll(loc.name);
    headers.remove(loc.name);
    for (let i = 0; i < values.length; i++) {
      const v = unchecked(values[i]);
      if (!startsWithFolded(v, loc.prefix)) headers.add(loc.name, v);
    }
  } else if (loc.kind == LocationKind.Query) {
    const path = read.get(":path");
    if (path === null) return;
    const q = path.indexOf("?");
    if (q < 0) return;
    const params = path.substring(q + 1).split("&");
    let kept = "";
    for (let i = 0; i < params.length; i++) {
      const p = unchecked(params[i]);
      const eq = p.indexOf("=");
      if ((eq >= 0 ? p.substring(0, eq) : p) == loc.name) continue;
      kept += (kept.length > 0 ? "&" : "") + p;
    }
    headers.set(":path", path.substring(0, q) + (kept.length > 0 ? "?" + kept : ""), Protected.Allow);
  } else {
    const cookies = read.getAll("cookie");
    headers.remove("cookie");
    let kept = "";
    for (let j = 0; j < cookies.length; j++) {
      const parts = unchecked(cookies[j]).split(";");
      for (let k = 0; k < parts.length; k++) {
        const part = trimSpaces(unchecked(parts[k]));
        if (part.length == 0) continue;
        const eq = part.indexOf("=");
        if ((eq >= 0 ? part.substring(0, eq) : part) == loc.name) continue;
        kept += (kept.length > 0 ? "; " : "") + part;
      }
    }
    if (kept.length > 0) headers.set("cookie", kept);
  }
}

// Finding a credential in a request: an Authorization-style header with a scheme prefix, any
// header, a query parameter or a cookie, in the configured order. Exactly one credential of a
// kind may be present: two (in one header repeated, in two locations, a repeated query
// parameter or cookie) are refused rather than guessed between.

import { HeaderMap, Protected, decodeUtf8 } from "../../../assembly";
import { decodeUtf8At } from "../../../assembly/utf8";
import { Location, LocationKind } from "./locations";

/** The request's headers as one decision reads them. The first lookup has the SDK read the
 *  host's map whole (one host call); later ones are answered from that copy, decoding only
 *  the values asked for. The lists of values a decision reads (credential headers) are kept
 *  here, so the filter's own removals see them as they came and as it left them. Names are
 *  lower-case, as the host gives them. */
export class RequestHeaders {
  /** The names looked up so far, newest first, with their values. */
  private seen: Seen | null = null;
  /** Whether the identity headers were looked for; the indexes of those the client sent. */
  private identityChecked: bool = false;
  private forged: i32[] = NO_INDEXES;
  private queryRead: bool = false;
  private queryText: string | null = null;

  /** `identity`: the names (UTF-8) of the headers only this filter may set. */
  constructor(
    public readonly map: HeaderMap,
    private readonly identity: ArrayBuffer[],
  ) {}

  /** Removes the client's copies of the identity headers (looked for with the first lookup,
   *  while the SDK's copy of the map is fresh: no further host read). */
  stripIdentity(): void {
    if (!this.identityChecked) this.checkIdentity();
    const forged = this.forged;
    for (let i = 0; i < forged.length; i++) this.map.removeBytes(unchecked(this.identity[unchecked(forged[i])]));
  }

  private checkIdentity(): void {
    this.identityChecked = true;
    for (let i = 0; i < this.identity.length; i++) {
      if (this.map.getBytes(unchecked(this.identity[i])) === null) continue;
      if (this.forged.length == 0) this.forged = [];
      this.forged.push(i);
    }
  }

  /** Every value of `name` (lower-case; `nameBytes` its UTF-8, encoded once by the caller's
   *  configuration), in order. */
  getAll(name: string, nameBytes: ArrayBuffer): string[] {
    const s = this.find(name);
    if (s !== null) return s.values;
    const found = this.map.getAllText(nameBytes);
    if (!this.identityChecked) this.checkIdentity();
    this.seen = new Seen(name, found, this.seen);
    return found;
  }

  /** Records what the filter itself left of `name` after changing it. */
  update(name: string, values: string[]): void {
    const s = this.find(name);
    if (s !== null) {
      s.values = values;
      return;
    }
    this.seen = new Seen(name, values, this.seen);
  }

  /** The first value of `name` (lower-case), or null. */
  get(name: string): string | null {
    const s = this.find(name);
    if (s === null && this.seen !== null) return this.map.get(name);
    const all = s !== null ? s.values : this.getAll(name, String.UTF8.encode(name));
    return all.length > 0 ? unchecked(all[0]) : null;
  }

  has(name: string): bool {
    const s = this.find(name);
    if (s !== null) return s.values.length > 0;
    // Once the map was read whole, the SDK answers from its copy without a list.
    return this.seen !== null ? this.map.has(name) : this.getAll(name, String.UTF8.encode(name)).length > 0;
  }

  /** The query of `:path` (what follows its "?"), or null when it has none. The path is
   *  looked at as bytes and decoded only when it has a query. */
  query(): string | null {
    if (this.queryRead) return this.queryText;
    this.queryRead = true;
    let path: string | null = null;
    if (this.seen === null || this.find(":path") !== null) {
      // The first lookup (it reads the map whole), or the path is at hand.
      path = this.get(":path");
    } else {
      // Copied into a buffer kept for it (no allocation for a path that fits, as most do).
      const n = this.map.getBytesInto(PATH_NAME, pathScratch);
      if (n < 0) return null;
      if (n <= pathScratch.byteLength) {
        if (hasQuestionMark(changetype<usize>(pathScratch), <usize>n)) path = decodeUtf8At(changetype<usize>(pathScratch), <usize>n);
      } else {
        const bytes = this.map.getBytes(PATH_NAME);
        if (bytes !== null && hasQuestionMark(changetype<usize>(bytes), <usize>bytes.byteLength)) path = decodeUtf8(bytes);
      }
    }
    if (path === null) return null;
    const q = path.indexOf("?");
    if (q >= 0) this.queryText = path.substring(q + 1);
    return this.queryText;
  }

  private find(name: string): Seen | null {
    let s = this.seen;
    while (s !== null) {
      if (s.name == name) return s;
      s = s.next;
    }
    return null;
  }
}

const PATH_NAME = String.UTF8.encode(":path");
const COOKIE_NAME = String.UTF8.encode("cookie");
/** Where query() looks at `:path` (a longer path is copied out). */
const pathScratch = new ArrayBuffer(1024);

function hasQuestionMark(p: usize, n: usize): bool {
  for (let i: usize = 0; i < n; i++) if (load<u8>(p + i) == 0x3f) return true;
  return false;
}

// Shared empty lists: never pushed to.
const NONE: string[] = [];
const NO_INDEXES: i32[] = [];

class Seen {
  constructor(
    public readonly name: string,
    public values: string[],
    public readonly next: Seen | null,
  ) {}
}

/** The credential found for one list of locations: a span of the text that held it (a
 *  header value, a decoded query parameter or cookie), copied out only when asked for, so a
 *  token the cache knows is never copied. */
export class Found {
  /** The text holding the credential, and where in it the credential is: [start, end). */
  source: string = "";
  start: i32 = 0;
  end: i32 = 0;
  /** How many credentials the locations held (above 1 means refused). */
  count: i32 = 0;
  /** Index in the list of the location it came from. */
  where: i32 = -1;
  private copy: string | null = null;

  /** Back to "nothing found" for the next search. */
  reset(): Found {
    this.source = "";
    this.start = 0;
    this.end = 0;
    this.count = 0;
    this.where = -1;
    this.copy = null;
    return this;
  }

  /** The credential text (prefix and surrounding spaces removed). */
  get value(): string {
    const kept = this.copy;
    if (kept !== null) return kept;
    const v = this.start == 0 && this.end == this.source.length ? this.source : this.source.substring(this.start, this.end);
    this.copy = v;
    return v;
  }
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
  while (a < b && isBlank(s.charCodeAt(a))) a++;
  while (b > a && isBlank(s.charCodeAt(b - 1))) b--;
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

// findCredential's answer: one object for the module, filled again by each search (a check
// is done with it before the next search starts), so a request allocates nothing here.
const found = new Found();

/** The credentials in `locations`, in order (a query parameter is looked for in `:path`).
 *  The Found is the module's one: valid until the next call. */
export function findCredential(headers: RequestHeaders, locations: Location[]): Found {
  const out = found.reset();
  for (let i = 0; i < locations.length; i++) {
    const loc = unchecked(locations[i]);
    if (loc.kind == LocationKind.Header) {
      const values = headers.getAll(loc.name, loc.nameBytes);
      for (let j = 0; j < values.length; j++) {
        const v = unchecked(values[j]);
        if (loc.prefix.length > 0 && !startsWithFolded(v, loc.prefix)) continue;
        // Envoy joins repeated inline headers (Authorization among them) with ",": a second
        // "<prefix>..." after a comma is a second credential, not part of the first.
        if (loc.prefix.length > 0 && hasComma(v)) {
          const parts = v.split(",");
          let extra = 0;
          for (let k = 1; k < parts.length; k++) if (startsWithFolded(trimSpaces(unchecked(parts[k])), loc.prefix)) extra++;
          if (extra > 0) {
            for (let k = 0; k <= extra; k++) take(out, "", 0, 0, i);
            continue;
          }
        }
        // The credential without the spaces and tabs around it.
        let a = loc.prefix.length;
        let b = v.length;
        while (a < b && isBlank(v.charCodeAt(a))) a++;
        while (b > a && isBlank(v.charCodeAt(b - 1))) b--;
        take(out, v, a, b, i);
      }
    } else if (loc.kind == LocationKind.Query) {
      const q = headers.query();
      if (q === null) continue;
      const query = q!;
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
          const text = decoded !== null ? decoded : "\u0000";
          take(out, text, 0, text.length, i);
        }
        start = end + 1;
      }
    } else {
      const cookies = headers.getAll("cookie", COOKIE_NAME);
      for (let j = 0; j < cookies.length; j++) {
        const parts = unchecked(cookies[j]).split(";");
        for (let k = 0; k < parts.length; k++) {
          const part = trimSpaces(unchecked(parts[k]));
          const eq = part.indexOf("=");
          if (eq < 0 || part.substring(0, eq) != loc.name) continue;
          let value = part.substring(eq + 1);
          if (value.length >= 2 && value.startsWith("\"") && value.endsWith("\"")) value = value.substring(1, value.length - 1);
          take(out, value, 0, value.length, i);
        }
      }
    }
  }
  return out;
}

function take(out: Found, source: string, start: i32, end: i32, where: i32): void {
  out.count++;
  if (out.count == 1) {
    out.source = source;
    out.start = start;
    out.end = end;
    out.where = where;
  }
}

function isBlank(c: i32): bool {
  return c == 0x20 || c == 0x09;
}

/** Whether `s` holds a ",". (A scan of the code units, four at a time: a long token is
 *  looked at once.) */
function hasComma(s: string): bool {
  const p = changetype<usize>(s);
  const n = <usize>s.length << 1;
  let i: usize = 0;
  for (; i + 8 <= n; i += 8) {
    // A unit equal to "," is a zero unit of x: the usual test for a zero lane, exact.
    const x = load<u64>(p + i) ^ 0x002c002c002c002c;
    if (((x - 0x0001000100010001) & ~x & 0x8000800080008000) != 0) return true;
  }
  for (; i < n; i += 2) if (load<u16>(p + i) == 0x2c) return true;
  return false;
}


/** Removes the credential found at `loc` from the request (the header, the query parameter,
 *  or the cookie), so the upstream never sees it. `read` learns what is left, so a second
 *  removal from the same header (all-of a Bearer and a Basic credential) keeps the first's. */
export function removeCredential(headers: HeaderMap, read: RequestHeaders, loc: Location): void {
  if (loc.kind == LocationKind.Header) {
    const values = read.getAll(loc.name, loc.nameBytes);
    headers.removeBytes(loc.nameBytes);
    // Keep values of other schemes (a Basic credential beside a removed Bearer token).
    let kept = NONE;
    for (let i = 0; loc.prefix.length > 0 && i < values.length; i++) {
      const v = unchecked(values[i]);
      if (!startsWithFolded(v, loc.prefix)) {
        headers.add(loc.name, v);
        if (kept.length == 0) kept = [];
        kept.push(v);
      }
    }
    read.update(loc.name, kept);
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
    const newPath = path.substring(0, q) + (kept.length > 0 ? "?" + kept : "");
    headers.set(":path", newPath, Protected.Allow);
    read.update(":path", [newPath]);
  } else {
    const cookies = read.getAll("cookie", COOKIE_NAME);
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
    read.update("cookie", kept.length > 0 ? [kept] : NONE);
  }
}

// Where a match, a template or a split reads its value: one grammar for all three.
//
//   header:<name>      every value of a request header (names are lower-cased at configure)
//   query:<name>       every value of a query parameter, raw (not percent-decoded)
//   cookie:<name>      every value of a cookie, from every cookie header
//   path               :path without its query string
//   path_segment:<n>   the n-th non-empty segment of the path, from 0
//   method, authority  :method, :authority
//   property:<a.b.c>   an Envoy attribute (source.address, xds.cluster_name, ...)
//   client_ip          source.address without its port
//
// A RequestView reads the request once (one host call for the whole header map) and answers
// every source from that snapshot, so reads within one request agree with each other.

import { HeaderBytes, PropertyPath, getProperty } from "../../../assembly";

/** The kinds of source. */
export enum SourceKind {
  Header = 0,
  Query = 1,
  Cookie = 2,
  Path = 3,
  PathSegment = 4,
  Method = 5,
  Authority = 6,
  Property = 7,
  ClientIp = 8,
}

/** A parsed source; immutable. */
export class Source {
  /** UTF-8 of the header, query or cookie name. */
  nameBytes: ArrayBuffer = new ArrayBuffer(0);
  segment: i32 = 0;
  property: PropertyPath | null = null;
  constructor(
    public readonly kind: SourceKind,
    public readonly name: string,
  ) {}

  /** Whether a value may repeat (so a `values` mode applies). */
  get repeats(): bool {
    return this.kind == SourceKind.Header || this.kind == SourceKind.Query || this.kind == SourceKind.Cookie;
  }
}

/** A source, or why its text was refused. */
export class SourceResult {
  constructor(
    public readonly source: Source | null,
    public readonly error: string,
  ) {}
}

const MAX_SEGMENT: i32 = 63;

/** Parses `text` in the grammar above. Meant for onConfigure. */
export function parseSource(text: string): SourceResult {
  const colon = text.indexOf(":");
  // "header::authority" names a pseudo-header: split at the first colon only.
  const kind = colon < 0 ? text : text.substring(0, colon);
  const arg = colon < 0 ? "" : text.substring(colon + 1);
  const bare = colon < 0;
  if (kind == "path" && bare) return ok(new Source(SourceKind.Path, ""));
  if (kind == "method" && bare) return ok(new Source(SourceKind.Method, ""));
  if (kind == "authority" && bare) return ok(new Source(SourceKind.Authority, ""));
  if (kind == "client_ip" && bare) return ok(new Source(SourceKind.ClientIp, ""));
  if (kind == "header" || kind == "query" || kind == "cookie") {
    if (bare || arg.length == 0) return bad(kind + " needs a name (" + kind + ":<name>)");
    if (!printableAscii(arg)) return bad("the name must be printable ASCII without spaces or braces");
    const name = kind == "header" ? arg.toLowerCase() : arg;
    const k = kind == "header" ? SourceKind.Header : kind == "query" ? SourceKind.Query : SourceKind.Cookie;
    const s = new Source(k, name);
    s.nameBytes = String.UTF8.encode(name);
    return ok(s);
  }
  if (kind == "path_segment") {
    let n: i32 = 0;
    let digits = arg.length > 0 && arg.length <= 2;
    for (let i = 0; i < arg.length && digits; i++) {
      const c = arg.charCodeAt(i) - 0x30;
      digits = c >= 0 && c <= 9;
      n = n * 10 + c;
    }
    if (!digits || n > MAX_SEGMENT) return bad("path_segment needs an index 0.." + MAX_SEGMENT.toString());
    const s = new Source(SourceKind.PathSegment, "");
    s.segment = n;
    return ok(s);
  }
  if (kind == "property") {
    if (bare || arg.length == 0) return bad("property needs a path (property:source.address)");
    if (!printableAscii(arg) || arg.startsWith(".") || arg.endsWith(".") || arg.includes("..")) {
      return bad("the property path must be dotted names (property:source.address)");
    }
    const s = new Source(SourceKind.Property, arg);
    s.property = PropertyPath.of(arg);
    return ok(s);
  }
  return bad(
    "unknown source; use header:<name>, query:<name>, cookie:<name>, path, path_segment:<n>, " +
      "method, authority, property:<path> or client_ip",
  );
}

function ok(s: Source): SourceResult {
  return new SourceResult(s, "");
}

function bad(why: string): SourceResult {
  return new SourceResult(null, why);
}

function printableAscii(s: string): bool {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c == 0x7b || c == 0x7d) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------

const PATH = String.UTF8.encode(":path");
const METHOD = String.UTF8.encode(":method");
const AUTHORITY = String.UTF8.encode(":authority");
const COOKIE = String.UTF8.encode("cookie");
const SOURCE_ADDRESS = PropertyPath.of("source.address");
const EMPTY = new ArrayBuffer(0);

/** The request as it arrived, read once; every source answers from it. */
export class RequestView {
  private path: ArrayBuffer | null = null;
  private pathEnd: i32 = -1;

  constructor(public readonly pairs: HeaderBytes[]) {}

  /** Every value of header `name` (lower-case UTF-8), in order. */
  headerValues(name: ArrayBuffer): ArrayBuffer[] {
    const out = new Array<ArrayBuffer>(0);
    const pairs = this.pairs;
    for (let i = 0; i < pairs.length; i++) {
      const h = unchecked(pairs[i]);
      if (equalLower(h.name, name)) out.push(h.value);
    }
    return out;
  }

  /** The first value of header `name`, or null. */
  header(name: ArrayBuffer): ArrayBuffer | null {
    const pairs = this.pairs;
    for (let i = 0; i < pairs.length; i++) {
      const h = unchecked(pairs[i]);
      if (equalLower(h.name, name)) return h.value;
    }
    return null;
  }

  /** Every value of `source`: several for headers, query parameters and cookies; none when
   *  it is missing. */
  values(source: Source): ArrayBuffer[] {
    const kind = source.kind;
    if (kind == SourceKind.Header) return this.headerValues(source.nameBytes);
    if (kind == SourceKind.Query) return this.queryValues(source.nameBytes);
    if (kind == SourceKind.Cookie) return this.cookieValues(source.nameBytes);
    const out = new Array<ArrayBuffer>(0);
    const one = this.single(source);
    if (one !== null) out.push(one);
    return out;
  }

  /**
   * The one value of `source` a template or a split reads: a header's values joined with ","
   * (as Envoy joins them), the first query parameter or cookie of that name; null when missing.
   */
  value(source: Source): ArrayBuffer | null {
    const kind = source.kind;
    if (kind == SourceKind.Header) {
      const all = this.headerValues(source.nameBytes);
      if (all.length == 0) return null;
      return all.length == 1 ? unchecked(all[0]) : joinBytes(all, 0x2c);
    }
    if (kind == SourceKind.Query || kind == SourceKind.Cookie) {
      const all = this.values(source);
      return all.length == 0 ? null : unchecked(all[0]);
    }
    return this.single(source);
  }

  private single(source: Source): ArrayBuffer | null {
    const kind = source.kind;
    if (kind == SourceKind.Path) {
      const p = this.fullPath();
      return p === null ? null : p.slice(0, this.pathEnd);
    }
    if (kind == SourceKind.PathSegment) return this.segment(source.segment);
    if (kind == SourceKind.Method) return this.header(METHOD);
    if (kind == SourceKind.Authority) return this.header(AUTHORITY);
    if (kind == SourceKind.Property) return getProperty(source.property!);
    if (kind == SourceKind.ClientIp) return clientIp(getProperty(SOURCE_ADDRESS));
    return null;
  }

  private fullPath(): ArrayBuffer | null {
    if (this.pathEnd < 0) {
      const p = this.header(PATH);
      this.path = p;
      let end = 0;
      if (p !== null) {
        const ptr = changetype<usize>(p);
        const n = p.byteLength;
        while (end < n) {
          const c = load<u8>(ptr + <usize>end);
          if (c == 0x3f || c == 0x23) break; // ? or #
          end++;
        }
      }
      this.pathEnd = end;
    }
    return this.path;
  }

  private segment(index: i32): ArrayBuffer | null {
    const p = this.fullPath();
    if (p === null) return null;
    const ptr = changetype<usize>(p);
    const end = this.pathEnd;
    let seen = 0;
    let i = 0;
    while (i < end) {
      while (i < end && load<u8>(ptr + <usize>i) == 0x2f) i++;
      if (i >= end) break;
      const start = i;
      while (i < end && load<u8>(ptr + <usize>i) != 0x2f) i++;
      if (seen == index) return p.slice(start, i);
      seen++;
    }
    return null;
  }

  private queryValues(name: ArrayBuffer): ArrayBuffer[] {
    const out = new Array<ArrayBuffer>(0);
    const p = this.fullPath();
    if (p === null) return out;
    const ptr = changetype<usize>(p);
    const n = p.byteLength;
    let i = this.pathEnd;
    if (i >= n || load<u8>(ptr + <usize>i) != 0x3f) return out; // no query (or only a fragment)
    i++;
    let end = i;
    while (end < n && load<u8>(ptr + <usize>end) != 0x23) end++;
    while (i < end) {
      let stop = i;
      while (stop < end && load<u8>(ptr + <usize>stop) != 0x26) stop++; // &
      let eq = i;
      while (eq < stop && load<u8>(ptr + <usize>eq) != 0x3d) eq++; // =
      if (eq - i == name.byteLength && sameBytes(ptr + <usize>i, changetype<usize>(name), eq - i)) {
        out.push(eq < stop ? p.slice(eq + 1, stop) : EMPTY);
      }
      i = stop + 1;
    }
    return out;
  }

  private cookieValues(name: ArrayBuffer): ArrayBuffer[] {
    const out = new Array<ArrayBuffer>(0);
    const headers = this.headerValues(COOKIE);
    for (let h = 0; h < headers.length; h++) {
      const v = unchecked(headers[h]);
      const ptr = changetype<usize>(v);
      const n = v.byteLength;
      let i = 0;
      while (i < n) {
        while (i < n && (load<u8>(ptr + <usize>i) == 0x20 || load<u8>(ptr + <usize>i) == 0x09)) i++;
        let stop = i;
        while (stop < n && load<u8>(ptr + <usize>stop) != 0x3b) stop++; // ;
        let eq = i;
        while (eq < stop && load<u8>(ptr + <usize>eq) != 0x3d) eq++;
        if (eq < stop && eq - i == name.byteLength && sameBytes(ptr + <usize>i, changetype<usize>(name), eq - i)) {
          let vs = eq + 1;
          let ve = stop;
          while (ve > vs && (load<u8>(ptr + <usize>(ve - 1)) == 0x20 || load<u8>(ptr + <usize>(ve - 1)) == 0x09)) ve--;
          // A quoted cookie value reads without its quotes (RFC 6265 cookie-value).
          if (ve - vs >= 2 && load<u8>(ptr + <usize>vs) == 0x22 && load<u8>(ptr + <usize>(ve - 1)) == 0x22) {
            vs++;
            ve--;
          }
          out.push(v.slice(vs, ve));
        }
        i = stop + 1;
      }
    }
    return out;
  }
}

/** "1.2.3.4:5678" → "1.2.3.4"; "[::1]:80" → "::1"; anything else as it is. */
export function clientIp(address: ArrayBuffer | null): ArrayBuffer | null {
  if (address === null) return null;
  const ptr = changetype<usize>(address);
  const n = address.byteLength;
  if (n > 0 && load<u8>(ptr) == 0x5b) {
    for (let i = 1; i < n; i++) if (load<u8>(ptr + <usize>i) == 0x5d) return address.slice(1, i);
    return address;
  }
  let colons = 0;
  let last = -1;
  for (let i = 0; i < n; i++) {
    if (load<u8>(ptr + <usize>i) == 0x3a) {
      colons++;
      last = i;
    }
  }
  return colons == 1 ? address.slice(0, last) : address;
}

/** Whether header name `a` (any case) equals the lower-case `b`. */
export function equalLower(a: ArrayBuffer, b: ArrayBuffer): bool {
  const n = a.byteLength;
  if (n != b.byteLength) return false;
  const pa = changetype<usize>(a);
  const pb = changetype<usize>(b);
  for (let i = 0; i < n; i++) {
    let c = <u32>load<u8>(pa + <usize>i);
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c != <u32>load<u8>(pb + <usize>i)) return false;
  }
  return true;
}

function sameBytes(a: usize, b: usize, n: i32): bool {
  for (let i = 0; i < n; i++) if (load<u8>(a + <usize>i) != load<u8>(b + <usize>i)) return false;
  return true;
}

/** The parts joined with `sep` between them. */
export function joinBytes(parts: ArrayBuffer[], sep: u8): ArrayBuffer {
  let total = parts.length > 0 ? parts.length - 1 : 0;
  for (let i = 0; i < parts.length; i++) total += unchecked(parts[i]).byteLength;
  const out = new ArrayBuffer(total);
  const dst = changetype<usize>(out);
  let at: usize = 0;
  for (let i = 0; i < parts.length; i++) {
    if (i > 0) store<u8>(dst + at++, sep);
    const part = unchecked(parts[i]);
    memory.copy(dst + at, changetype<usize>(part), <usize>part.byteLength);
    at += <usize>part.byteLength;
  }
  return out;
}

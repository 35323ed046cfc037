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
// A MessageView (view.ts) reads the request once (one host call for the whole header map) and
// answers every source from that snapshot, so reads within one request agree with each other.

import { PropertyPath } from "../../../assembly";

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

const NO_NAME = new ArrayBuffer(0);

/** A parsed source; immutable. */
export class Source {
  /** UTF-8 of the header, query or cookie name. */
  nameBytes: ArrayBuffer = NO_NAME; // shared: a source without a name makes no object
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

/** The property client_ip reads. */
export const SOURCE_ADDRESS = PropertyPath.of("source.address");

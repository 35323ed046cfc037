// Credential locations (a header with an optional prefix, a query parameter, a cookie) and
// the name rules shared by the configuration readers.

import { ConfigReader, quoteJsonString } from "../../../assembly";

export enum LocationKind {
  Header = 0,
  Query = 1,
  Cookie = 2,
}

/** Where a credential is read from. */
export class Location {
  constructor(
    public readonly kind: LocationKind,
    /** Header names lower-case; query and cookie names as given. */
    public readonly name: string,
    /** Header only: the value must start with this (ASCII case-insensitive); it is removed. */
    public readonly prefix: string,
  ) {
    this.nameBytes = String.UTF8.encode(name);
    this.alone.push(this);
  }

  /** `name` as UTF-8, for the host calls. */
  readonly nameBytes: ArrayBuffer;

  /** This location alone (what a request verified through it removes upstream), made once. */
  readonly alone: Location[] = [];
}

export function readLocations(cfg: ConfigReader, path: string, def: Location[]): Location[] {
  if (!cfg.has(path)) return def;
  const out: Location[] = [];
  const items = cfg.array(path);
  if (items.length == 0 && cfg.ok) cfg.fail(path, "must list at least one location");
  for (let i = 0; i < items.length; i++) {
    const l = items[i];
    l.unknownKeys(["header", "prefix", "query", "cookie"]);
    let kinds = 0;
    if (l.has("header")) kinds++;
    if (l.has("query")) kinds++;
    if (l.has("cookie")) kinds++;
    if (kinds != 1) {
      cfg.fail(path + "[" + i.toString() + "]", "needs exactly one of header, query, cookie");
      continue;
    }
    if (l.has("header")) {
      const name = l.headerName("header");
      if (name == "cookie") l.fail("header", "\"cookie\": use {\"cookie\": name} to read a cookie");
      out.push(new Location(LocationKind.Header, name, l.string("prefix", "")));
    } else {
      if (l.has("prefix")) l.fail("prefix", "applies to header locations only");
      const kind = l.has("query") ? LocationKind.Query : LocationKind.Cookie;
      const field = kind == LocationKind.Query ? "query" : "cookie";
      const name = l.string(field);
      if (!isToken(name)) l.fail(field, quoteJsonString(name) + " must be 1-128 characters of [A-Za-z0-9_.~-]");
      out.push(new Location(kind, name, ""));
    }
  }
  return out;
}

export function isToken(s: string): bool {
  if (s.length == 0 || s.length > 128) return false;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    const ok =
      (ch >= 0x61 && ch <= 0x7a) || (ch >= 0x41 && ch <= 0x5a) || (ch >= 0x30 && ch <= 0x39) ||
      ch == 0x5f || ch == 0x2e || ch == 0x7e || ch == 0x2d;
    if (!ok) return false;
  }
  return true;
}


// A header map that behaves like Envoy's HeaderMapImpl as proxy-wasm sees it: names are
// lower-cased on the way in, pseudo-headers (":path", ":status", ...) always sort before
// regular headers, a lookup returns the first value only, "replace" removes every value and
// appends one, and the "size" the ABI reports is the byte size (names plus values), not a count.
// A map that stands for one of a stream's maps (`asKind`) also keeps Envoy's inline headers as
// one entry each (inline-headers.ts): a second value is joined into the entry with ",".
// Values are byte strings (wire.ts): text as usual, bytes that are not UTF-8 kept exactly.

import { inlineNamesOf, type MapKind, NO_INLINE } from "./inline-headers.ts";
import { byteLength, byteString, type Pairs, utf8 } from "./wire.ts";

export class HeaderMap {
  private entries: Pairs;
  /** How many entries at the front are pseudo-headers. */
  private pseudo = 0;
  // Stryker disable next-line StringLiteral: equivalent, a kind that is no kind has no inline names, as "plain" has; asKind("plain") then only copies the entries again
  private kind: MapKind = "plain";
  /** Names kept as one entry (a repeat is joined into it), for the map's kind. */
  private inlineNames: ReadonlySet<string> = NO_INLINE;

  constructor(pairs: Pairs = []) {
    this.entries = [];
    for (const [k, v] of pairs) this.add(k, v);
  }

  /** Envoy's map->size(): the number of entries (passed as num_headers to callbacks). */
  get count(): number {
    return this.entries.length;
  }

  /** Envoy's map->byteSize(): what proxy_get_header_map_size returns. */
  byteSize(): number {
    let size = 0;
    for (const [k, v] of this.entries) size += byteLength(k) + byteLength(v);
    return size;
  }

  /**
   * Makes this map stand for one of Envoy's maps of a stream (request headers, response
   * trailers, ...): from now on repeats of the kind's inline names are joined, and repeats
   * already held are joined as Envoy's codec joins what it parses. Returns the map.
   */
  asKind(kind: MapKind): this {
    // Stryker disable next-line ConditionalExpression: equivalent, adding a map's entries again under its own kind gives the same entries (already joined and ordered); the return saves the copy
    if (kind === this.kind) return this;
    const entries = this.entries;
    this.kind = kind;
    this.inlineNames = inlineNamesOf(kind);
    this.entries = [];
    this.pseudo = 0;
    for (const [k, v] of entries) this.add(k, v);
    return this;
  }

  /** The name Envoy stores `name` under: lower-cased, and on request maps `host` is
   *  `:authority` (Envoy's lookup table maps the legacy name to the pseudo-header). */
  private keyOf(name: string): string {
    const key = name.toLowerCase();
    return key === "host" && this.kind === "request-headers" ? ":authority" : key;
  }

  /** The first value of `name`, as Envoy's getHeaderMapValue returns it. */
  get(name: string): string | undefined {
    const key = this.keyOf(name);
    for (const [k, v] of this.entries) if (k === key) return v;
    return undefined;
  }

  /** The first value of `name` as the bytes that go on the wire. */
  getBytes(name: string): Uint8Array | undefined {
    const value = this.get(name);
    return value === undefined ? undefined : utf8(value);
  }

  /** Every value of `name`. */
  getAll(name: string): string[] {
    const key = this.keyOf(name);
    return this.entries.filter(([k]) => k === key).map(([, v]) => v);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Envoy's addCopy: a new entry at the end (pseudo-headers after the last pseudo-header),
   *  or, for an inline name already present, the value joined into its entry with "," (an
   *  empty value joins nothing; a value joined into an empty entry gets no delimiter). */
  add(name: string, value: string): void {
    const key = this.keyOf(name);
    if (this.inlineNames.has(key)) {
      const at = this.entries.findIndex(([k]) => k === key);
      const entry = this.entries[at];
      if (entry !== undefined) {
        if (value !== "") entry[1] = entry[1] === "" ? value : `${entry[1]},${value}`;
        return;
      }
    }
    if (key.charCodeAt(0) === 58 /* ":" */) {
      // Pseudo-headers go after the last pseudo-header, before the first regular header.
      // Stryker disable next-line ConditionalExpression: equivalent, a splice at the end is a push; the push is the common case's shortcut
      if (this.pseudo === this.entries.length) this.entries.push([key, value]);
      else this.entries.splice(this.pseudo, 0, [key, value]);
      this.pseudo++;
    } else {
      this.entries.push([key, value]);
    }
  }

  /** Envoy's setCopy: drop every value of `name`, then add one. */
  set(name: string, value: string): void {
    this.remove(name);
    this.add(name, value);
  }

  remove(name: string): void {
    const key = this.keyOf(name);
    const entries = this.entries;
    const pseudo = this.pseudo;
    let kept = 0;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i] as [string, string];
      if (entry[0] !== key) entries[kept++] = entry;
      else if (i < pseudo) this.pseudo--;
    }
    entries.length = kept;
  }

  /** Envoy's setHeaderMapPairs: remove everything, then add each pair in order (as add does:
   *  a repeat of an inline name is joined into its entry). */
  replaceAll(pairs: Pairs): void {
    this.entries = [];
    this.pseudo = 0;
    for (const [k, v] of pairs) this.add(k, v);
  }

  pairs(): Pairs {
    return this.entries.map(([k, v]) => [k, v]);
  }

  /** A plain object; repeated names are joined with ", " like HTTP clients fold them. */
  toObject(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of this.entries) out[k] = k in out ? `${out[k]}, ${v}` : v;
    return out;
  }

  clone(): HeaderMap {
    const copy = new HeaderMap();
    copy.entries = this.pairs();
    copy.pseudo = this.pseudo;
    copy.kind = this.kind;
    copy.inlineNames = this.inlineNames;
    return copy;
  }
}

/** A header value a test gives: text, or the exact bytes (a raw latin-1 0xE9, say). */
export type HeaderValue = string | Uint8Array;

/** Anything a test may pass as headers. */
export type HeadersInit =
  | Record<string, HeaderValue | HeaderValue[]>
  | Array<[string, HeaderValue]>
  | HeaderMap;

/** A value as the map keeps it: bytes become a byte string (see wire.ts). */
function storedValue(value: HeaderValue): string {
  return typeof value === "string" ? value : byteString(value);
}

export function toHeaderMap(init: HeadersInit | undefined): HeaderMap {
  // Stryker disable next-line ConditionalExpression: equivalent, the loops below add nothing for undefined (for-in over undefined runs no iteration)
  if (init === undefined) return new HeaderMap();
  if (init instanceof HeaderMap) return init.clone();
  const map = new HeaderMap();
  if (Array.isArray(init)) {
    for (const [k, v] of init) map.add(k, storedValue(v));
    return map;
  }
  for (const k in init) {
    const v = init[k] as HeaderValue | HeaderValue[];
    if (Array.isArray(v)) for (const value of v) map.add(k, storedValue(value));
    else map.add(k, storedValue(v));
  }
  return map;
}

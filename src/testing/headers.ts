// A header map that behaves like Envoy's HeaderMapImpl as proxy-wasm sees it: names are
// lower-cased on the way in, pseudo-headers (":path", ":status", ...) always sort before
// regular headers, a lookup returns the first value only, "replace" removes every value and
// appends one, and the "size" the ABI reports is the byte size (names plus values), not a count.
// Values are byte strings (wire.ts): text as usual, bytes that are not UTF-8 kept exactly.

import { byteLength, byteString, type Pairs, utf8 } from "./wire.ts";

export class HeaderMap {
  private entries: Pairs;
  /** How many entries at the front are pseudo-headers. */
  private pseudo = 0;

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

  /** The first value of `name`, as Envoy's getHeaderMapValue returns it. */
  get(name: string): string | undefined {
    const key = name.toLowerCase();
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
    const key = name.toLowerCase();
    return this.entries.filter(([k]) => k === key).map(([, v]) => v);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  add(name: string, value: string): void {
    const key = name.toLowerCase();
    if (key.charCodeAt(0) === 58 /* ":" */) {
      // Pseudo-headers go after the last pseudo-header, before the first regular header.
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
    const key = name.toLowerCase();
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

  /** Envoy's setHeaderMapPairs: remove everything, then add each pair in order. */
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

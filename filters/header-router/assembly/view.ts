// A message's headers read in place: one host call hands over the whole map as one pairs
// block (HeaderMap.pairsBlock: one allocation whatever the header count), and every source —
// headers, the path, its segments, query parameters, cookies — is answered as a span of that
// block (`ptr`, `len`), never as a buffer of its own. Only what the block cannot hold gets a
// buffer: a property's answer, and the joined value of a header that came several times.
//
// Reads go through one cursor (begin, then next until it says false), so a caller finishes
// one source before it reads another. Reads within one message agree with each other: they
// all see the message as it arrived.

import { getProperty } from "../../../assembly";
import { Source, SourceKind, SOURCE_ADDRESS } from "./sources";

const PATH = String.UTF8.encode(":path");
const METHOD = String.UTF8.encode(":method");
const AUTHORITY = String.UTF8.encode(":authority");
const COOKIE = String.UTF8.encode("cookie");
const NO_NAME = new ArrayBuffer(0);

// What the cursor walks.
const WALK_DONE: i32 = 0;
const WALK_HEADER: i32 = 1;
const WALK_QUERY: i32 = 2;
const WALK_COOKIE: i32 = 3;
const WALK_ONE: i32 = 4;

/** compareHeader's answers. */
export const HEADER_ABSENT: i32 = 0;
export const HEADER_SAME: i32 = 1;
export const HEADER_OTHER: i32 = 2;

/** A message's header map, read in place. */
export class MessageView {
  private readonly base: usize;
  private readonly count: i32;
  private readonly dataStart: usize;

  /** The value the last read found: `len` bytes at `ptr`, valid while the view lives. */
  ptr: usize = 0;
  len: i32 = 0;
  /** Whether the last `render` of a template had a part with nothing to read. */
  missing: bool = false;

  // The cursor: what it walks, the name it looks for, where the header walk stands, and the
  // span inside one value (query string, cookie header) that query and cookie walks split.
  private walk: i32 = WALK_DONE;
  private name: ArrayBuffer = NO_NAME;
  private index: i32 = 0;
  private data: usize = 0;
  private at: usize = 0;
  private end: usize = 0;

  // :path, found once: its value, and where the path part stops (before ? or #).
  private pathKnown: bool = false;
  private pathPtr: usize = 0;
  private pathLen: i32 = -1; // -1: no :path
  private pathEnd: i32 = 0;

  // Buffers that values point into besides the block (kept alive with the view).
  private kept: ArrayBuffer[] | null = null;

  constructor(readonly block: ArrayBuffer) {
    const base = changetype<usize>(block);
    this.base = base;
    const count = block.byteLength < 4 ? 0 : <i32>load<u32>(base);
    this.count = count;
    this.dataStart = base + 4 + (<usize>count << 3);
  }

  /** Headers in the map (each line of a repeated name counts). */
  get size(): i32 {
    return this.count;
  }

  // ---- the header walk --------------------------------------------------------------------

  /** Starts a walk over every pair; `nextPair` then visits them in order. */
  startPairs(): void {
    this.index = 0;
    this.data = this.dataStart;
  }

  /** Moves to the next pair: its name at `namePtr`/`nameLen`, its value at `ptr`/`len`. */
  nextPair(): bool {
    const i = this.index;
    if (i >= this.count) return false;
    const sizes = this.base + 4 + (<usize>i << 3);
    const nameLen = <usize>load<u32>(sizes);
    const valueLen = <usize>load<u32>(sizes, 4);
    const here = this.data;
    this.namePtr = here;
    this.nameLen = <i32>nameLen;
    this.ptr = here + nameLen + 1;
    this.len = <i32>valueLen;
    this.index = i + 1;
    this.data = here + nameLen + valueLen + 2;
    return true;
  }

  /** The name of the pair `nextPair` last visited. */
  namePtr: usize = 0;
  nameLen: i32 = 0;

  /** Moves to the next pair named `name` (lower-case UTF-8; stored names match in any case). */
  private nextHeader(name: ArrayBuffer): bool {
    const want = <usize>name.byteLength;
    const np = changetype<usize>(name);
    const n = this.count;
    let i = this.index;
    let data = this.data;
    while (i < n) {
      const sizes = this.base + 4 + (<usize>i << 3);
      const nameLen = <usize>load<u32>(sizes);
      const valueLen = <usize>load<u32>(sizes, 4);
      const here = data;
      data += nameLen + valueLen + 2;
      i++;
      if (nameLen == want && equalLowerAt(here, np, want)) {
        this.index = i;
        this.data = data;
        this.ptr = here + nameLen + 1;
        this.len = <i32>valueLen;
        return true;
      }
    }
    this.index = i;
    this.data = data;
    return false;
  }

  /** The index of the first pair named `len` lower-case bytes at `name`, or -1; leaves the
   *  cursor where it was. */
  indexOfName(name: usize, len: i32): i32 {
    const n = this.count;
    let data = this.dataStart;
    for (let i = 0; i < n; i++) {
      const sizes = this.base + 4 + (<usize>i << 3);
      const nameLen = <usize>load<u32>(sizes);
      if (nameLen == <usize>len && equalLowerAt(data, name, nameLen)) return i;
      data += nameLen + <usize>load<u32>(sizes, 4) + 2;
    }
    return -1;
  }

  /** How header `name` (lower-case UTF-8) stands against `value`: HEADER_ABSENT,
   *  HEADER_SAME (one value, equal to `value` byte for byte) or HEADER_OTHER. Leaves the
   *  cursor where it was. */
  compareHeader(name: ArrayBuffer, value: ArrayBuffer): i32 {
    const want = <usize>name.byteLength;
    const np = changetype<usize>(name);
    const n = this.count;
    let data = this.dataStart;
    let state = HEADER_ABSENT;
    for (let i = 0; i < n; i++) {
      const sizes = this.base + 4 + (<usize>i << 3);
      const nameLen = <usize>load<u32>(sizes);
      const valueLen = <usize>load<u32>(sizes, 4);
      if (nameLen == want && equalLowerAt(data, np, want)) {
        if (state != HEADER_ABSENT) return HEADER_OTHER; // a second value
        state =
          valueLen == <usize>value.byteLength && sameBytes(data + nameLen + 1, changetype<usize>(value), valueLen)
            ? HEADER_SAME
            : HEADER_OTHER;
      }
      data += nameLen + valueLen + 2;
    }
    return state;
  }

  /** The first value of header `name` (lower-case UTF-8) in `ptr`/`len`; false when absent. */
  header(name: ArrayBuffer): bool {
    this.startPairs();
    return this.nextHeader(name);
  }

  /** Whether header `name` is present. */
  has(name: ArrayBuffer): bool {
    return this.header(name);
  }

  // ---- the value cursor -------------------------------------------------------------------

  /** Starts reading every value of `source`; `next` then yields them in order. */
  begin(source: Source): void {
    const kind = source.kind;
    if (kind == SourceKind.Header) {
      this.walk = WALK_HEADER;
      this.name = source.nameBytes;
      this.startPairs();
    } else if (kind == SourceKind.Cookie) {
      this.walk = WALK_COOKIE;
      this.name = source.nameBytes;
      this.startPairs();
      this.at = 0;
      this.end = 0;
    } else if (kind == SourceKind.Query) {
      this.walk = WALK_DONE;
      this.name = source.nameBytes;
      if (!this.findPath() || this.pathEnd >= this.pathLen) return;
      const p = this.pathPtr;
      if (load<u8>(p + <usize>this.pathEnd) != 0x3f) return; // no query (only a fragment)
      let end = this.pathEnd + 1;
      while (end < this.pathLen && load<u8>(p + <usize>end) != 0x23) end++;
      this.walk = WALK_QUERY;
      this.at = p + <usize>this.pathEnd + 1;
      this.end = p + <usize>end;
    } else {
      this.walk = this.one(source) ? WALK_ONE : WALK_DONE;
    }
  }

  /** The next value of the source `begin` named, in `ptr`/`len`; false when there is none. */
  next(): bool {
    const walk = this.walk;
    if (walk == WALK_HEADER) {
      if (this.nextHeader(this.name)) return true;
    } else if (walk == WALK_QUERY) {
      if (this.nextQuery()) return true;
    } else if (walk == WALK_COOKIE) {
      if (this.nextCookie()) return true;
    } else if (walk == WALK_ONE) {
      this.walk = WALK_DONE;
      return true;
    }
    this.walk = WALK_DONE;
    return false;
  }

  private nextQuery(): bool {
    const name = changetype<usize>(this.name);
    const want = <usize>this.name.byteLength;
    let i = this.at;
    const end = this.end;
    while (i < end) {
      let stop = i;
      while (stop < end && load<u8>(stop) != 0x26) stop++; // &
      let eq = i;
      while (eq < stop && load<u8>(eq) != 0x3d) eq++; // =
      const start = i;
      i = stop + 1;
      if (eq - start == want && sameBytes(start, name, want)) {
        this.at = i;
        this.ptr = eq < stop ? eq + 1 : stop;
        this.len = eq < stop ? <i32>(stop - eq - 1) : 0;
        return true;
      }
    }
    this.at = end;
    return false;
  }

  private nextCookie(): bool {
    const name = changetype<usize>(this.name);
    const want = <usize>this.name.byteLength;
    while (true) {
      let i = this.at;
      const n = this.end;
      while (i < n) {
        while (i < n && isSpace(load<u8>(i))) i++;
        let stop = i;
        while (stop < n && load<u8>(stop) != 0x3b) stop++; // ;
        let eq = i;
        while (eq < stop && load<u8>(eq) != 0x3d) eq++;
        const start = i;
        i = stop + 1;
        if (eq < stop && eq - start == want && sameBytes(start, name, want)) {
          let vs = eq + 1;
          let ve = stop;
          while (ve > vs && isSpace(load<u8>(ve - 1))) ve--;
          // A quoted cookie value reads without its quotes (RFC 6265 cookie-value).
          if (ve - vs >= 2 && load<u8>(vs) == 0x22 && load<u8>(ve - 1) == 0x22) {
            vs++;
            ve--;
          }
          this.at = i;
          this.ptr = vs;
          this.len = <i32>(ve - vs);
          return true;
        }
      }
      // This cookie header is done: on to the next one.
      if (!this.nextHeader(COOKIE)) return false;
      this.at = this.ptr;
      this.end = this.ptr + <usize>this.len;
    }
    return false;
  }

  /** The value of a source that has one at most (path, segment, method, ...). */
  private one(source: Source): bool {
    const kind = source.kind;
    if (kind == SourceKind.Path) {
      if (!this.findPath()) return false;
      this.ptr = this.pathPtr;
      this.len = this.pathEnd;
      return true;
    }
    if (kind == SourceKind.PathSegment) return this.segment(source.segment);
    if (kind == SourceKind.Method) return this.header(METHOD);
    if (kind == SourceKind.Authority) return this.header(AUTHORITY);
    if (kind == SourceKind.Property) return this.hold(getProperty(source.property!));
    if (kind == SourceKind.ClientIp) {
      if (!this.hold(getProperty(SOURCE_ADDRESS))) return false;
      clientIpSpan(this);
      return true;
    }
    return false;
  }

  /**
   * The one value of `source` a template or a split reads, in `ptr`/`len`: a header's values
   * joined with "," (as Envoy joins them), the first query parameter or cookie of that name;
   * false when missing.
   */
  single(source: Source): bool {
    this.begin(source);
    if (!this.next()) return false;
    if (source.kind != SourceKind.Header) return true;
    const ptr = this.ptr;
    const len = this.len;
    if (!this.next()) {
      this.ptr = ptr;
      this.len = len;
      return true;
    }
    this.joined(source);
    return true;
  }

  /** Every value of `source` joined with "," into a buffer of the view's, in `ptr`/`len`
   *  (a match's `joined` mode); false when there is none. */
  joined(source: Source): bool {
    let total = -1;
    let values = 0;
    this.begin(source);
    while (this.next()) {
      total += this.len + 1;
      values++;
    }
    if (values == 0) return false;
    const out = new ArrayBuffer(total);
    const dst = changetype<usize>(out);
    let at: usize = 0;
    this.begin(source);
    while (this.next()) {
      if (at > 0) store<u8>(dst + at++, 0x2c);
      memory.copy(dst + at, this.ptr, <usize>this.len);
      at += <usize>this.len;
    }
    this.keep(out);
    this.ptr = dst;
    this.len = total;
    return true;
  }

  // ---- the path ---------------------------------------------------------------------------

  private findPath(): bool {
    if (!this.pathKnown) {
      this.pathKnown = true;
      if (this.header(PATH)) {
        const p = this.ptr;
        const n = this.len;
        let end = 0;
        while (end < n) {
          const c = load<u8>(p + <usize>end);
          if (c == 0x3f || c == 0x23) break; // ? or #
          end++;
        }
        this.pathPtr = p;
        this.pathLen = n;
        this.pathEnd = end;
      }
    }
    return this.pathLen >= 0;
  }

  private segment(index: i32): bool {
    if (!this.findPath()) return false;
    const p = this.pathPtr;
    const end = this.pathEnd;
    let seen = 0;
    let i = 0;
    while (i < end) {
      while (i < end && load<u8>(p + <usize>i) == 0x2f) i++;
      if (i >= end) break;
      const start = i;
      while (i < end && load<u8>(p + <usize>i) != 0x2f) i++;
      if (seen == index) {
        this.ptr = p + <usize>start;
        this.len = i - start;
        return true;
      }
      seen++;
    }
    return false;
  }

  // Holds `buffer` with the view and points `ptr`/`len` at it; false for null.
  private hold(buffer: ArrayBuffer | null): bool {
    if (buffer === null) return false;
    this.keep(buffer);
    this.ptr = changetype<usize>(buffer);
    this.len = buffer.byteLength;
    return true;
  }

  private keep(buffer: ArrayBuffer): void {
    let kept = this.kept;
    if (kept === null) this.kept = kept = new Array<ArrayBuffer>(0);
    kept.push(buffer);
  }
}

/** The empty view: a message with no headers. */
export const NO_HEADERS = new MessageView(new ArrayBuffer(0));

/** "1.2.3.4:5678" → "1.2.3.4"; "[::1]:80" → "::1"; anything else as it is: narrows the
 *  view's current span in place. */
function clientIpSpan(view: MessageView): void {
  const ptr = view.ptr;
  const n = view.len;
  if (n > 0 && load<u8>(ptr) == 0x5b) {
    for (let i = 1; i < n; i++) {
      if (load<u8>(ptr + <usize>i) == 0x5d) {
        view.ptr = ptr + 1;
        view.len = i - 1;
        return;
      }
    }
    return;
  }
  let colons = 0;
  let last = -1;
  for (let i = 0; i < n; i++) {
    if (load<u8>(ptr + <usize>i) == 0x3a) {
      colons++;
      last = i;
    }
  }
  if (colons == 1) view.len = last;
}

/** Whether `n` bytes of a stored header name at `a` (any case) equal the lower-case `b`. */
export function equalLowerAt(a: usize, b: usize, n: usize): bool {
  for (let i: usize = 0; i < n; i++) {
    let c = <u32>load<u8>(a + i);
    if (c - 0x41 < 26) c |= 0x20;
    if (c != <u32>load<u8>(b + i)) return false;
  }
  return true;
}

/** Whether `n` bytes at `a` and `b` are the same. */
export function sameBytes(a: usize, b: usize, n: usize): bool {
  for (let i: usize = 0; i < n; i++) if (load<u8>(a + i) != load<u8>(b + i)) return false;
  return true;
}

// @ts-ignore: decorator
@inline function isSpace(c: u8): bool {
  return c == 0x20 || c == 0x09;
}

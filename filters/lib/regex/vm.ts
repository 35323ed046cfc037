// The Pike VM: runs a Program over UTF-8 bytes or UTF-16 code units in one pass, every thread
// advancing one code point at a time, so the work is O(text length x program length) whatever
// the pattern; there is no backtracking. Thread order is priority order, which gives the same
// leftmost-first match spans as a backtracking engine (Perl, JavaScript).
//
// All memory is allocated once per compiled pattern (lists, closure stack, capture slots); a
// match allocates nothing.

import { isWordChar } from "./charset";
import {
  OP_ANY,
  OP_ANY_NOT_NL,
  OP_ASSERT,
  OP_CHAR,
  OP_CLASS,
  OP_JMP,
  OP_MATCH,
  OP_SAVE,
  OP_SPLIT,
  Program,
} from "./compile";
import { AssertKind } from "./parse";

/** Leftmost-first search with spans (and captures when slots allow). */
// @ts-ignore: decorator
@inline export const MODE_SEARCH: i32 = 0;
/** The whole text must match. */
// @ts-ignore: decorator
@inline export const MODE_FULL: i32 = 1;
/** Any match anywhere; stops at the first one found. */
// @ts-ignore: decorator
@inline export const MODE_ANY: i32 = 2;

// The width, in input units, of the code point the last decode returned.
let decodedWidth: i32 = 0;

/** The code point at `pos`; invalid UTF-8 (or a lone surrogate byte run) reads as U+FFFD, one unit wide. */
// @ts-ignore: decorator
@inline function decode(ptr: usize, pos: i32, len: i32, utf16: bool): i32 {
  if (utf16) {
    const c = <i32>load<u16>(ptr + (<usize>pos << 1));
    if (c >= 0xd800 && c < 0xdc00 && pos + 1 < len) {
      const d = <i32>load<u16>(ptr + (<usize>(pos + 1) << 1));
      if (d >= 0xdc00 && d < 0xe000) {
        decodedWidth = 2;
        return ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
      }
    }
    decodedWidth = 1;
    return c;
  }
  const b0 = <i32>load<u8>(ptr + <usize>pos);
  decodedWidth = 1;
  if (b0 < 0x80) return b0;
  return decodeMultiByte(ptr, pos, len, b0);
}

function decodeMultiByte(ptr: usize, pos: i32, len: i32, b0: i32): i32 {
  let need = 0;
  let cp = 0;
  let lo = 0x80;
  let hi = 0xbf;
  if (b0 >= 0xc2 && b0 < 0xe0) {
    need = 1;
    cp = b0 & 0x1f;
  } else if (b0 >= 0xe0 && b0 < 0xf0) {
    need = 2;
    cp = b0 & 0x0f;
    if (b0 == 0xe0) lo = 0xa0; // no overlong forms
    if (b0 == 0xed) hi = 0x9f; // no surrogates
  } else if (b0 >= 0xf0 && b0 < 0xf5) {
    need = 3;
    cp = b0 & 0x07;
    if (b0 == 0xf0) lo = 0x90;
    if (b0 == 0xf4) hi = 0x8f; // nothing above U+10FFFF
  } else {
    return 0xfffd;
  }
  if (pos + need >= len) return 0xfffd; // truncated at the end of the text
  for (let k = 1; k <= need; k++) {
    const b = <i32>load<u8>(ptr + <usize>(pos + k));
    if (b < lo || b > hi) return 0xfffd;
    lo = 0x80;
    hi = 0xbf;
    cp = (cp << 6) | (b & 0x3f);
  }
  decodedWidth = need + 1;
  return cp;
}

// A thread list is one block of i32: [size][dense: n][sparse: n][slots: n * slotCount]. The
// dense part holds program counters in priority order; sparse[pc] indexes into it (a sparse
// set: clearing is `size = 0`). The hot loops work on raw addresses: plain integers keep the
// garbage collector's bookkeeping out of every step. The blocks are owned by the Machine, and
// the collector does not move memory, so the addresses stay valid for its lifetime.

/** The per-pattern matching state; one per compiled pattern, reused by every match. */
export class Machine {
  /** Slots of the last successful match: [2k, 2k+1] = start and end of group k (0: all). */
  result: StaticArray<i32>;
  /** Thread steps the last run took (live threads summed over input positions). */
  steps: i64 = 0;
  private blockA: StaticArray<i32>;
  private blockB: StaticArray<i32>;
  private stackBlock: StaticArray<i32>;
  private workBlock: StaticArray<i32>;
  private readonly slotCount: i32;
  private readonly sparseOffset: usize;
  private readonly slotsOffset: usize;
  private readonly code: usize;

  constructor(private readonly program: Program) {
    const n = program.length;
    const slotCount = (program.groups + 1) * 2;
    this.slotCount = slotCount;
    this.sparseOffset = 4 + (<usize>n << 2);
    this.slotsOffset = 4 + (<usize>n << 3);
    this.blockA = new StaticArray<i32>(1 + 2 * n + n * slotCount);
    this.blockB = new StaticArray<i32>(1 + 2 * n + n * slotCount);
    // Each instruction pushes at most one entry (pc, value) per closure, plus the start.
    this.stackBlock = new StaticArray<i32>((n + 1) * 2);
    this.workBlock = new StaticArray<i32>(slotCount);
    this.result = new StaticArray<i32>(slotCount);
    this.code = changetype<usize>(program.code);
  }

  /** Bytes of matching state (lists, stack, slots). */
  get byteSize(): i32 {
    return (
      (this.blockA.length * 2 + this.stackBlock.length + this.workBlock.length + this.result.length) * 4
    );
  }

  /**
   * Runs over `len` units at `ptr` (bytes, or UTF-16 code units when `utf16`). `slots` is how
   * many capture slots to track: 0 (yes/no), 2 (the span) or all. True on a match; the span
   * and groups are then in `result`.
   */
  run(ptr: usize, len: i32, utf16: bool, mode: i32, slots: i32): bool {
    const program = this.program;
    const code = this.code;
    const classes = program.classes;
    const anchored = program.anchoredStart || mode == MODE_FULL;
    const first = mode == MODE_FULL ? -1 : program.firstChar;
    const firstClass = mode == MODE_FULL ? -1 : program.firstClass;
    const nslots = min(slots, this.slotCount);
    const stride = <usize>this.slotCount << 2;
    const slotsOffset = this.slotsOffset;
    let clist = changetype<usize>(this.blockA);
    let nlist = changetype<usize>(this.blockB);
    store<i32>(clist, 0);
    store<i32>(nlist, 0);
    const result = changetype<usize>(this.result);
    for (let k = 0; k < this.slotCount; k++) store<i32>(result + (<usize>k << 2), -1);
    let matched = false;
    this.steps = 0;
    if (mode == MODE_FULL && !literalStartAt(code, ptr, len, utf16)) return false;
    let pos = 0;
    let prev = -1;
    let cp = -1;
    let width = 0;
    if (len > 0) {
      cp = decode(ptr, 0, len, utf16);
      width = decodedWidth;
    }
    while (true) {
      if (!matched && (pos == 0 || !anchored)) {
        if (load<i32>(clist) == 0 && first >= 0) {
          // Nothing running: jump to the next place a match can start.
          const at = findUnit(ptr, pos, len, utf16, first);
          if (at < 0) break;
          if (at != pos) {
            pos = at;
            prev = <i32>(utf16 ? load<u16>(ptr + (<usize>(at - 1) << 1)) : load<u8>(ptr + <usize>(at - 1)));
            cp = first;
            width = 1;
          }
        } else if (load<i32>(clist) == 0 && firstClass >= 0 && !classes.contains(firstClass, cp)) {
          // Nothing running and no match can start here: step over text that cannot start one.
          while (true) {
            prev = cp;
            pos += width;
            if (pos >= len) break;
            cp = decode(ptr, pos, len, utf16);
            width = decodedWidth;
            if (classes.contains(firstClass, cp)) break;
          }
          if (pos >= len) break;
        }
        this.addThread(clist, 0, 0, pos, len, prev, cp, nslots, 0);
      }
      const size = load<i32>(clist);
      if (size == 0) break;
      this.steps += <i64>size;
      const nextPos = pos + width;
      let nextCp = -1;
      let nextWidth = 0;
      if (nextPos < len) {
        nextCp = decode(ptr, nextPos, len, utf16);
        nextWidth = decodedWidth;
      }
      for (let i = 0; i < size; i++) {
        const pc = load<i32>(clist + 4 + (<usize>i << 2));
        const at = code + <usize>pc * 12;
        const op = load<i32>(at);
        let step = false;
        if (op == OP_CHAR) {
          step = cp == load<i32>(at, 4);
        } else if (op == OP_CLASS) {
          step = cp >= 0 && classes.contains(load<i32>(at, 4), cp);
        } else if (op == OP_ANY_NOT_NL) {
          step = cp >= 0 && cp != 0x0a;
        } else if (op == OP_ANY) {
          step = cp >= 0;
        } else if (op == OP_MATCH) {
          if (mode == MODE_FULL && pos != len) continue;
          matched = true;
          const from = clist + slotsOffset + <usize>pc * stride;
          memory.copy(result, from, <usize>nslots << 2);
          if (nslots > 1) store<i32>(result, pos, 4);
          if (mode != MODE_SEARCH) return true;
          break; // leftmost-first: threads after this one have lower priority
        }
        if (step) this.addThread(nlist, clist, pc + 1, nextPos, len, cp, nextCp, nslots, pc);
      }
      if (pos >= len) break;
      const swap = clist;
      clist = nlist;
      nlist = swap;
      store<i32>(nlist, 0);
      prev = cp;
      pos = nextPos;
      cp = nextCp;
      width = nextWidth;
    }
    return matched;
  }

  // Adds `pc0` and everything reachable from it without consuming input to `list`, in
  // priority order. Captures come from thread `fromPc` of list `from` (0: a new thread
  // starting at `pos`). An explicit stack: no recursion, whatever the program.
  private addThread(
    list: usize,
    from: usize,
    pc0: i32,
    pos: i32,
    len: i32,
    prev: i32,
    next: i32,
    nslots: i32,
    fromPc: i32,
  ): void {
    const code = this.code;
    const work = changetype<usize>(this.workBlock);
    const stride = <usize>this.slotCount << 2;
    const sparse = list + this.sparseOffset;
    const slotsOffset = this.slotsOffset;
    if (nslots > 0) {
      if (from == 0) {
        for (let k = 0; k < nslots; k++) store<i32>(work + (<usize>k << 2), -1);
        store<i32>(work, pos);
      } else {
        memory.copy(work, from + slotsOffset + <usize>fromPc * stride, <usize>nslots << 2);
      }
    }
    const stack = changetype<usize>(this.stackBlock);
    let size = load<i32>(list);
    let top: usize = 0;
    store<i32>(stack, pc0);
    top = 8;
    while (top > 0) {
      top -= 8;
      let pc = load<i32>(stack + top);
      if (pc < 0) {
        store<i32>(work + (<usize>(-pc - 1) << 2), load<i32>(stack + top, 4)); // undo a SAVE
        continue;
      }
      while (true) {
        // Sparse-set membership: visited in this closure (or earlier in this step).
        const index = load<i32>(sparse + (<usize>pc << 2));
        if (index < size && load<i32>(list + 4 + (<usize>index << 2)) == pc) break;
        store<i32>(sparse + (<usize>pc << 2), size);
        store<i32>(list + 4 + (<usize>size << 2), pc);
        size++;
        const at = code + <usize>pc * 12;
        const op = load<i32>(at);
        if (op == OP_JMP) {
          pc = load<i32>(at, 4);
        } else if (op == OP_SPLIT) {
          store<i32>(stack + top, load<i32>(at, 8));
          top += 8;
          pc = load<i32>(at, 4);
        } else if (op == OP_SAVE) {
          const slot = load<i32>(at, 4);
          if (slot < nslots) {
            const cell = work + (<usize>slot << 2);
            store<i32>(stack + top, -slot - 1);
            store<i32>(stack + top, load<i32>(cell), 4);
            top += 8;
            store<i32>(cell, pos);
          }
          pc++;
        } else if (op == OP_ASSERT) {
          if (!holds(load<i32>(at, 4), pos, len, prev, next)) break;
          pc++;
        } else {
          // A consuming instruction or MATCH: the thread waits here with its captures.
          if (nslots > 0) {
            memory.copy(list + slotsOffset + <usize>pc * stride, work, <usize>nslots << 2);
          }
          break;
        }
      }
    }
    store<i32>(list, size);
  }
}

function holds(kind: i32, pos: i32, len: i32, prev: i32, next: i32): bool {
  switch (kind) {
    case AssertKind.BeginText:
      return pos == 0;
    case AssertKind.EndText:
      return pos == len;
    case AssertKind.BeginLine:
      return pos == 0 || prev == 0x0a;
    case AssertKind.EndLine:
      return pos == len || next == 0x0a;
    case AssertKind.WordBoundary:
      return isWordChar(prev) != isWordChar(next);
    default:
      return isWordChar(prev) == isWordChar(next);
  }
}

/**
 * Whether the text can begin with the ASCII literals the program starts with (before its first
 * branch, class or assertion; capture saves in between are passed over). Every thread starts at
 * instruction 0, so a full match must consume them first: a text that does not begin with
 * them fails without the machine (a path against `/api/v[0-9]+/.*`, say).
 */
function literalStartAt(code: usize, ptr: usize, len: i32, utf16: bool): bool {
  let pos = 0;
  // The program ends with OP_MATCH, which stops the walk.
  for (let at = code; ; at += 12) {
    const op = load<i32>(at);
    if (op == OP_SAVE) continue;
    const c = load<i32>(at, 4);
    if (op != OP_CHAR || c >= 0x80) return true;
    if (pos >= len) return false;
    const unit = utf16 ? <i32>load<u16>(ptr + (<usize>pos << 1)) : <i32>load<u8>(ptr + <usize>pos);
    if (unit != c) return false;
    pos++;
  }
  return true; // unreachable
}

/** The first position at or after `from` holding ASCII `unit`, or -1. */
function findUnit(ptr: usize, from: i32, len: i32, utf16: bool, unit: i32): i32 {
  if (utf16) {
    for (let i = from; i < len; i++) if (<i32>load<u16>(ptr + (<usize>i << 1)) == unit) return i;
    return -1;
  }
  for (let i = from; i < len; i++) if (<i32>load<u8>(ptr + <usize>i) == unit) return i;
  return -1;
}

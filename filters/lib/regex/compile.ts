// Syntax tree to a Pike VM program: three i32 per instruction (op, a, b) in one StaticArray,
// with the character classes frozen into a ClassTable. Runs at configure time only; the size
// is computed before anything is emitted, so `{1000}{1000}` is refused without building it.

import { CharSet, ClassTable, MAX_CODE_POINT } from "./charset";
import { AssertKind, Node, NodeKind, RegexError } from "./parse";

// Opcodes. CHAR/CLASS/ANY* consume one code point; the rest are zero-width.
// @ts-ignore: decorator
@inline export const OP_MATCH: i32 = 0;
// @ts-ignore: decorator
@inline export const OP_CHAR: i32 = 1; // a: code point
// @ts-ignore: decorator
@inline export const OP_CLASS: i32 = 2; // a: class index
// @ts-ignore: decorator
@inline export const OP_ANY: i32 = 3;
// @ts-ignore: decorator
@inline export const OP_ANY_NOT_NL: i32 = 4;
// @ts-ignore: decorator
@inline export const OP_SPLIT: i32 = 5; // a: preferred target, b: other
// @ts-ignore: decorator
@inline export const OP_JMP: i32 = 6; // a: target
// @ts-ignore: decorator
@inline export const OP_SAVE: i32 = 7; // a: capture slot
// @ts-ignore: decorator
@inline export const OP_ASSERT: i32 = 8; // a: AssertKind

/** A compiled pattern: immutable after compilation. */
export class Program {
  constructor(
    /** op, a, b per instruction. */
    public readonly code: StaticArray<i32>,
    public readonly classes: ClassTable,
    /** Capture groups (not counting the whole match). */
    public readonly groups: i32,
    /** Every match starts at the beginning of the text (`^...` or `\A...`). */
    public readonly anchoredStart: bool,
    /** An ASCII code point every match starts with, or -1: a search skips ahead to it. */
    public readonly firstChar: i32,
    /** A class holding every code point a match can start with, or -1 (any, or empty). */
    public readonly firstClass: i32,
  ) {}

  get length(): i32 {
    return this.code.length / 3;
  }
}

/** Instructions `node` compiles to, saturating just above `limit`. */
function sizeOf(node: Node, limit: i64): i64 {
  let size: i64 = 0;
  switch (node.kind) {
    case NodeKind.Empty:
      return 0;
    case NodeKind.Concat:
    case NodeKind.Alternate: {
      const children = node.children;
      for (let i = 0; i < children.length; i++) {
        size += sizeOf(unchecked(children[i]), limit);
        if (size > limit) return limit + 1;
      }
      if (node.kind == NodeKind.Alternate) size += 2 * (children.length - 1);
      return size;
    }
    case NodeKind.Capture:
      return sizeOf(node.children[0], limit) + 2;
    case NodeKind.Repeat: {
      const x = sizeOf(node.children[0], limit);
      if (x > limit) return limit + 1;
      const n = <i64>node.min;
      if (node.max < 0) size = n * x + x + 2;
      else size = n * x + (<i64>node.max - n) * (x + 1);
      return size > limit ? limit + 1 : size;
    }
    default:
      return 1;
  }
}

/** The first Repeat (depth first) whose expansion passes `limit`: where to point the error. */
function tooBig(node: Node, limit: i64): Node {
  const children = node.children;
  for (let i = 0; i < children.length; i++) {
    const child = unchecked(children[i]);
    if (sizeOf(child, limit) > limit) return tooBig(child, limit);
  }
  return node;
}

export class Compiler {
  error: RegexError | null = null;
  private code: i32[] = [];
  private sets: CharSet[] = [];

  constructor(private readonly maxInstructions: i32) {}

  compile(root: Node, groups: i32): Program | null {
    const limit = <i64>this.maxInstructions - 1; // one for MATCH
    const size = sizeOf(root, limit);
    if (size > limit) {
      const at = tooBig(root, limit);
      this.error = new RegexError(
        at.pos,
        "pattern too large: it compiles to more than " +
          this.maxInstructions.toString() +
          " instructions (reduce repetition counts)",
      );
      return null;
    }
    this.emitNode(root);
    this.emit(OP_MATCH, 0, 0);
    const code = this.code;
    const frozen = new StaticArray<i32>(code.length);
    for (let i = 0; i < code.length; i++) unchecked((frozen[i] = code[i]));
    // The set of possible first code points lets a search skip text where no match can start.
    let firstClass = -1;
    const first = new CharSet();
    if (!firstSet(root, first)) {
      first.normalize();
      this.sets.push(first);
      firstClass = this.sets.length - 1;
    }
    return new Program(
      frozen,
      new ClassTable(this.sets),
      groups,
      startsAnchored(root),
      this.firstChar(),
      firstClass,
    );
  }

  private emit(op: i32, a: i32, b: i32): i32 {
    const pc = this.code.length / 3;
    this.code.push(op);
    this.code.push(a);
    this.code.push(b);
    return pc;
  }

  private patch(pc: i32, a: i32, b: i32): void {
    this.code[pc * 3 + 1] = a;
    this.code[pc * 3 + 2] = b;
  }

  private get pc(): i32 {
    return this.code.length / 3;
  }

  private emitNode(node: Node): void {
    switch (node.kind) {
      case NodeKind.Empty:
        return;
      case NodeKind.Literal:
        this.emit(OP_CHAR, node.cp, 0);
        return;
      case NodeKind.Class:
        this.emitClass(node.set!);
        return;
      case NodeKind.AnyChar:
        this.emit(OP_ANY, 0, 0);
        return;
      case NodeKind.AnyNotNewline:
        this.emit(OP_ANY_NOT_NL, 0, 0);
        return;
      case NodeKind.Assert:
        this.emit(OP_ASSERT, node.cp, 0);
        return;
      case NodeKind.Concat: {
        const children = node.children;
        for (let i = 0; i < children.length; i++) this.emitNode(unchecked(children[i]));
        return;
      }
      case NodeKind.Alternate:
        this.emitAlternate(node.children);
        return;
      case NodeKind.Capture:
        this.emit(OP_SAVE, node.cp * 2, 0);
        this.emitNode(node.children[0]);
        this.emit(OP_SAVE, node.cp * 2 + 1, 0);
        return;
      case NodeKind.Repeat:
        this.emitRepeat(node);
        return;
    }
  }

  private emitClass(set: CharSet): void {
    const r = set.ranges;
    // A single code point is a CHAR: cheaper to test.
    if (r.length == 2 && r[0] == r[1]) {
      this.emit(OP_CHAR, r[0], 0);
      return;
    }
    this.sets.push(set);
    this.emit(OP_CLASS, this.sets.length - 1, 0);
  }

  // a|b|c: SPLIT L1, L2; L1: a; JMP end; L2: SPLIT L3, L4; ... last: c; end:
  private emitAlternate(children: Node[]): void {
    const jumps: i32[] = [];
    for (let i = 0; i < children.length - 1; i++) {
      const split = this.emit(OP_SPLIT, 0, 0);
      this.emitNode(unchecked(children[i]));
      jumps.push(this.emit(OP_JMP, 0, 0));
      this.patch(split, split + 1, this.pc);
    }
    this.emitNode(children[children.length - 1]);
    const end = this.pc;
    for (let i = 0; i < jumps.length; i++) this.patch(unchecked(jumps[i]), end, 0);
  }

  private emitRepeat(node: Node): void {
    const x = node.children[0];
    const n = node.min;
    for (let i = 0; i < n; i++) this.emitNode(x);
    if (node.max < 0) {
      // L: SPLIT body, out; body: x; JMP L; out:
      const loop = this.emit(OP_SPLIT, 0, 0);
      this.emitNode(x);
      this.emit(OP_JMP, loop, 0);
      this.splitTo(loop, loop + 1, this.pc, node.greedy);
      return;
    }
    // Optional copies: SPLIT next, end; x; SPLIT next, end; x; ... end:
    const splits: i32[] = [];
    for (let i = n; i < node.max; i++) {
      splits.push(this.emit(OP_SPLIT, 0, 0));
      this.emitNode(x);
    }
    const end = this.pc;
    for (let i = 0; i < splits.length; i++) {
      const split = unchecked(splits[i]);
      this.splitTo(split, split + 1, end, node.greedy);
    }
  }

  private splitTo(split: i32, body: i32, out: i32, greedy: bool): void {
    if (greedy) this.patch(split, body, out);
    else this.patch(split, out, body);
  }

  // An ASCII literal that every match must start with, when the program begins with one.
  private firstChar(): i32 {
    const code = this.code;
    let pc = 0;
    while (code[pc * 3] == OP_SAVE) pc++;
    const op = code[pc * 3];
    const c = code[pc * 3 + 1];
    return op == OP_CHAR && c < 0x80 ? c : -1;
  }
}

/**
 * Adds to `set` every code point that can start a match of `node`; returns true when `node`
 * can match without consuming anything (then what follows it can start the match too).
 */
function firstSet(node: Node, set: CharSet): bool {
  switch (node.kind) {
    case NodeKind.Literal:
      set.add(node.cp);
      return false;
    case NodeKind.Class:
      set.addSet(node.set!);
      return false;
    case NodeKind.AnyChar:
      set.addRange(0, MAX_CODE_POINT);
      return false;
    case NodeKind.AnyNotNewline:
      set.addRange(0, 0x09);
      set.addRange(0x0b, MAX_CODE_POINT);
      return false;
    case NodeKind.Concat: {
      const children = node.children;
      for (let i = 0; i < children.length; i++) {
        if (!firstSet(unchecked(children[i]), set)) return false;
      }
      return true;
    }
    case NodeKind.Alternate: {
      let empty = false;
      const children = node.children;
      for (let i = 0; i < children.length; i++) {
        if (firstSet(unchecked(children[i]), set)) empty = true;
      }
      return empty;
    }
    case NodeKind.Capture:
      return firstSet(node.children[0], set);
    case NodeKind.Repeat:
      return firstSet(node.children[0], set) || node.min == 0;
    default:
      return true; // Empty, Assert: zero-width
  }
}

function startsAnchored(node: Node): bool {
  while (true) {
    if (node.kind == NodeKind.Assert) return node.cp == AssertKind.BeginText;
    if (node.kind == NodeKind.Capture) {
      node = node.children[0];
      continue;
    }
    if (node.kind == NodeKind.Concat && node.children.length > 0) {
      node = node.children[0];
      continue;
    }
    return false;
  }
}

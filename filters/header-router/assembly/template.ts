// Header value templates: literal text with {source} placeholders (see sources.ts for the
// grammar), "{{" and "}}" for literal braces. Parsed once at configure into parts; rendering
// concatenates bytes, so values that are not UTF-8 are copied exactly.
//
//   "v2-{header:x-user}"     →  v2-alice         (or "v2-" when x-user is missing)
//   "{path_segment:0}"       →  api              for /api/orders?x=1

import { Source, parseSource } from "./sources";
import { MessageView } from "./view";

/** Most placeholders one template may hold. */
export const MAX_PLACEHOLDERS: i32 = 16;

/** One parsed template; immutable apart from its scratch spans. A part is a literal (source
 *  null) or a placeholder. */
export class Template {
  // The value when there is no placeholder (known at configure, shared by every request).
  private readonly fixed: ArrayBuffer | null;
  // Where each part's bytes are during one render (filled, then copied; no render nests).
  private readonly spanPtr: StaticArray<usize>;
  private readonly spanLen: StaticArray<i32>;

  constructor(
    public readonly literals: ArrayBuffer[],
    public readonly sources: Array<Source | null>,
  ) {
    const n = sources.length;
    let constant = true;
    for (let i = 0; i < n; i++) if (unchecked(sources[i]) !== null) constant = false;
    this.fixed = constant ? joinLiterals(literals) : null;
    this.spanPtr = new StaticArray<usize>(n);
    this.spanLen = new StaticArray<i32>(n);
  }

  /** Whether the template has no placeholder (its value is known at configure). */
  get constant(): bool {
    return this.fixed !== null;
  }

  /**
   * The rendered value; a missing part renders as "" and sets `view.missing`. A template
   * without placeholders returns its one shared buffer (never written to); otherwise the
   * parts are copied straight from the view into one new buffer.
   * Legal wherever the view's request is readable.
   */
  render(view: MessageView): ArrayBuffer {
    view.missing = false;
    const fixed = this.fixed;
    if (fixed !== null) return fixed;
    const n = this.sources.length;
    const ptrs = this.spanPtr;
    const lens = this.spanLen;
    let total = 0;
    let missing = false;
    for (let i = 0; i < n; i++) {
      const s = unchecked(this.sources[i]);
      let ptr: usize = 0;
      let len = 0;
      if (s === null) {
        const literal = unchecked(this.literals[i]);
        ptr = changetype<usize>(literal);
        len = literal.byteLength;
      } else if (view.single(s)) {
        ptr = view.ptr;
        len = view.len;
      } else {
        missing = true;
      }
      unchecked((ptrs[i] = ptr));
      unchecked((lens[i] = len));
      total += len;
    }
    const out = new ArrayBuffer(total);
    let at: usize = 0;
    for (let i = 0; i < n; i++) {
      const len = <usize>unchecked(lens[i]);
      memory.copy(changetype<usize>(out) + at, unchecked(ptrs[i]), len);
      at += len;
    }
    view.missing = missing;
    return out;
  }
}

function joinLiterals(literals: ArrayBuffer[]): ArrayBuffer {
  if (literals.length == 1) return unchecked(literals[0]);
  let total = 0;
  for (let i = 0; i < literals.length; i++) total += unchecked(literals[i]).byteLength;
  const out = new ArrayBuffer(total);
  let at: usize = 0;
  for (let i = 0; i < literals.length; i++) {
    const l = unchecked(literals[i]);
    memory.copy(changetype<usize>(out) + at, changetype<usize>(l), <usize>l.byteLength);
    at += <usize>l.byteLength;
  }
  return out;
}

/** A template, or why its text was refused. */
export class TemplateResult {
  constructor(
    public readonly template: Template | null,
    public readonly error: string,
  ) {}
}

/** Parses a template. Meant for onConfigure. */
export function parseTemplate(text: string): TemplateResult {
  const literals = new Array<ArrayBuffer>(0);
  const sources = new Array<Source | null>(0);
  let literal = "";
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c == 0x7b /* { */) {
      if (i + 1 < n && text.charCodeAt(i + 1) == 0x7b) {
        literal += "{";
        i += 2;
        continue;
      }
      const close = text.indexOf("}", i + 1);
      if (close < 0) return bad("at position " + i.toString() + ": { without a closing }");
      const inner = text.substring(i + 1, close);
      const parsed = parseSource(inner);
      if (parsed.source === null) {
        return bad("at position " + i.toString() + ": {" + inner + "}: " + parsed.error);
      }
      if (literal.length > 0) {
        literals.push(String.UTF8.encode(literal));
        sources.push(null);
        literal = "";
      }
      literals.push(new ArrayBuffer(0));
      sources.push(parsed.source);
      i = close + 1;
      continue;
    }
    if (c == 0x7d /* } */) {
      if (i + 1 < n && text.charCodeAt(i + 1) == 0x7d) {
        literal += "}";
        i += 2;
        continue;
      }
      return bad("at position " + i.toString() + ": } without an opening { (write }} for a brace)");
    }
    if (c == 0x0d || c == 0x0a || c == 0) return bad("contains CR, LF or NUL");
    literal += String.fromCharCode(c);
    i++;
  }
  if (literal.length > 0 || literals.length == 0) {
    literals.push(String.UTF8.encode(literal));
    sources.push(null);
  }
  let placeholders = 0;
  for (let k = 0; k < sources.length; k++) if (unchecked(sources[k]) !== null) placeholders++;
  if (placeholders > MAX_PLACEHOLDERS) {
    return bad("has " + placeholders.toString() + " placeholders; at most " + MAX_PLACEHOLDERS.toString());
  }
  return new TemplateResult(new Template(literals, sources), "");
}

function bad(why: string): TemplateResult {
  return new TemplateResult(null, why);
}

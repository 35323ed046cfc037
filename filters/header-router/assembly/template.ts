// Header value templates: literal text with {source} placeholders (see sources.ts for the
// grammar), "{{" and "}}" for literal braces. Parsed once at configure into parts; rendering
// concatenates bytes, so values that are not UTF-8 are copied exactly.
//
//   "v2-{header:x-user}"     →  v2-alice         (or "v2-" when x-user is missing)
//   "{path_segment:0}"       →  api              for /api/orders?x=1

import { RequestView, Source, parseSource } from "./sources";

/** Most placeholders one template may hold. */
export const MAX_PLACEHOLDERS: i32 = 16;

/** One parsed template; immutable. A part is a literal (source null) or a placeholder. */
export class Template {
  constructor(
    public readonly literals: ArrayBuffer[],
    public readonly sources: Array<Source | null>,
  ) {}

  /** Whether the template has no placeholder (its value is known at configure). */
  get constant(): bool {
    for (let i = 0; i < this.sources.length; i++) if (unchecked(this.sources[i]) !== null) return false;
    return true;
  }

  /**
   * The rendered value; a missing part renders as "" and sets `missing`.
   * Legal wherever the view's request is readable.
   */
  render(view: RequestView): Rendered {
    let total = 0;
    let missing = false;
    const n = this.sources.length;
    const parts = new Array<ArrayBuffer>(n);
    for (let i = 0; i < n; i++) {
      const s = unchecked(this.sources[i]);
      let part: ArrayBuffer | null = unchecked(this.literals[i]);
      if (s !== null) part = view.value(s);
      if (part === null) {
        missing = true;
        part = new ArrayBuffer(0);
      }
      unchecked((parts[i] = part));
      total += part.byteLength;
    }
    if (n == 1) return new Rendered(unchecked(parts[0]), missing);
    const out = new ArrayBuffer(total);
    let at: usize = 0;
    for (let i = 0; i < n; i++) {
      const p = unchecked(parts[i]);
      memory.copy(changetype<usize>(out) + at, changetype<usize>(p), <usize>p.byteLength);
      at += <usize>p.byteLength;
    }
    return new Rendered(out, missing);
  }
}

/** A rendered value, and whether any placeholder had nothing to read. */
export class Rendered {
  constructor(
    public readonly value: ArrayBuffer,
    public readonly missing: bool,
  ) {}
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

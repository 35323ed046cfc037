// The configuration side of every model: what the SDK's strict JSON reader accepts, written
// plainly in TypeScript so the fuzzer can tell a filter's start-up decision without the module.
//
// The reader (assembly/config.ts over assembly/json.ts) takes bytes that are valid UTF-8 and
// strict JSON (RFC 8259), with no duplicate keys, no lone surrogate escapes, at most 64 nested
// containers; blank input (only JSON whitespace) means `{}`; the root must be an object.

/** A start-up decision: the plugin starts with this configuration, or refuses it. "either"
 *  marks inputs whose outcome the SDK leaves open (the model then checks only that no trap
 *  happened, and the run proceeds as the module decided). */
export type Decision<C> = { start: true; config: C } | { start: false; why: string } | "either";

const MAX_DEPTH = 64;
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The parsed root object, a refusal, or "either" (the depth limit's edge). */
export function readConfigModel(bytes: Uint8Array): Record<string, unknown> | string | "either" {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return "invalid UTF-8";
  }
  if (/^[ \t\r\n]*$/.test(text)) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return "not JSON";
  }
  const problem = strictProblems(text);
  if (problem !== null) return problem;
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "not an object";
  return value as Record<string, unknown>;
}

/**
 * What JSON.parse lets through and the strict reader refuses: duplicate keys, lone surrogate
 * escapes, nesting past the limit. `text` is already known to be valid JSON, so a scan of its
 * strings and brackets is enough.
 */
function strictProblems(text: string): string | "either" | null {
  const stack: Array<{ keys: Set<string> | null; expectKey: boolean }> = [];
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "{" || c === "[") {
      stack.push({ keys: c === "{" ? new Set() : null, expectKey: c === "{" });
      deepest = Math.max(deepest, stack.length);
    } else if (c === "}" || c === "]") {
      stack.pop();
    } else if (c === ",") {
      const top = stack[stack.length - 1];
      if (top?.keys) top.expectKey = true;
    } else if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      const value = JSON.parse(text.slice(i, end + 1)) as string;
      if (LONE_SURROGATE.test(value)) return "lone surrogate";
      const top = stack[stack.length - 1];
      if (top?.keys && top.expectKey) {
        if (top.keys.has(value)) return "duplicate key";
        top.keys.add(value);
        top.expectKey = false;
      }
      i = end;
    }
  }
  if (deepest > MAX_DEPTH) return "too deep";
  return deepest === MAX_DEPTH ? "either" : null;
}

/** A field read by `config.string(name, default)`: absent or null gives the default. */
export function stringField(
  obj: Record<string, unknown>,
  name: string,
  def: string,
): string | null {
  const v = obj[name];
  if (v === undefined || v === null) return def;
  return typeof v === "string" ? v : null;
}

/** Keys outside `allowed` (the reader's unknownKeys refuses them). */
export function unknownKeys(obj: Record<string, unknown>, allowed: string[]): string[] {
  return Object.keys(obj).filter((k) => !allowed.includes(k));
}

/** RFC 9110 token characters: what a header name may hold. */
export function isToken(name: string): boolean {
  return /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name);
}

/** A header value that cannot split a header or end a header block. */
export function isSafeHeaderValue(value: string): boolean {
  return !/[\r\n\0]/.test(value);
}

/** Header names a filter may not set without opting in: framing and routing belong to Envoy. */
export const RESERVED_HEADERS = new Set(["content-length", "transfer-encoding", "host"]);

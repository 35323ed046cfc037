// Generators (fast-check arbitraries) for fuzz inputs: header sets (huge, many, duplicated,
// non-ASCII, CR LF), bodies cut into random chunks (text woven with the target's words, binary,
// empty), trailers, client resets, upstream responses, and configurations that are valid,
// mistyped, mutated byte by byte, or plain noise. fast-check also shrinks what fails.

import fc from "fast-check";
import type { FuzzCase, FuzzRequest, FuzzResponse, Pairs } from "./case.ts";
import { utf8 } from "./case.ts";

/** What a target tells the generators about itself. */
export interface Vocabulary {
  /** Header names the filter cares about (its configured names, in several spellings). */
  headerNames: string[];
  /** Strings worth weaving into bodies and header values (words it looks for, masks). */
  tokens: string[];
  /** A few typical configurations: most inputs use one of these, so hosts are reused. */
  presets: unknown[];
  /** Configurations as values (objects, mostly valid); they are also mutated as bytes. */
  configs: fc.Arbitrary<unknown>;
}

// Names Envoy's codec never hands a filter unchanged (framing, hop-by-hop) stay out: the
// client in these runs speaks well-formed HTTP, the hostility is in what it says.
const COMMON_NAMES = [
  "x-a",
  "x-b",
  "accept",
  "cookie",
  "authorization",
  "user-agent",
  "content-type",
  "x-checked-by",
  "x-forwarded-for",
];

// Built once: a regex arbitrary is costly to make, and requests are made per configuration.
const ANY_NAME = fc.stringMatching(/^[a-z][a-z0-9-]{0,24}$/);

function headerName(vocab: Vocabulary): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...vocab.headerNames, ...COMMON_NAMES) },
    { weight: 2, arbitrary: ANY_NAME },
    { weight: 1, arbitrary: fc.constantFrom(...vocab.headerNames).map((n) => n.toUpperCase()) },
  );
}

/** Header values: short text, the target's tokens, Unicode, CR LF, control bytes, huge. */
function headerValue(vocab: Vocabulary): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.string({ maxLength: 20 }) },
    { weight: 2, arbitrary: fc.constantFrom("", ...vocab.tokens) },
    { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 12 }) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.string({ maxLength: 6 }), fc.constantFrom("\r\n", "\n", "\r", "\0", "\x7f", "\t"))
        .map(([a, b]) => `${a}${b}x-injected: 1`),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom("a", "\u00e9", "\u{1f600}"), fc.integer({ min: 1_000, max: 16_000 }))
        .map(([s, n]) => s.repeat(n)),
    },
  );
}

function headerSet(vocab: Vocabulary, maxLength: number): fc.Arbitrary<Pairs> {
  const pair = fc.tuple(headerName(vocab), headerValue(vocab));
  return fc.oneof(
    { weight: 8, arbitrary: fc.array(pair, { maxLength }) },
    // Many headers, most of them repeats of a few names.
    {
      weight: 1,
      arbitrary: fc
        .tuple(pair, fc.integer({ min: 0, max: 400 }))
        .map(([[n, v], count]): Pairs => Array.from({ length: count }, (_, i) => [n, `${v}${i}`])),
    },
  );
}

/** Body bytes: text woven from the target's tokens, arbitrary binary, or UTF-8 edge cases. */
function bodyBytes(vocab: Vocabulary): fc.Arbitrary<Uint8Array> {
  const piece = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...vocab.tokens).map(utf8) },
    { weight: 3, arbitrary: fc.string({ maxLength: 16 }).map(utf8) },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 16 }) },
    {
      weight: 1,
      // Invalid UTF-8 of each class: lone continuation, overlong, encoded surrogate,
      // truncated sequence, 0xFF.
      arbitrary: fc.constantFrom(
        Uint8Array.of(0x80),
        Uint8Array.of(0xc0, 0xaf),
        Uint8Array.of(0xed, 0xa0, 0x80),
        Uint8Array.of(0xe2, 0x82),
        Uint8Array.of(0xff),
        Uint8Array.of(0xf4, 0x90, 0x80, 0x80),
      ),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom("x", "\u00e9"), fc.integer({ min: 100, max: 40_000 }))
        .map(([s, n]) => utf8(s.repeat(n))),
    },
  );
  // Short bodies (a word and a byte) matter as much as long ones.
  const pieces = fc.oneof(
    { weight: 3, arbitrary: fc.array(piece, { maxLength: 3 }) },
    { weight: 2, arbitrary: fc.array(piece, { maxLength: 12 }) },
  );
  return pieces.map((pieces) => {
    const total = pieces.reduce((n, p) => n + p.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of pieces) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  });
}

/** A body cut at random points into chunks (zero-length chunks included). */
function chunked(vocab: Vocabulary): fc.Arbitrary<Uint8Array[]> {
  return fc
    .tuple(bodyBytes(vocab), fc.array(fc.nat(), { maxLength: 6 }), fc.boolean())
    .map(([body, cuts, someChunk]) => {
      // An empty body is no body at all, or (less often) one empty chunk.
      if (!someChunk && body.length === 0) return [];
      const points = cuts.map((c) => c % (body.length + 1)).sort((a, b) => a - b);
      const chunks: Uint8Array[] = [];
      let from = 0;
      for (const p of points) {
        chunks.push(body.slice(from, p));
        from = p;
      }
      chunks.push(body.slice(from));
      return chunks;
    });
}

/** `arb` in one case out of `n`, null otherwise (shrinks toward null). */
function rarely<T>(arb: fc.Arbitrary<T>, n: number): fc.Arbitrary<T | null> {
  // An index that shrinks to 0 gives null; only the last of n values keeps `arb`.
  return fc.tuple(fc.nat({ max: n - 1 }), arb).map(([k, v]) => (k === n - 1 ? v : null));
}

function trailers(vocab: Vocabulary): fc.Arbitrary<Pairs | null> {
  // Never an empty map: Envoy's codecs deliver no trailers callback for one.
  const pair = fc.tuple(headerName(vocab), fc.string({ maxLength: 12 }));
  return rarely(fc.array(pair, { minLength: 1, maxLength: 3 }), 6);
}

const PATH = fc.oneof(
  fc.constantFrom("/", "/orders/42", "/a?b=c"),
  // Segments of URL-safe characters (fast-check's webPath costs seconds to build).
  fc
    .array(fc.string({ unit: fc.constantFrom(..."abz09-._~%2F"), maxLength: 8 }), { maxLength: 4 })
    .map((segments) => `/${segments.join("/")}`),
);

function request(vocab: Vocabulary): fc.Arbitrary<FuzzRequest> {
  return fc.record({
    method: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH"),
    path: PATH,
    headers: headerSet(vocab, 24),
    chunks: chunked(vocab),
    trailers: trailers(vocab),
    resetAfterChunks: rarely(fc.nat({ max: 4 }), 10),
  });
}

/** What an upstream's codec lets through: no CR, LF or NUL, no space or tab at either end. */
function wireSafe(pairs: Pairs): Pairs {
  return pairs.map(([k, v]) => [k, v.replace(/[\r\n\0]/g, "").replace(/^[ \t]+|[ \t]+$/g, "")]);
}

function response(vocab: Vocabulary): fc.Arbitrary<FuzzResponse> {
  return fc.record({
    status: fc.constantFrom(200, 200, 201, 204, 302, 404, 500, 503),
    headers: headerSet(vocab, 8).map(wireSafe),
    chunks: chunked(vocab),
    trailers: trailers(vocab),
  });
}

/** One byte-level edit of a configuration's JSON text. */
const edit = fc.oneof(
  fc.record({
    op: fc.constant("delete" as const),
    at: fc.nat(),
    len: fc.integer({ min: 1, max: 4 }),
  }),
  fc.record({
    op: fc.constant("insert" as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }),
  }),
  fc.record({
    op: fc.constant("insert" as const),
    at: fc.nat(),
    bytes: fc
      .constantFrom('"', "{", "}", "[", "]", ",", ":", "\\", "\\u", "null", "1e999")
      .map(utf8),
  }),
  fc.record({ op: fc.constant("truncate" as const), at: fc.nat() }),
);

type Edit =
  | { op: "delete"; at: number; len: number }
  | { op: "insert"; at: number; bytes: Uint8Array }
  | { op: "truncate"; at: number };

function applyEdits(bytes: Uint8Array, edits: Edit[]): Uint8Array {
  let out = bytes;
  for (const e of edits) {
    const at = e.at % (out.length + 1);
    if (e.op === "delete") out = Uint8Array.from([...out.slice(0, at), ...out.slice(at + e.len)]);
    else if (e.op === "insert")
      out = Uint8Array.from([...out.slice(0, at), ...e.bytes, ...out.slice(at)]);
    else out = out.slice(0, at);
  }
  return out;
}

/** Configuration bytes: mostly the target's values as JSON, some mutated, a few noise. */
function configBytes(vocab: Vocabulary): fc.Arbitrary<Uint8Array> {
  const json = vocab.configs.map((v) => utf8(JSON.stringify(v) ?? ""));
  return fc.oneof(
    {
      weight: 40,
      arbitrary: fc.constantFrom(...vocab.presets).map((v) => utf8(JSON.stringify(v))),
    },
    { weight: 6, arbitrary: json },
    {
      weight: 2,
      arbitrary: fc
        .tuple(json, fc.array(edit, { minLength: 1, maxLength: 3 }))
        .map(([b, edits]) => applyEdits(b, edits as Edit[])),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 24 }) },
    { weight: 1, arbitrary: fc.constantFrom("", "  \n", "null", "[]", '"x"', "{}").map(utf8) },
  );
}

/** Every string in a JSON document (the words and names a configuration holds). */
function stringsIn(bytes: Uint8Array): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === "string") {
      if (v.length > 0) out.push(v);
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (typeof v === "object" && v !== null) Object.values(v).forEach(walk);
  };
  try {
    walk(JSON.parse(new TextDecoder().decode(bytes)));
  } catch {
    // Not JSON: nothing to weave in.
  }
  return out;
}

/** Whole fuzz inputs for a target. Requests weave in the strings of their own configuration,
 *  so a word the filter looks for turns up often. */
export function fuzzCase(vocab: Vocabulary): fc.Arbitrary<FuzzCase> {
  // Arbitraries are costly to build: keep the ones made for each configuration seen (mostly
  // the presets).
  const made = new Map<string, fc.Arbitrary<FuzzCase>>();
  return configBytes(vocab).chain((config) => {
    const key = Buffer.from(config).toString("latin1");
    let arb = made.get(key);
    if (arb === undefined) {
      const found = stringsIn(config);
      const own: Vocabulary = { ...vocab, tokens: [...vocab.tokens, ...found, ...found, ...found] };
      arb = fc.record({
        config: fc.constant(config),
        request: request(own),
        response: response(own),
      });
      if (made.size > 256) made.clear();
      made.set(key, arb);
    }
    return arb;
  });
}

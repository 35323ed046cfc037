// examples/redact-body under fuzz. Model: a configuration with a list of non-empty words and a
// mask starts the plugin; a request with a body reaches the upstream with every occurrence of
// the words replaced by the mask, on the bytes as sent, whatever they are (binary, invalid
// UTF-8, the mask longer than the body), without Content-Length; a request without a body
// passes untouched; a body past the buffer limit gets 413.

import fc from "fast-check";
import { buildExample } from "../../modules/build.ts";
import { concatBytes, utf8 } from "../case.ts";
import { type Decision, readConfigModel, stringField, unknownKeys } from "../config-model.ts";
import { type FuzzTarget, requestAsFilterSeesIt } from "../target.ts";
import { equalBytes, sameBody, sameHeadersExcept } from "./checks.ts";

interface Config {
  words: Uint8Array[];
  mask: Uint8Array;
}

const WORDS = ["secret", "ssn", "hunter2", "s", "\u00e9t\u00e9", "\u{1f511}", "a\r\nb"];
const MASKS = ["[redacted]", "***REDACTED-BY-POLICY***", "", "x", "secret", "\u00ff\u00fe"];

/** The listener's default per-connection buffer limit (1 MiB). */
const BUFFER_LIMIT = 1024 * 1024;

/** One left-to-right pass: at each position the longest word that starts there is replaced,
 *  and the scan goes on after it. */
export function redactOnePass(
  body: Uint8Array,
  config: Config,
): { out: Uint8Array; count: number } {
  // Candidates by first byte, longest first: the model runs on every fuzz input, and comparing
  // a 40 KB body against every word at every position dominated the fuzz run's time.
  const byFirst = new Map<number, Uint8Array[]>();
  for (const w of [...config.words].sort((a, b) => b.length - a.length)) {
    if (w.length === 0) throw new Error("redact-body model: an empty word never ends the scan");
    const list = byFirst.get(w[0] as number);
    if (list) list.push(w);
    else byFirst.set(w[0] as number, [w]);
  }
  const parts: Uint8Array[] = [];
  let count = 0;
  let from = 0;
  let i = 0;
  while (i < body.length) {
    const word = byFirst.get(body[i] as number)?.find((w) => startsWith(body, i, w));
    if (word) {
      parts.push(body.subarray(from, i), config.mask);
      count++;
      i += word.length;
      from = i;
    } else i++;
  }
  parts.push(body.subarray(from));
  return { out: count > 0 ? concatBytes(parts) : body, count };
}

function startsWith(body: Uint8Array, at: number, word: Uint8Array): boolean {
  if (at + word.length > body.length) return false;
  for (let k = 1; k < word.length; k++) if (body[at + k] !== word[k]) return false;
  return true;
}

/** Word by word, in list order, each replaced everywhere (left to right, no overlaps) in what
 *  the previous words left; counts the words found. */
export function redactWordByWord(
  body: Uint8Array,
  config: Config,
): { out: Uint8Array; count: number } {
  let out = body;
  let count = 0;
  for (const word of config.words) {
    const src = Buffer.from(out);
    let at = src.indexOf(word, 0);
    if (at < 0) continue;
    count++;
    const parts: Uint8Array[] = [];
    let from = 0;
    while (at >= 0) {
      parts.push(out.subarray(from, at), config.mask);
      from = at + word.length;
      at = src.indexOf(word, from);
    }
    parts.push(out.subarray(from));
    out = concatBytes(parts);
  }
  return { out, count };
}

const strict = new TextDecoder("utf-8", { fatal: true });

function isUtf8(bytes: Uint8Array): boolean {
  try {
    strict.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

export const redactBody: FuzzTarget<Config> = {
  name: "redact-body",
  module: () => buildExample("redact-body"),
  counters: ["redact_body_redactions"],
  vocabulary: {
    presets: [
      { words: ["secret"] },
      { words: ["secret", "hunter2", "s"], mask: "[redacted]" },
      { words: ["ssn"], mask: "***REDACTED-BY-POLICY***" },
      { words: ["\u00e9t\u00e9", "\u{1f511}"], mask: "" },
      { words: [] },
    ],
    headerNames: ["content-type", "x-a"],
    tokens: [...WORDS, ...MASKS, "sec", "ret", "!"],
    configs: fc.record(
      {
        words: fc.oneof(
          fc.array(fc.constantFrom(...WORDS), { maxLength: 4 }),
          fc.array(fc.oneof(fc.string({ maxLength: 4 }), fc.constant(3)), { maxLength: 3 }),
          fc.constant("secret"),
        ),
        mask: fc.oneof(fc.constantFrom(...MASKS), fc.string({ maxLength: 30 }), fc.constant(null)),
        extra: fc.constant(0),
      },
      { requiredKeys: ["words"] },
    ),
  },

  decide(bytes): Decision<Config> {
    const obj = readConfigModel(bytes);
    if (obj === "either") return "either";
    if (typeof obj === "string") return { start: false, why: obj };
    if (unknownKeys(obj, ["words", "mask"]).length > 0) return { start: false, why: "unknown key" };
    const words = obj.words;
    if (!Array.isArray(words) || words.some((w) => typeof w !== "string"))
      return { start: false, why: "words is not a list of strings" };
    if (words.some((w) => w === "")) return { start: false, why: "empty word" };
    const mask = stringField(obj, "mask", "[redacted]");
    if (mask === null) return { start: false, why: "mask is not a string" };
    return { start: true, config: { words: (words as string[]).map(utf8), mask: utf8(mask) } };
  },

  check(config, input, seen) {
    if (config === null) return [];
    const problems: string[] = [];
    const r = input.request;
    const hasBody = r.chunks.length > 0 || r.trailers !== null;
    const up = seen.upstream;
    if (seen.kind === "reset") {
      // Buffering holds the body: nothing of it may pass before it is complete and redacted.
      if (hasBody && up !== null && up.body.length > 0)
        problems.push("upstream body: passed before the end");
      return problems;
    }
    const sent = concatBytes(r.chunks);
    if (hasBody && sent.length > BUFFER_LIMIT) {
      // Envoy refuses a body a filter buffers past the listener's buffer limit.
      if (seen.status !== 413 || up !== null) problems.push(`status: ${seen.status}, expected 413`);
      return problems;
    }
    if (up === null) return ["upstream: the request never reached it"];
    // Two readings of "redact every word", both exact: all words in one pass, the longest at
    // each position (the SDK's ByteReplacer), or word by word in list order (String.replaceAll).
    const onePass = hasBody ? redactOnePass(sent, config) : { out: sent, count: 0 };
    const byWord = hasBody ? redactWordByWord(sent, config) : { out: sent, count: 0 };
    if (hasBody && up.headers.has("content-length"))
      problems.push("upstream header content-length: kept on a buffered body");
    // Bodies that are not UTF-8 fail in their own way; keep their failures apart.
    const field = isUtf8(sent) ? "upstream body" : "upstream body (not UTF-8)";
    const got = Buffer.from(up.body);
    const moved = seen.counters.redact_body_redactions;
    const onePassOk = got.equals(Buffer.from(onePass.out));
    const byWordOk = got.equals(Buffer.from(byWord.out));
    // One pass counts bodies changed; word by word counts words found.
    const onePassCount = onePass.count > 0 ? 1 : 0;
    if (!onePassOk && !byWordOk) problems.push(...equalBytes(field, onePass.out, up.body));
    else if (!(onePassOk && moved === onePassCount) && !(byWordOk && moved === byWord.count))
      problems.push(
        `redact_body_redactions: moved by ${moved}, expected ${onePassOk ? onePassCount : byWord.count}`,
      );
    problems.push(
      ...sameHeadersExcept("upstream", requestAsFilterSeesIt(input).headers, up.headers, []),
    );
    problems.push(
      ...sameBody("response body", input.response.chunks, seen.response?.body ?? new Uint8Array()),
    );
    return problems;
  },
};

// examples/redact-body under fuzz. Model: a configuration with a list of non-empty words and a
// mask starts the plugin; a request with a body reaches the upstream with every occurrence of
// each word (in list order, left to right, on the bytes as sent) replaced by the mask, whatever
// the bytes are (binary, invalid UTF-8, the mask longer than the body), without
// Content-Length; a request without a body passes untouched. Each word found counts once.

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

/** Replaces every occurrence of `word` in `body`, left to right, without overlaps. */
export function replaceAllBytes(
  body: Uint8Array,
  word: Uint8Array,
  mask: Uint8Array,
): { out: Uint8Array; found: boolean } {
  const src = Buffer.from(body);
  const parts: Uint8Array[] = [];
  let from = 0;
  let at = src.indexOf(word, 0);
  if (at < 0) return { out: body, found: false };
  while (at >= 0) {
    parts.push(body.subarray(from, at), mask);
    from = at + word.length;
    at = src.indexOf(word, from);
  }
  parts.push(body.subarray(from));
  return { out: concatBytes(parts), found: true };
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
    if (up === null) return ["upstream: the request never reached it"];
    let body = concatBytes(r.chunks);
    let found = 0;
    if (hasBody) {
      for (const word of config.words) {
        const step = replaceAllBytes(body, word, config.mask);
        body = step.out;
        if (step.found) found++;
      }
      if (up.headers.has("content-length"))
        problems.push("upstream header content-length: kept on a buffered body");
    }
    // Bodies that are not UTF-8 fail in their own way; keep their failures apart.
    const field = isUtf8(concatBytes(r.chunks)) ? "upstream body" : "upstream body (not UTF-8)";
    problems.push(...equalBytes(field, body, up.body));
    if (seen.counters.redact_body_redactions !== found)
      problems.push(
        `redact_body_redactions: moved by ${seen.counters.redact_body_redactions}, expected ${found}`,
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

// The equivalent mutants listed by hand in scripts/mutate-as.equivalent.json, each with its
// reason. An entry names its file, the operator's original text and its replacement, and where
// it is: `line`, and `text`, that line's source (trimmed). Lines move whenever code above them
// changes, so an entry with `text` is bound to the line of that text nearest to `line` (a moved
// line keeps its entry; an edit of the line itself leaves the entry stale, which the harness's
// test reports). An entry without `text` is bound to `line` alone. When the same operator
// applies twice on a line (two `0`s, one of them equivalent), `at` tells them apart: where the
// original starts in the trimmed `text` (0-based); an entry without `at` stands for all.

import { readFileSync } from "node:fs";
import { join } from "node:path";

const key = (file, line, original, replacement) => `${file}\u0000${line}\u0000${original}\u0000${replacement}`;

/** The line (1-based) an entry stands for in `source`, or undefined when no line matches. */
export function boundLine(entry, source) {
  if (entry.text === undefined) return entry.line;
  let best;
  source.split("\n").forEach((text, index) => {
    if (text.trim() !== entry.text) return;
    const line = index + 1;
    if (best === undefined || Math.abs(line - entry.line) < Math.abs(best - entry.line)) best = line;
  });
  return best;
}

/**
 * The listed equivalents bound to the sources as they are now. `of(mutant)` gives the entry
 * that lists a mutant (matched by file, bound line, original and replacement); `stale` the
 * entries whose line is gone.
 */
export function bindEquivalents(listed, readSource) {
  const byKey = new Map();
  const stale = [];
  const sources = new Map();
  const bound = [];
  for (const entry of listed) {
    if (!sources.has(entry.file)) sources.set(entry.file, readSource(entry.file));
    const line = boundLine(entry, sources.get(entry.file));
    if (line === undefined) {
      stale.push(entry);
      continue;
    }
    const k = key(entry.file, line, entry.original, entry.replacement);
    if (!byKey.has(k)) byKey.set(k, []);
    byKey.get(k).push({ ...entry, line });
    bound.push({ ...entry, line });
  }
  // Where mutant `m` (with its offset `start` in the source) starts in its trimmed line.
  const atOf = (m) => {
    const source = sources.get(m.file) ?? "";
    const lineStart = source.lastIndexOf("\n", m.start - 1) + 1;
    const indent = /^\s*/.exec(source.slice(lineStart))[0].length;
    return m.start - lineStart - indent;
  };
  return {
    of: (m) => (byKey.get(key(m.file, m.line, m.original, m.replacement)) ?? []).find((e) => e.at === undefined || (m.start !== undefined && e.at === atOf(m))),
    bound,
    stale,
  };
}

/** scripts/mutate-as.equivalent.json bound to the sources under `root`. */
export function loadEquivalents(root) {
  const listed = JSON.parse(readFileSync(join(root, "scripts/mutate-as.equivalent.json"), "utf8"));
  return bindEquivalents(listed, (file) => readFileSync(join(root, file), "utf8"));
}

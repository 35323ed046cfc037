// The AssemblyScript mutation harness (scripts/mutate-as.mjs) kept from rotting: it finds
// mutants only in code (never in comments or strings), its schemata switch each mutant on
// at run time, a short run over a fixture kills what the fixture's spec tests and reports
// what it does not, with file and line (through a schema, and through a rebuild for the
// mutant a schema cannot hold); then a sampled run over the SDK itself completes with a
// verdict for each mutant.

import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain JavaScript script without types
import { bindEquivalents, loadEquivalents } from "../../scripts/mutate-as/equivalents.mjs";
// @ts-expect-error: a plain JavaScript script without types
import * as schema from "../../scripts/mutate-as/schema.mjs";

// @ts-expect-error: a plain JavaScript script without types
import { codeOnly, expand, findMutants, GROUPS } from "../../scripts/mutate-as.mjs";

const { buildSchema, functionMutants, patchBinary, spansAt } = schema;

const run = promisify(execFile);
const out = mkdtempSync(join(tmpdir(), "meshwasm-mutate-as-test-"));

afterAll(() => rmSync(out, { recursive: true, force: true }));

interface Equivalent {
  file: string;
  line: number;
  text?: string;
  original: string;
  replacement: string;
  at?: number;
  reason: string;
}

interface Result {
  file: string;
  line: number;
  operator: string;
  original: string;
  replacement: string;
  status: string;
  via?: string;
  by?: string;
  reused?: boolean;
}

async function harness(
  args: string[],
  dir: string,
): Promise<{ results: Result[]; summary: string }> {
  await run(process.execPath, ["scripts/mutate-as.mjs", ...args, "--out", dir], {
    timeout: 600_000,
    // As under CI, where the compiler colours its errors (CI set, FORCE_COLOR set at all).
    env: { ...process.env, CI: "true", FORCE_COLOR: "1" },
  });
  const report = JSON.parse(readFileSync(join(dir, "report.json"), "utf8")) as {
    results: Result[];
  };
  return { results: report.results, summary: readFileSync(join(dir, "summary.md"), "utf8") };
}

describe("finding mutants", () => {
  it("mutates code, not comments, strings or imports", () => {
    const source = [
      'import { a } from "./a"; // a < b',
      "/* x == y */",
      'const text = "1 && 2";',
      "export function f(x: i32): bool {",
      "  return x > 3 && x != 10;",
      "}",
    ].join("\n");
    expect(codeOnly(source)).not.toContain("a < b");
    const found = (findMutants("f.ts", source) as Result[]).map(
      (m) => `${m.line} ${m.original}->${m.replacement}`,
    );
    expect(found).toEqual(
      expect.arrayContaining(["5 >->>=", "5 >-><=", "5 &&->||", "5 !=->==", "5 3->4", "5 10->11"]),
    );
    expect(found.every((m) => m.startsWith("5 "))).toBe(true);
  });

  it("finds mutants in every group's files", () => {
    type Group = { name: string; files: string[]; exclude?: string[] };
    for (const group of GROUPS as Group[]) {
      const files: string[] = expand(process.cwd(), group.files, group.exclude);
      expect(files.length, group.name).toBeGreaterThan(0);
      let mutants = 0;
      for (const file of files) mutants += findMutants(file, readFileSync(file, "utf8")).length;
      expect(mutants, group.name).toBeGreaterThan(files.length);
    }
  });

  it("lists as equivalent only mutants the harness finds at the entry's line", () => {
    const listed = loadEquivalents(process.cwd());
    // Each file's mutants found once (the list names a few files many times).
    const byFile = new Map<string, Result[]>();
    const mutantsOf = (file: string): Result[] => {
      if (!byFile.has(file))
        byFile.set(file, findMutants(file, readFileSync(file, "utf8")) as Result[]);
      return byFile.get(file) as Result[];
    };
    const orphans = listed.bound.filter((e: Equivalent) => {
      expect(e.reason.length, `${e.file}:${e.line}`).toBeGreaterThan(20);
      return !mutantsOf(e.file).some(
        (m) =>
          m.line === e.line &&
          m.original === e.original &&
          m.replacement === e.replacement &&
          (e.at === undefined || listed.of(m)?.at === e.at),
      );
    });
    expect(
      [...listed.stale, ...orphans].map(
        (e: Equivalent) => `${e.file}:${e.line} ${e.original} -> ${e.replacement}`,
      ),
    ).toEqual([]);
  });

  it("keeps an entry on its line when the code above moves it, and drops it when the line changes", () => {
    const entry = {
      file: "f.ts",
      line: 3,
      text: "return x == K;",
      original: "==",
      replacement: "!=",
      reason: "a fixture entry for the binding",
    };
    const source = (lines: string[]) => () => lines.join("\n");
    const at = (lines: string[]) => bindEquivalents([entry], source(lines));
    // Two lines added above: the entry follows its text to line 5.
    const moved = at(["// a", "// b", "let x = 1;", "const K = 2;", "return x == K;"]);
    expect(moved.stale).toEqual([]);
    expect(moved.of({ file: "f.ts", line: 5, original: "==", replacement: "!=" })?.reason).toBe(
      entry.reason,
    );
    expect(moved.of({ file: "f.ts", line: 3, original: "==", replacement: "!=" })).toBeUndefined();
    // The same text twice: the occurrence nearest the listed line, never both.
    const twice = at(["return x == K;", "", "", "", "", "return x == K;"]);
    expect(twice.of({ file: "f.ts", line: 1, original: "==", replacement: "!=" })).toBeDefined();
    expect(twice.of({ file: "f.ts", line: 6, original: "==", replacement: "!=" })).toBeUndefined();
    // The line itself edited: stale, so the harness judges its mutants like any other.
    const edited = at(["let x = 1;", "const K = 2;", "return x === K;"]);
    expect(edited.stale).toHaveLength(1);
    expect(edited.of({ file: "f.ts", line: 3, original: "==", replacement: "!=" })).toBeUndefined();
    // An entry without text stays on its line number.
    const { text: _text, ...byNumber } = entry;
    const pinned = bindEquivalents([byNumber], source(["// a", "// b", "return x == K;"]));
    expect(pinned.of({ file: "f.ts", line: 3, original: "==", replacement: "!=" })).toBeDefined();
  });

  it("tells two mutants of the same kind on one line apart by where they start", () => {
    const text = "return n < 0 ? 0 : n;";
    const lines = ["// a", `  ${text}`];
    const first = {
      file: "f.ts",
      line: 2,
      text,
      original: "0",
      replacement: "1",
      at: 11,
      reason: "the bound: n is a whole number",
    };
    const listed = bindEquivalents([first], () => lines.join("\n"));
    const start = (at: number) => "// a".length + 1 + 2 + at;
    const mutant = (at: number) => ({
      file: "f.ts",
      line: 2,
      original: "0",
      replacement: "1",
      start: start(at),
    });
    expect(listed.of(mutant(11))?.reason).toBe(first.reason);
    expect(listed.of(mutant(15))).toBeUndefined();
  });
});

describe("schemata", () => {
  const source = [
    "const K: i32 = 4;",
    "export function f(x: i32, y: i32): bool {",
    "  if (x < y + 1) {",
    "    log(x);",
    "  }",
    "  return x == K;",
    "}",
  ].join("\n");
  const mutants = (findMutants("f.ts", source) as Result[]).map((m, id) => ({ ...m, id }));

  it("puts every mutant behind its switch, and leaves top-level constants to a rebuild", () => {
    const { text, unplaced } = buildSchema("f.ts", source, mutants, "./switch");
    const byText = (original: string, replacement: string) =>
      mutants.find((m) => m.original === original && m.replacement === replacement)?.id;
    expect(unplaced).toEqual([byText("4", "5")]);
    for (const m of mutants.filter((m) => !unplaced.includes(m.id))) {
      expect(text).toContain(`__mutant(${m.id})`);
    }
    // The comparison's two mutants and the call's removal, each switchable on its own.
    expect(text).toContain(`__mutant(${byText("<", "<=")}) ? (x <= `);
    expect(text).toContain(`if (!__mutant(${byText("log(x);", "")})) { log(x); }`);
    expect(text.startsWith('import { __mutant } from "./switch";')).toBe(true);
    // A place inside a wrapper names the wrapper's mutants.
    const at = text.indexOf("y - ");
    expect(spansAt(text, at)).toEqual([byText("+", "-")]);
  });

  it("blames a compile error outside any wrapper on the function's null checks first", () => {
    const guarded = [
      "function f(x: Box | null): i32 {",
      "  g();",
      "  if (x === null) return 0;",
      "  return x.v + 1;",
      "}",
    ].join("\n");
    const all = (findMutants("g.ts", guarded) as Result[]).map((m, id) => ({ ...m, id }));
    const check = all.find((m) => m.original === "===")?.id;
    const { text } = buildSchema("g.ts", guarded, all, "./switch");
    // The error shows where x is used, narrowed no more: only the null check's mutant.
    expect(functionMutants(text, text.indexOf("x.v"))).toEqual([check]);
    // Taken out, the error stays: every other mutant of the function.
    const { text: again } = buildSchema(
      "g.ts",
      guarded,
      all.filter((m) => m.id !== check),
      "./switch",
    );
    const rest = new Set(functionMutants(again, again.indexOf("x.v")) as number[]);
    expect([...rest].sort()).toEqual(all.filter((m) => m.id !== check).map((m) => m.id));
  });

  it("writes the active mutant into every switch cell of a binary", () => {
    const cell = Buffer.concat([
      Buffer.from("MWMUTANT", "latin1"),
      Buffer.from([255, 255, 255, 255]),
    ]);
    const binary = Buffer.concat([Buffer.from([0, 97, 115, 109]), cell, Buffer.from([1, 2]), cell]);
    const { bytes, count } = patchBinary(binary, 258);
    expect(count).toBe(2);
    expect(bytes.readInt32LE(12)).toBe(258);
    expect(bytes.readInt32LE(26)).toBe(258);
    expect(binary.readInt32LE(12)).toBe(-1);
  });
});

describe("running mutants", () => {
  it("kills what the fixture's spec tests and reports the untested function's mutants as survivors", async () => {
    const { results, summary } = await harness(
      [
        "--files",
        "test/mutate/fixture/assembly/limits.ts",
        "--aspect",
        "test/mutate/fixture/assembly/limits.spec.ts,test/mutate/fixture/assembly/limits-floor.spec.ts",
      ],
      join(out, "fixture"),
    );
    const verdicts = results.map(
      (r) => `${r.line} ${r.original}->${r.replacement} ${r.status}${r.via ? ` (${r.via})` : ""}`,
    );
    // FLOOR's mutant survives the spec near its line and is killed by the other one.
    expect(verdicts).toEqual([
      "8 2->3 survived (rebuild)",
      "11 <-><= killed",
      "11 <->>= killed",
      "14 4->5 killed (rebuild)",
      "21 7->8 survived",
      "21 9->10 survived",
      "21 +->- survived",
    ]);
    expect(results.find((r) => r.line === 14)?.by).toContain("limits-floor.spec.ts");
    expect(summary).toContain("| custom | 7 | 3 | 0 | 4 | 0 | 0 | 42.9% |");
    expect(summary).toContain("test/mutate/fixture/assembly/limits.ts:21 integer: `7` -> `8`");

    // Resumed in the same folder, the killed mutants keep their recorded verdicts unjudged
    // (nothing left to build or run); survivors would be judged again.
    const resumed = await harness(
      [
        ...["--files", "test/mutate/fixture/assembly/limits.ts", "--line", "11", "--resume"],
        ...["--aspect", "test/mutate/fixture/assembly/limits.spec.ts"],
      ],
      join(out, "fixture"),
    );
    expect(
      resumed.results.map((r) => `${r.line} ${r.original}->${r.replacement} ${r.status}`),
    ).toEqual(["11 <-><= killed", "11 <->>= killed"]);
    expect(resumed.results.every((r) => r.reused === true)).toBe(true);
    expect(resumed.summary).toContain("2 verdicts kept from the journal");

    // From a copy of that journal kept elsewhere (--resume-from), into an empty folder: the
    // same verdicts kept, and copied into the new folder's journal.
    const kept = join(out, "kept.jsonl");
    writeFileSync(kept, readFileSync(join(out, "fixture", "journal.jsonl")));
    const elsewhere = await harness(
      [
        ...["--files", "test/mutate/fixture/assembly/limits.ts", "--line", "11"],
        ...["--resume-from", kept, "--aspect", "test/mutate/fixture/assembly/limits.spec.ts"],
      ],
      join(out, "elsewhere"),
    );
    expect(
      elsewhere.results.map((r) => `${r.line} ${r.original}->${r.replacement} ${r.status}`),
    ).toEqual(["11 <-><= killed", "11 <->>= killed"]);
    expect(elsewhere.results.every((r) => r.reused === true)).toBe(true);
    const copied = readFileSync(join(out, "elsewhere", "journal.jsonl"), "utf8")
      .trim()
      .split("\n");
    expect(copied.map((line) => (JSON.parse(line) as { status: string }).status)).toEqual([
      "killed",
      "killed",
    ]);
  }, 600_000);

  it("gives each of a sample of the SDK's mutants a verdict", async () => {
    const { results } = await harness(
      [
        // A fixed seed (a random one made this test pass or fail by the draw): today it draws
        // a store offset changed (not a compile-time constant, so taken out of the schemata
        // and rebuilt on its own), the path that broke when the compiler's output was coloured.
        ...["--group", "other", "--file", "assembly/utf8.ts", "--sample", "2", "--seed", "57"],
        ...["--aspect-only", "--aspect", "assembly/__tests__/utf8.spec.ts"],
      ],
      join(out, "sample"),
    );
    expect(results).toHaveLength(2);
    for (const r of results) {
      expect(r.file).toBe("assembly/utf8.ts");
      expect(["killed", "survived", "timeout", "invalid"]).toContain(r.status);
    }
  }, 600_000);
});

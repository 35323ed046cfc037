// The TypeScript mutation driver (scripts/mutate-ts.mjs): each group names files that exist,
// and a sampled run draws only code lines, the same ones for the same seed.

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain JavaScript script without types
import { GROUPS, groupFiles, sampleLines } from "../../scripts/mutate-ts.mjs";
import LoadFailures from "./load-failures.reporter.ts";
import { modulesUsed, testFiles } from "./modules-used.ts";

type Group = { name: string; files: string[]; tests: string[] };

describe("mutate:ts groups", () => {
  it("names existing source files for every group, leaving out the excluded ones", () => {
    for (const group of GROUPS as Group[]) {
      const files: string[] = groupFiles(group);
      expect(files.length, group.name).toBeGreaterThan(0);
      for (const file of files) expect(file.startsWith("src/"), file).toBe(true);
      for (const pattern of group.files.filter((p) => p.startsWith("!"))) {
        expect(files).not.toContain(pattern.slice(1));
      }
    }
    const runner = (GROUPS as Group[]).find((g) => g.name === "envoy-runner") as Group;
    expect(groupFiles(runner)).toContain("src/envoy/runner.ts");
  });

  it("covers every file of src/testing once in the groups a default run takes", () => {
    const groups = (GROUPS as (Group & { whole?: boolean })[]).filter((g) => !g.whole);
    const all: string[] = groupFiles(
      (GROUPS as Group[]).find((g) => g.name === "testing-all") as Group,
    );
    const taken = groups
      .flatMap((g) => groupFiles(g) as string[])
      .filter((f) => f.startsWith("src/testing/"));
    expect(taken.length).toBeGreaterThan(30);
    expect([...taken].sort()).toEqual([...all].sort());
  });

  it("puts every TypeScript file of src/ in exactly one group (the whole-folder one aside)", () => {
    const taken = (GROUPS as (Group & { whole?: boolean })[])
      .filter((g) => !g.whole)
      .flatMap((g) => groupFiles(g) as string[]);
    const source = execFileSync("git", ["ls-files", "src"], { encoding: "utf8" })
      .split("\n")
      .filter((f) => f.endsWith(".ts"));
    expect(source.length).toBeGreaterThan(80);
    expect([...taken].sort()).toEqual([...source].sort());
  });
});

describe("sampled runs", () => {
  const testing = (GROUPS as Group[]).find((g) => g.name === "testing-all") as Group;
  const files: string[] = groupFiles(testing);

  it("draws the asked number of distinct code lines, repeatably for a seed", () => {
    const first: string[] = sampleLines(files, 40, 7);
    expect(first).toHaveLength(40);
    expect(new Set(first).size).toBe(40);
    expect(sampleLines(files, 40, 7)).toEqual(first);
    expect(sampleLines(files, 40, 8)).not.toEqual(first);
    for (const range of first) {
      const m = /^(.+):(\d+)-(\d+)$/.exec(range);
      expect(m, range).not.toBeNull();
      const [, file = "", from = "", to = ""] = m as RegExpExecArray;
      expect(from).toBe(to);
      expect(files).toContain(file);
      const text = (readFileSync(file, "utf8").split("\n")[Number(from) - 1] ?? "").trim();
      expect(text, range).not.toBe("");
      expect(text, range).not.toMatch(/^(\/\/|\/\*|\*|import\b)/);
    }
  });

  it("draws every code line once when asked for more lines than there are", () => {
    const file = "src/envoy/config.ts";
    const all: string[] = sampleLines([file], 100_000, 1);
    const code = readFileSync(file, "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "" && !/^\s*(\/\/|\/\*|\*)/.test(l));
    expect(all.length).toBeGreaterThan(0);
    expect(all.length).toBeLessThanOrEqual(code.length);
    expect(new Set(all).size).toBe(all.length);
  });
});

describe("modules built before a mutation run's tests", () => {
  it("finds the modules and examples a group's test files load, through their test/ helpers", () => {
    const testing = (GROUPS as Group[]).find((g) => g.name === "testing-all") as Group;
    const files = testFiles(testing.tests);
    expect(files).toContain("test/testing/bad-input.test.ts");
    const used = modulesUsed(files);
    // Named in the test files themselves, and the default of the conformance harness.
    for (const name of [
      "module:conformance",
      "module:edges",
      "module:stray-import",
      "example:hello",
    ]) {
      expect(used).toContain(name);
    }
    expect(modulesUsed(["test/conformance/conformance.test.ts"])).toEqual(
      expect.arrayContaining(["module:conformance", "module:tcp"]),
    );
    expect(modulesUsed(["test/examples/safety.test.ts"])).toEqual([
      "example:hello",
      "example:redact-body",
      "example:require-header",
    ]);
    // Files that build nothing need nothing.
    expect(modulesUsed(["test/mutate/mutate-ts.test.ts"])).toEqual([]);
  });
});

describe("Stryker's load-failure reporter", () => {
  type Task = {
    type: string;
    id: string;
    name: string;
    tasks?: Task[];
    result?: { state?: string; errors?: { message?: string }[] };
  };
  const file = (id: string, state: string, tasks: Task[], message?: string): Task => ({
    type: "suite",
    id,
    name: `${id}.test.ts`,
    tasks,
    result: { state, ...(message ? { errors: [{ message }] } : {}) },
  });
  const test = (id: string, state: string): Task => ({
    type: "test",
    id,
    name: id,
    result: { state },
  });

  it("gives a file that failed to load one failed test carrying its error, and leaves the others", () => {
    const broken = file("a", "fail", [], "Cannot read properties of undefined (reading 'module')");
    const silent = file("b", "fail", []);
    const failing = file("c", "fail", [test("c1", "fail")]);
    const passing = file("d", "pass", [
      { type: "suite", id: "d0", name: "group", tasks: [test("d1", "pass")] },
    ]);
    const reporter = new LoadFailures();
    reporter.onInit({ state: { getFiles: () => [broken, silent, failing, passing] } } as never);
    reporter.onTestRunEnd();
    expect(broken.tasks).toHaveLength(1);
    expect(broken.tasks?.[0]).toMatchObject({
      type: "test",
      name: "loads",
      result: {
        state: "fail",
        errors: [{ message: "Cannot read properties of undefined (reading 'module')" }],
      },
    });
    expect(silent.tasks?.[0]?.result?.errors?.[0]?.message).toBe("the file failed to load");
    expect(failing.tasks).toHaveLength(1);
    expect(passing.tasks).toHaveLength(1);
    expect(passing.tasks?.[0]?.tasks).toHaveLength(1);
  });
});

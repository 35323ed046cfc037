// The bench scripts' command lines: `--help` prints the script's own header comment, and a
// bad option is refused before anything starts, naming the option and the value.

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { baselineProblem } from "../../bench/bench.ts";
import { benchArgs, numberOption, patternOption, usageOf } from "../../bench/lib/cli.ts";

const SCRIPT = new URL("../../bench/run.ts", import.meta.url).href;

class Exit extends Error {
  constructor(readonly code: number | undefined) {
    super(`exit ${code}`);
  }
}

describe("bench/lib/cli.ts", () => {
  let errors: string[];
  beforeEach(() => {
    errors = [];
    vi.spyOn(process, "exit").mockImplementation((code) => {
      throw new Exit(typeof code === "number" ? code : undefined);
    });
    vi.spyOn(console, "error").mockImplementation((line: unknown) => {
      errors.push(String(line));
    });
  });
  afterEach(() => vi.restoreAllMocks());

  /** What a call refused with: the exit status and the one line it printed. */
  function refusal(call: () => unknown): { code: number | undefined; message: string } {
    try {
      call();
    } catch (error) {
      if (error instanceof Exit) return { code: error.code, message: errors.join("\n") };
      throw error;
    }
    throw new Error("the call was not refused");
  }

  it("takes a script's usage from its leading comment, and only from it", () => {
    expect(usageOf("// one\n//\n//   two\nimport x from 'y';\n// not usage\n")).toBe(
      "one\n\n  two",
    );
    expect(usageOf("import x from 'y';\n// later\n")).toBe("");
  });

  it("reads numbers within their rule and falls back when the option is absent", () => {
    expect(numberOption(SCRIPT, "rounds", "6", 3, { min: 1, integer: true })).toBe(6);
    expect(numberOption(SCRIPT, "rounds", undefined, 3, { min: 1, integer: true })).toBe(3);
    expect(numberOption(SCRIPT, "rounds", undefined, undefined, { min: 1 })).toBeUndefined();
    expect(numberOption(SCRIPT, "seconds", "0.5", 2, { min: 0.1 })).toBe(0.5);
    expect(numberOption(SCRIPT, "seconds", "0.1", 2, { min: 0.1 })).toBe(0.1);
  });

  it.each([
    [
      "six",
      { min: 1, integer: true },
      'bench/run.ts: --rounds must be a whole number >= 1, got "six"',
    ],
    ["", { min: 1, integer: true }, '--rounds must be a whole number >= 1, got ""'],
    ["0", { min: 1, integer: true }, '--rounds must be a whole number >= 1, got "0"'],
    ["2.5", { min: 1, integer: true }, '--rounds must be a whole number >= 1, got "2.5"'],
    ["Infinity", { min: 1 }, '--rounds must be a number >= 1, got "Infinity"'],
    ["0.09", { min: 0.1 }, '--rounds must be a number >= 0.1, got "0.09"'],
  ])("refuses --rounds %j", (value, rule, message) => {
    const result = refusal(() => numberOption(SCRIPT, "rounds", value, 1, rule));
    expect(result.code).toBe(2);
    expect(result.message).toContain(message);
    expect(result.message).toContain("(--help lists the options)");
  });

  it("compiles a pattern, and refuses one that does not compile, naming it", () => {
    expect(patternOption(SCRIPT, "only", "^a/(b|c)$")?.test("a/c")).toBe(true);
    expect(patternOption(SCRIPT, "only", undefined)).toBeUndefined();
    const result = refusal(() => patternOption(SCRIPT, "only", "(a"));
    expect(result.code).toBe(2);
    expect(result.message).toContain('--only "(a" is not a regular expression');
  });

  it("turns parseArgs' errors into a refusal, and passes its result through", () => {
    const parse = (args: string[]) => () =>
      parseArgs({ args, options: { rounds: { type: "string" } } }).values;
    expect(benchArgs(SCRIPT, parse(["--rounds", "4"]))).toEqual({ rounds: "4" });
    const result = refusal(() => benchArgs(SCRIPT, parse(["--roundz", "4"])));
    expect(result.code).toBe(2);
    expect(result.message).toContain("Unknown option '--roundz'");
  });
});

describe("--baseline", () => {
  it("runs beside the scenarios of one module, however many configurations it has", () => {
    expect(baselineProblem(/^jwt-rs256(-cached)?\/meshwasm$/, ["old.wasm"])).toBeUndefined();
    expect(baselineProblem(/^rate-limit(-lease)?\/meshwasm$/, ["old.wasm"])).toBeUndefined();
    expect(baselineProblem(/^(header-router|rate-limit)\//, [])).toBeUndefined();
  });

  it("refuses a selection of several modules, or of none, naming them", () => {
    expect(baselineProblem(/^(header-router|rate-limit)\/meshwasm$/, ["old.wasm"])).toBe(
      "--baseline stands beside one bench module, and --only selects meshwasm scenarios of 2 modules (header-router, rate-limit): narrow --only to the scenarios of one module",
    );
    expect(baselineProblem(/^header-router\/native$/, ["old.wasm"])).toContain(
      "meshwasm scenarios of no module",
    );
  });
});

describe("a bench script's command line", { timeout: 240_000 }, () => {
  function bench(...args: string[]) {
    const run = spawnSync(process.execPath, ["--import", "tsx", "bench/run.ts", ...args], {
      encoding: "utf8",
      timeout: 200_000,
    });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  }

  it("prints the script's header comment for --help and exits 0", () => {
    const result = bench("--help");
    expect(result.status).toBe(0);
    const header = usageOf(readFileSync("bench/run.ts", "utf8"));
    expect(header).toContain("--rounds N");
    expect(result.stdout.trim()).toBe(header);
  });

  it("refuses a bad number before anything starts, with a message and no stack trace", () => {
    const result = bench("--rounds", "six");
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      'bench/run.ts: --rounds must be a whole number >= 1, got "six" (--help lists the options)',
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

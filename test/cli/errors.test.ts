// The CLI's exit codes and the error type its commands end with.

import { describe, expect, it } from "vitest";
import { CliError, ExitCode, usageError } from "../../src/cli/errors.ts";

describe("CliError", () => {
  it("keeps the documented exit codes", () => {
    expect(ExitCode).toEqual({
      Ok: 0,
      Failed: 1,
      Usage: 2,
      Environment: 3,
      Interrupted: 130,
      Internal: 70,
    });
  });

  it("names itself, fails with exit 1 by default and carries a hint", () => {
    const plain = new CliError("broken");
    expect(plain).toBeInstanceOf(Error);
    expect(plain.name).toBe("CliError");
    expect(String(plain)).toBe("CliError: broken");
    expect(plain.exitCode).toBe(1);
    expect(plain.hint).toBeUndefined();
    const given = new CliError("no envoy", {
      exitCode: ExitCode.Environment,
      hint: "npm run setup",
    });
    expect([given.exitCode, given.hint]).toEqual([3, "npm run setup"]);
  });

  it("makes usage errors exit 2, with a hint only when one is given", () => {
    const e = usageError('unknown filter "x"', "known: a, b");
    expect([e.message, e.exitCode, e.hint]).toEqual(['unknown filter "x"', 2, "known: a, b"]);
    expect(usageError("bad", "").hint).toBeUndefined();
    expect(usageError("bad").exitCode).toBe(2);
  });
});

// How `meshwasm test` runs vitest and exits after it: real child processes, each a small node
// script standing where vitest's CLI script would (tens of milliseconds each).
import { fstatSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runVitest } from "../../src/cli/commands/test.ts";
import { CliError, ExitCode } from "../../src/cli/errors.ts";

const scratch = mkdtempSync(join(tmpdir(), "meshwasm-vitest-run-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A script in place of vitest's: `body` runs with the arguments in `args`. */
function script(name: string, body: string): string {
  const path = join(scratch, `${name}.cjs`);
  writeFileSync(path, `const args = process.argv.slice(2);\n${body}\n`);
  return path;
}

const exits = script("exits", "process.exit(Number(args[0]));");
// Waits for the signal it sends itself, so it ends by the signal and not by running out.
const signals = script(
  "signals",
  "process.kill(process.pid, args[0]);\nsetTimeout(() => {}, 10_000);",
);
const options = { cwd: scratch, env: process.env };

describe("runVitest", () => {
  it("exits 0 when vitest passed, and 1 for any failure it reports", async () => {
    expect(await runVitest(exits, ["0"], options)).toBe(ExitCode.Ok);
    expect(await runVitest(exits, ["1"], options)).toBe(ExitCode.Failed);
    expect(await runVitest(exits, ["2"], options)).toBe(ExitCode.Failed);
  });

  it("exits 130 when Ctrl-C stopped vitest: its own exit code 130, or SIGINT", async () => {
    expect(await runVitest(exits, ["130"], options)).toBe(ExitCode.Interrupted);
    expect(await runVitest(signals, ["SIGINT"], options)).toBe(ExitCode.Interrupted);
  });

  it("exits 1 when another signal ended vitest", async () => {
    expect(await runVitest(signals, ["SIGTERM"], options)).toBe(ExitCode.Failed);
  });

  it("gives vitest meshwasm's own stdin, stdout and stderr (the same open files)", async () => {
    const same = script(
      "same-stdio",
      [
        'const { fstatSync } = require("node:fs");',
        'const mine = [0, 1, 2].map((fd) => [fstatSync(fd).dev, fstatSync(fd).ino].join(":"));',
        "process.exit(mine.join(' ') === args.join(' ') ? 0 : 1);",
      ].join("\n"),
    );
    const parent = [0, 1, 2].map((fd) => [fstatSync(fd).dev, fstatSync(fd).ino].join(":"));
    expect(await runVitest(same, parent, options)).toBe(ExitCode.Ok);
  });

  it("fails with exit code 3 naming the cause when node cannot start", async () => {
    const error = await runVitest(exits, ["0"], { ...options, cwd: join(scratch, "gone") }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(ExitCode.Environment);
    expect((error as CliError).message).toMatch(/^could not start vitest: spawn .+ ENOENT$/);
  });
});

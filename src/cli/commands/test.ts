// `meshwasm test [name...] [-- vitest options]`: builds the filters, then runs vitest on
// their tests (<filter folder>/test/). vitest is a peer dependency: npm installs it with
// meshwasm; when it is missing the error says how to add it.

import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, sep } from "node:path";
import { Command } from "commander";
import type { CliContext } from "../context.ts";
import { CliError, ExitCode } from "../errors.ts";
import { packageRoot } from "../project.ts";
import { buildOrFail, noFilters } from "./build.ts";

/**
 * vitest's CLI script, looked up from the project first, then from `fallback` (meshwasm's own
 * folder, where npm installs its peer dependency); throws the error that says how to add it.
 */
export function findVitest(projectRoot: string, fallback = packageRoot): string {
  for (const root of [projectRoot, fallback]) {
    let manifest: string;
    try {
      manifest = createRequire(join(root, "package.json")).resolve("vitest/package.json");
    } catch {
      continue; // Not installed there; try the next place.
    }
    const { bin } = JSON.parse(readFileSync(manifest, "utf8")) as {
      bin?: Record<string, string> | string;
    };
    const rel = typeof bin === "string" ? bin : bin?.vitest;
    if (rel) return join(dirname(manifest), rel);
  }
  throw new CliError("vitest is not installed in this project", {
    exitCode: ExitCode.Environment,
    hint: "npm install --save-dev vitest",
  });
}

/**
 * Runs vitest's CLI script in a child node on the user's terminal (stdin, stdout and stderr
 * inherited: its colours and progress show as they would without meshwasm) and resolves to
 * the code `meshwasm test` exits with: 0 when the tests passed, 130 when Ctrl-C stopped vitest
 * (its own 130, or SIGINT), 1 otherwise. Rejects when node could not start at all.
 */
export function runVitest(
  vitest: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<number> {
  return new Promise((resolveCode, reject) => {
    const child = spawn(process.execPath, [vitest, ...args], {
      cwd: options.cwd,
      env: options.env,
      stdio: "inherit",
    });
    child.on("error", (error) =>
      reject(
        new CliError(`could not start vitest: ${error.message}`, {
          exitCode: ExitCode.Environment,
        }),
      ),
    );
    child.on("close", (status, signal) => {
      if (status === 0) return resolveCode(ExitCode.Ok);
      const interrupted = status === ExitCode.Interrupted || signal === "SIGINT";
      resolveCode(interrupted ? ExitCode.Interrupted : ExitCode.Failed);
    });
  });
}

export default function testCommand(ctx: CliContext): Command {
  return new Command("test")
    .description("build the filters, then run their tests (<filter>/test/*.test.ts) with vitest")
    .argument("[name...]", "filters to test (default: all); after --, options for vitest")
    .addHelpText(
      "after",
      "\nExamples:\n  meshwasm test\n  meshwasm test my-filter -- --reporter=verbose",
    )
    .action(async () => {
      const dash = ctx.argv.indexOf("--");
      // Stryker disable next-line EqualityOperator: equivalent for `dash > 0`, the arguments start with the command's name, never with `--` (the `<`/`<=` forms, which the tests kill, go with it)
      const names = (dash >= 0 ? ctx.argv.slice(0, dash) : ctx.argv).slice(
        ctx.argv.indexOf("test") + 1,
      );
      // Stryker disable next-line EqualityOperator,ArrayDeclaration: equivalent for `dash > 0`, as above; and for `[]` holding a made-up word: vitest takes it as one more file name filter, which no test file matches, and runs what any filter matches
      const passOn = dash >= 0 ? ctx.argv.slice(dash + 1) : [];
      const project = ctx.project();
      const filters = await buildOrFail(ctx, names);
      const withTests = filters.filter((f) => existsSync(join(f.folder, "test")));
      if (withTests.length === 0) {
        // Stryker disable next-line ConditionalExpression: equivalent, buildOrFail has already refused a project without filters
        if (filters.length === 0) throw noFilters(project);
        throw new CliError(
          `no tests: none of ${filters.map((f) => f.name).join(", ")} has a test/ folder`,
          {
            hint: "put vitest files in <filter>/test/ (meshwasm new writes one)",
          },
        );
      }
      const vitest = findVitest(project.root);
      const folders = withTests.map((f) => `${join(f.folder, "test")}${sep}`);
      ctx.out.line(`testing ${withTests.map((f) => f.name).join(", ")} with vitest`);
      process.exitCode = await runVitest(vitest, ["run", ...folders, ...passOn], {
        cwd: project.root,
        env: ctx.env,
      });
    });
}

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

/** vitest's CLI script, looked up from the project first, then from meshwasm itself. */
export function findVitest(projectRoot: string): string | undefined {
  for (const from of [join(projectRoot, "package.json"), join(packageRoot, "package.json")]) {
    try {
      const manifest = createRequire(from).resolve("vitest/package.json");
      const bin = (
        JSON.parse(readFileSync(manifest, "utf8")) as { bin?: Record<string, string> | string }
      ).bin;
      const rel = typeof bin === "string" ? bin : bin?.vitest;
      if (rel) return join(dirname(manifest), rel);
    } catch {
      // Not installed there; try the next place.
    }
  }
  return undefined;
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
      // Stryker disable next-line EqualityOperator: equivalent for `dash > 0`, as above
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
      if (!vitest) {
        throw new CliError("vitest is not installed in this project", {
          exitCode: ExitCode.Environment,
          hint: "npm install --save-dev vitest",
        });
      }
      const folders = withTests.map((f) => `${join(f.folder, "test")}${sep}`);
      ctx.out.line(`testing ${withTests.map((f) => f.name).join(", ")} with vitest`);
      const code = await new Promise<number>((resolveCode) => {
        const child = spawn(process.execPath, [vitest, "run", ...folders, ...passOn], {
          cwd: project.root,
          env: ctx.env,
          stdio: "inherit",
        });
        child.on("error", () => resolveCode(ExitCode.Environment));
        child.on("close", (status, signal) =>
          resolveCode(status ?? (signal === "SIGINT" ? ExitCode.Interrupted : ExitCode.Failed)),
        );
      });
      if (code !== 0) process.exitCode = code === ExitCode.Interrupted ? code : ExitCode.Failed;
    });
}

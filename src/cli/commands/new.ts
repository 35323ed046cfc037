// `meshwasm new <name> [--dir <folder>]`: a filter that builds and passes its tests as written:
// source, a vitest test on the test host, schema.json, envoy.yaml and a README. In a user's
// project it also adds the package.json scripts, a vitest config and a .gitignore when missing.

import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, sep } from "node:path";
import { Command } from "commander";
import type { CliContext } from "../context.ts";
import { usageError } from "../errors.ts";
import { DEFAULT_FILTER_DIRS, type PackageJson, packageRoot } from "../project.ts";
import {
  FILTER_NAME,
  filterFiles,
  GITIGNORE,
  VITEST_CONFIG,
  VITEST_CONFIG_FILE,
} from "../scaffold.ts";

/** The extensions vitest loads its config with. */
const CONFIG_EXTENSIONS = ["ts", "mts", "cts", "js", "mjs", "cjs"];

function posix(path: string): string {
  return path.split(sep).join("/");
}

function relativeImport(from: string, to: string): string {
  const rel = posix(relative(from, to));
  // Stryker disable next-line ConditionalExpression,StringLiteral: equivalent, every path it is given climbs out of the filter's folder (the SDK, build/), so it starts with ".." either way
  return rel.startsWith(".") ? rel : `./${rel}`;
}

export default function newCommand(ctx: CliContext): Command {
  return new Command("new")
    .description("create a filter that builds and passes its tests straight away")
    .argument("<name>", "filter name: lower-case letters, digits and dashes (e.g. my-filter)")
    .option("--dir <folder>", "parent folder of the filter, relative to the project", "filters")
    .option("--json", "print what was created as JSON", false)
    .addHelpText(
      "after",
      "\nExamples:\n  meshwasm new my-filter                 → filters/my-filter/\n  meshwasm new rate-limit --dir src/filters",
    )
    .action((name: string, opts: { dir: string; json: boolean }) => {
      const { out } = ctx;
      out.setJson(opts.json);
      if (!FILTER_NAME.test(name)) {
        throw usageError(
          `"${name}" is not a valid filter name`,
          "use lower-case letters, digits and dashes, starting with a letter (e.g. my-filter)",
        );
      }
      const project = ctx.project();
      const parent = posix(opts.dir).replace(/\/+$/, "");
      if (parent.startsWith("/") || parent.split("/").includes("..") || parent === "") {
        throw usageError(
          `--dir "${opts.dir}" must be a folder inside the project`,
          "e.g. --dir filters",
        );
      }
      const folder = join(project.root, parent, name);
      if (existsSync(folder)) {
        throw usageError(
          `${project.rel(folder)} already exists`,
          "choose another name, or remove the folder first",
        );
      }
      const clash = project.filters().find((f) => f.name === name);
      if (clash) {
        throw usageError(
          `a filter named "${name}" already exists in ${clash.dir}/ (modules are build/<name>.wasm, so names are unique)`,
          "choose another name",
        );
      }

      const inRepo = project.isMeshwasmItself;
      const assemblyDir = join(folder, "assembly");
      const files = filterFiles({
        name,
        sdk: inRepo
          ? relativeImport(assemblyDir, join(packageRoot, "assembly"))
          : "meshwasm/assembly",
        wasmFromTest: relativeImport(join(folder, "test"), project.wasmPath(name)),
        wasmFromRoot: `build/${name}.wasm`,
        folder: posix(relative(project.root, folder)),
        cli: inRepo ? "npm run meshwasm --" : "npx meshwasm",
      });
      const created: string[] = [];
      const write = (path: string, text: string) => {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, text);
        created.push(posix(project.rel(path)));
      };
      for (const [path, text] of Object.entries(files)) write(join(folder, path), text);

      const updated: string[] = [];
      if (!inRepo) {
        const pkgPath = join(project.root, "package.json");
        const pkg: PackageJson = project.packageJson ?? {
          name: basename(project.root),
          private: true,
        };
        const scripts = { ...(pkg.scripts ?? {}) };
        const wanted: Record<string, string> = {
          build: "meshwasm build",
          test: "meshwasm test",
          start: `meshwasm run ${name}`,
        };
        // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, without a package.json no script is there, so the loop below sets changed anyway
        let changed = project.packageJson === undefined;
        for (const [script, command] of Object.entries(wanted)) {
          // npm init's placeholder test script is replaced; anything the user wrote is kept.
          // Stryker disable next-line StringLiteral: equivalent, the fallback is read only when there is no test script, which is replaced anyway
          const placeholder = script === "test" && /no test specified/.test(scripts.test ?? "");
          if (scripts[script] === undefined || placeholder) {
            scripts[script] = command;
            changed = true;
          }
        }
        pkg.scripts = scripts;
        // Stryker disable next-line ConditionalExpression: equivalent for `true`, a default folder is always listed already, so nothing is added (the `false` form, which a test kills, goes with it)
        if (!(DEFAULT_FILTER_DIRS as readonly string[]).includes(parent)) {
          const listed = project.filterDirs;
          if (!listed.includes(parent)) {
            pkg.meshwasm = {
              ...(pkg.meshwasm ?? {}),
              filterDirs: [
                ...listed.filter((d) => !(DEFAULT_FILTER_DIRS as readonly string[]).includes(d)),
                parent,
              ],
            };
            changed = true;
          }
        }
        if (changed) {
          writeFileSync(pkgPath, `${JSON.stringify(pkg, null, 2)}\n`);
          updated.push("package.json");
        }
        // Any config vitest itself would load (vitest.config.* before vite.config.*): a second
        // one written beside a user's would take its place.
        const hasVitestConfig = ["vitest.config", "vite.config"]
          .flatMap((base) => CONFIG_EXTENSIONS.map((ext) => `${base}.${ext}`))
          .some((f) => existsSync(join(project.root, f)));
        if (!hasVitestConfig) write(join(project.root, VITEST_CONFIG_FILE), VITEST_CONFIG);
        if (!existsSync(join(project.root, ".gitignore")))
          write(join(project.root, ".gitignore"), GITIGNORE);
      } else if (!(DEFAULT_FILTER_DIRS as readonly string[]).includes(parent)) {
        out.warn(
          `${parent}/ is not searched for filters in this repository; use --dir filters or --dir examples`,
        );
      }

      const cli = inRepo ? "npm run meshwasm --" : "npx meshwasm";
      const next = [`${cli} test`, `${cli} run ${name}`];
      if (opts.json) {
        out.result({ name, folder: posix(project.rel(folder)), created, updated, next });
        return;
      }
      out.ok(`created ${posix(project.rel(folder))}/`);
      for (const file of created) out.detail(`  ${file}`);
      for (const file of updated) out.detail(`  ${file} (scripts)`);
      out.line("\nNext:");
      out.line(`  ${next[0]}            build it and run its tests`);
      out.line(`  ${next[1]}   serve it in Envoy at http://127.0.0.1:10000`);
    });
}

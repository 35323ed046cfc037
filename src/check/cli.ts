// `tsx src/check/cli.ts [files or directories...]` (default: build/)
//
// Runs the module-surface check on every .wasm file given or found (recursively) in the given
// directories. Prints one line per module, then its errors and warnings indented; exits 1 when
// any module has an error, when a path is missing, or when no module is found.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { checkModule } from "./surface.ts";

/** The .wasm files named in `paths` or found below the directories among them, sorted. */
export function collectWasmFiles(paths: readonly string[]): { files: string[]; missing: string[] } {
  const files: string[] = [];
  const missing: string[] = [];
  const walk = (path: string): void => {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) missing.push(path);
    else if (stat.isDirectory()) {
      for (const entry of readdirSync(path).sort()) {
        const child = join(path, entry);
        if (entry.endsWith(".wasm") || statSync(child).isDirectory()) walk(child);
      }
    } else files.push(path);
  };
  for (const path of paths) walk(path);
  return { files, missing };
}

/** Runs the check over `args` and writes the report through `print`; returns the exit code. */
export function runCli(args: readonly string[], print: (line: string) => void): number {
  const paths = args.length ? args : ["build"];
  const { files, missing } = collectWasmFiles(paths);
  let failed = 0;
  for (const path of missing) print(`FAIL  ${path}  no such file or directory`);
  if (!files.length && !missing.length) {
    print(`FAIL  no .wasm modules found in ${paths.join(", ")}`);
    return 1;
  }
  for (const file of files) {
    const bytes = readFileSync(file);
    const report = checkModule(bytes);
    print(
      `${report.ok ? "ok  " : "FAIL"}  ${file}  ${bytes.length} bytes  ` +
        `${report.imports.length} imports  ${report.exports.length} exports`,
    );
    for (const error of report.errors) print(`      error: ${error}`);
    for (const warning of report.warnings) print(`      warning: ${warning}`);
    if (!report.ok) failed++;
  }
  if (failed) print(`${failed} of ${files.length} modules failed the surface check`);
  return failed || missing.length ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = runCli(process.argv.slice(2), (line) => console.log(line));
}

// `meshwasm check <file.wasm...>`: the module check, what Envoy would refuse before it does.

import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { Command } from "commander";
import { collectWasmFiles } from "../../check/cli.ts";
import { checkModule } from "../../check/surface.ts";
import type { CliContext } from "../context.ts";
import { ExitCode, usageError } from "../errors.ts";

export default function checkCommand(ctx: CliContext): Command {
  return new Command("check")
    .description(
      "check compiled modules: imports Envoy provides, the exports it needs, the ABI version",
    )
    .argument("<file...>", ".wasm files or folders holding them")
    .option("--json", "print the reports as JSON", false)
    .addHelpText(
      "after",
      "\nExamples:\n  meshwasm check build/my-filter.wasm\n  meshwasm check build --json",
    )
    .action((paths: string[], opts: { json: boolean }) => {
      const { out } = ctx;
      out.setJson(opts.json);
      const { files, missing } = collectWasmFiles(paths.map((p) => resolve(ctx.cwd, p)));
      if (missing.length > 0) {
        throw usageError(
          `no such file or folder: ${missing.join(", ")}`,
          "build first with `meshwasm build`",
        );
      }
      if (files.length === 0) throw usageError(`no .wasm modules in ${paths.join(", ")}`);
      const reports = files.map((file) => {
        const bytes = readFileSync(file);
        const report = checkModule(bytes);
        return {
          file:
            paths.length === 1 && statSync(resolve(ctx.cwd, paths[0] as string)).isFile()
              ? (paths[0] as string)
              : file,
          ok: report.ok,
          bytes: bytes.length,
          imports: report.imports.length,
          exports: report.exports.length,
          errors: report.errors,
          warnings: report.warnings,
        };
      });
      for (const r of reports) {
        const mark = r.ok ? out.c.green("ok  ") : out.c.red("FAIL");
        out.line(
          `${mark}  ${r.file}  ${r.bytes} bytes, ${r.imports} imports, ${r.exports} exports`,
        );
        for (const e of r.errors) out.line(`      ${out.c.red(`error: ${e}`)}`);
        for (const w of r.warnings) out.line(`      ${out.c.yellow(`warning: ${w}`)}`);
      }
      if (opts.json) out.result({ ok: reports.every((r) => r.ok), modules: reports });
      if (reports.some((r) => !r.ok)) process.exitCode = ExitCode.Failed;
    });
}

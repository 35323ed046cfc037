// `meshwasm package <filter|file.wasm>`: an OCI image layout of the built module, without Docker.

import { Command, Option } from "commander";
import { packageCommand } from "../../ship/commands.ts";
import { PACKAGE_FORMATS } from "../../ship/oci.ts";
import type { CliContext } from "../context.ts";
import { shipAction } from "./ship-action.ts";

export default function packageCmd(ctx: CliContext): Command {
  return new Command("package")
    .description(
      "package a built filter as an OCI image (no Docker); prints the image digest and the module's sha256",
    )
    .argument("<filter>", "a filter name (its build/<name>.wasm) or a .wasm path")
    .addOption(
      new Option("--format <format>", "image layout format")
        .choices([...PACKAGE_FORMATS])
        .default("image"),
    )
    .option(
      "--out <dir|file.tar>",
      "where to write the layout (default: the project's build/oci/<name>-<format>)",
    )
    .option("--tag <tag>", "the tag recorded in the layout", "latest")
    .addHelpText(
      "after",
      "\nExamples:\n  meshwasm package hello\n  meshwasm package hello --format artifact --tag 1.0.0 --out hello.tar",
    )
    .action(async (target: string, opts: { format: string; out?: string; tag: string }) => {
      const text = await shipAction(() =>
        packageCommand(target, opts, ctx.project().root, ctx.cwd),
      );
      ctx.out.line(text);
    });
}

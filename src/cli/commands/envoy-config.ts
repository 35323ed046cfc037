// `meshwasm envoy-config <filter...>`: the Envoy http_filters entries that run the filters.

import { Command, Option } from "commander";
import {
  type EnvoyConfigCommandOptions,
  envoyConfigCommand,
  writeComposeConfig,
} from "../../ship/commands.ts";
import { FAILURE_POLICIES } from "../../ship/filters.ts";
import type { CliContext } from "../context.ts";
import { shipAction } from "./ship-action.ts";

export default function envoyConfigCmd(ctx: CliContext): Command {
  return new Command("envoy-config")
    .description(
      "print the Envoy HTTP filter entries for filters (a local file, or a remote URL pinned by sha256)",
    )
    .argument("[filter...]", "filters, in chain order")
    .option(
      "--path-prefix <dir>",
      "the folder holding the modules on the proxy (default: this project's build/)",
    )
    .option(
      "--url-prefix <url>",
      "fetch the modules from <url>/<name>.wasm instead (remote code, sha256 pinned)",
    )
    .option("--cluster <name>", "the cluster that reaches --url-prefix's host", "wasm_modules")
    .addOption(
      new Option("--failure-policy <policy>", "default: the filter's envoy.yaml").choices([
        ...FAILURE_POLICIES,
      ]),
    )
    .option("--allow-fail-open", "allow FAIL_OPEN on a filter that fails closed", false)
    .option("--config <file>", "plugin configuration (JSON file; one filter only)")
    .option("--config-json <json>", "plugin configuration as inline JSON (one filter only)")
    .option(
      "--compose",
      "write envoy/compose/envoy.yaml for the filters (default hello) instead",
      false,
    )
    .addHelpText(
      "after",
      "\nExamples:\n  meshwasm envoy-config hello --path-prefix /etc/envoy/modules\n  meshwasm envoy-config hello --url-prefix https://files.example.com/wasm",
    )
    .action(async (names: string[], opts: EnvoyConfigCommandOptions & { compose: boolean }) => {
      const root = ctx.project().root;
      const text = await shipAction(() =>
        opts.compose
          ? writeComposeConfig(names, root)
          : envoyConfigCommand(names, opts, root, ctx.cwd),
      );
      ctx.out.line(text);
    });
}

// `meshwasm push <layout> <registry/repository[:tag]>`: a packaged layout to any OCI registry (skopeo).

import { resolve } from "node:path";
import { Command } from "commander";
import { pushLayout } from "../../ship/push.ts";
import type { CliContext } from "../context.ts";
import { shipAction } from "./ship-action.ts";

export default function pushCmd(ctx: CliContext): Command {
  return new Command("push")
    .description(
      "push a layout written by `meshwasm package` to an OCI registry, digests preserved (runs skopeo)",
    )
    .argument("<layout>", "the layout folder")
    .argument("<reference>", "registry/repository[:tag]; the tag defaults to the layout's")
    .option("--insecure", "plain HTTP or unverified TLS (a registry on localhost)", false)
    .option(
      "--creds <user:password>",
      "registry credentials (default: skopeo's and docker's login files)",
    )
    .option("--tag <tag>", "which of the layout's tags to push, when it holds several")
    .addHelpText(
      "after",
      "\nExamples:\n  meshwasm push build/oci/hello-image registry.example.com/acme/hello:1.0.0\n  meshwasm push build/oci/hello-image localhost:5000/hello:dev --insecure",
    )
    .action(
      async (
        layout: string,
        reference: string,
        opts: { insecure: boolean; creds?: string; tag?: string },
      ) => {
        const result = await shipAction(() =>
          pushLayout({
            layout: resolve(ctx.cwd, layout),
            reference,
            insecure: opts.insecure,
            credentials: opts.creds,
            tag: opts.tag,
          }),
        );
        ctx.out.line(`pushed ${result.reference}\ndigest ${result.digest}`);
      },
    );
}

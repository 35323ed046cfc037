// `meshwasm manifest <filter> --image <ref>`: Istio TrafficExtension / WasmPlugin and Envoy
// Gateway EnvoyExtensionPolicy, sha256 pinned, failure strategy explicit.

import { Command, Option } from "commander";
import {
  type ManifestCommandOptions,
  manifestCommand,
  writeExamples,
} from "../../ship/commands.ts";
import { FAILURE_POLICIES } from "../../ship/filters.ts";
import { MANIFEST_KINDS } from "../../ship/manifests.ts";
import { PACKAGE_FORMATS } from "../../ship/oci.ts";
import type { CliContext } from "../context.ts";
import { usageError } from "../errors.ts";
import { shipAction } from "./ship-action.ts";

const collect = (value: string, previous: string[] = []) => [...previous, value];

export default function manifestCmd(ctx: CliContext): Command {
  return new Command("manifest")
    .description("Kubernetes manifests for Istio and Envoy Gateway, the code pinned by sha256")
    .argument("[filter]", "the filter")
    .option(
      "--image <ref>",
      "registry/repository:tag (an OCI image) or an http(s) URL of the module",
    )
    .addOption(
      new Option(
        "--kind <kind>",
        `${MANIFEST_KINDS.join(", ")} (default the first); repeatable`,
      ).argParser(collect),
    )
    .option(
      "--digest <sha256:hex>",
      "the image digest (default: computed by packaging build/<filter>.wasm)",
    )
    .option("--layout <dir>", "take the image digest from this layout")
    .addOption(
      new Option("--format <format>", "format the digest is computed for")
        .choices([...PACKAGE_FORMATS])
        .default("image"),
    )
    .option("--config <file>", "plugin configuration (JSON file; default: the filter's envoy.yaml)")
    .option("--config-json <json>", "plugin configuration as inline JSON")
    .option("--selector <k=v,...>", "workload labels (Istio sidecars)")
    .option(
      "--target-ref <Kind/name>",
      "Gateway/eg, HTTPRoute/api, Service/x (waypoints); repeatable",
      collect,
    )
    .option("--namespace <ns>", "metadata.namespace")
    .option("--name <name>", "metadata.name (default: the filter's name)")
    .addOption(new Option("--phase <phase>", "Istio phase").choices(["AUTHN", "AUTHZ", "STATS"]))
    .option("--priority <n>", "Istio priority within the phase (higher first)")
    .addOption(
      new Option("--failure-policy <policy>", "default: the filter's envoy.yaml").choices([
        ...FAILURE_POLICIES,
      ]),
    )
    .option("--allow-fail-open", "allow FAIL_OPEN on a filter that fails closed", false)
    .option("--pull-secret <name>", "docker-registry Secret in the same namespace")
    .option(
      "--examples",
      "rewrite envoy/istio, envoy/gateway and envoy/compose/envoy.yaml for every filter",
      false,
    )
    .addHelpText(
      "after",
      "\nExamples:\n  meshwasm manifest hello --image registry.example.com/acme/hello:1.0.0 --selector app=backend\n  meshwasm manifest hello --image registry.example.com/acme/hello:1.0.0 --kind EnvoyExtensionPolicy --target-ref Gateway/eg",
    )
    .action(
      async (filter: string | undefined, opts: ManifestCommandOptions & { examples: boolean }) => {
        const root = ctx.project().root;
        if (opts.examples) {
          ctx.out.line(await shipAction(() => writeExamples(root)));
          return;
        }
        if (filter === undefined)
          throw usageError("manifest: name a filter", "e.g. meshwasm manifest hello --image …");
        ctx.out.line(await shipAction(() => manifestCommand(filter, opts, root, ctx.cwd)));
      },
    );
}

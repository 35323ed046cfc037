// `meshwasm envoy setup|version`: the pinned Envoy, installed into the user-level cache.

import { Command } from "commander";
import { envoyBinary, envoyVersion, pinnedEnvoyVersion } from "../../envoy/binary.ts";
import { cacheDir, cachedEnvoyPath } from "../../envoy/cache.ts";
import { EnvoyInstallError, installEnvoy } from "../../envoy/install.ts";
import type { CliContext } from "../context.ts";
import { CliError, ExitCode } from "../errors.ts";

export interface EnvoyInfo {
  /** The binary that runs. */
  path: string;
  /** Its version, e.g. "1.40.0". */
  version: string;
  pinned: string;
  /** "ENVOY_BIN" or "cache". */
  source: "ENVOY_BIN" | "cache";
}

/**
 * The Envoy to run: `ENVOY_BIN`, or the pinned one from the cache, installed there first when
 * missing (with progress). Commands that start Envoy call this.
 */
export async function ensureEnvoy(ctx: CliContext): Promise<EnvoyInfo> {
  const pinned = pinnedEnvoyVersion();
  if (ctx.env.ENVOY_BIN) {
    try {
      return {
        path: envoyBinary(ctx.env),
        version: envoyVersion(ctx.env),
        pinned,
        source: "ENVOY_BIN",
      };
    } catch (error) {
      throw new CliError((error as Error).message, {
        exitCode: ExitCode.Environment,
        hint: "point ENVOY_BIN at an Envoy binary with the V8 runtime, or unset it to use the pinned Envoy",
      });
    }
  }
  const target = cachedEnvoyPath(pinned, ctx.env);
  let progress: ReturnType<CliContext["out"]["progress"]> | undefined;
  try {
    const result = await installEnvoy({
      env: ctx.env,
      onProgress: (line) => {
        progress ??= ctx.out.progress(`installing Envoy ${pinned} into ${cacheDir(ctx.env)}`);
        progress.update(line.length > 60 ? `${line.slice(0, 57)}...` : line);
      },
    });
    if (result.installed) {
      progress ??= ctx.out.progress(`installing Envoy ${pinned}`);
      progress.done(`installed Envoy ${pinned} at ${result.path}`);
    }
  } catch (error) {
    progress?.fail(`installing Envoy ${pinned} failed`);
    if (error instanceof EnvoyInstallError) {
      throw new CliError(error.message, { exitCode: ExitCode.Environment, hint: error.hint });
    }
    throw error;
  }
  return { path: target, version: envoyVersion(ctx.env), pinned, source: "cache" };
}

export default function envoyCommand(ctx: CliContext): Command {
  const envoy = new Command("envoy").description(
    "the pinned Envoy (installed into ~/.cache/meshwasm; ENVOY_BIN overrides)",
  );
  envoy
    .command("setup")
    .description("install the pinned Envoy into the user cache (nothing happens if it is there)")
    .option("--json", "print the result as JSON", false)
    .addHelpText("after", "\nExample:\n  meshwasm envoy setup")
    .action(async (opts: { json: boolean }) => {
      ctx.out.setJson(opts.json);
      const info = await ensureEnvoy(ctx);
      if (opts.json) ctx.out.result(info);
      else ctx.out.ok(`Envoy ${info.version} ready: ${info.path}`);
    });
  envoy
    .command("version")
    .description("print the version and path of the Envoy that meshwasm runs")
    .option("--json", "print the result as JSON", false)
    .addHelpText("after", "\nExample:\n  meshwasm envoy version --json")
    .action((opts: { json: boolean }) => {
      ctx.out.setJson(opts.json);
      const pinned = pinnedEnvoyVersion();
      let info: EnvoyInfo;
      try {
        info = {
          path: envoyBinary(ctx.env),
          version: envoyVersion(ctx.env),
          pinned,
          source: ctx.env.ENVOY_BIN ? "ENVOY_BIN" : "cache",
        };
      } catch (error) {
        throw new CliError((error as Error).message, {
          exitCode: ExitCode.Environment,
          hint: ctx.env.ENVOY_BIN
            ? "point ENVOY_BIN at an Envoy binary, or unset it"
            : "install it with `meshwasm envoy setup`",
        });
      }
      if (opts.json) ctx.out.result(info);
      else {
        ctx.out.line(
          `Envoy ${info.version} (${info.source === "cache" ? "pinned" : "ENVOY_BIN"}) ${info.path}`,
        );
        if (info.version !== pinned) ctx.out.warn(`meshwasm is tested with Envoy ${pinned}`);
      }
    });
  envoy
    .command("path")
    .description(
      "print only the path of the Envoy binary (for scripts: $(meshwasm envoy path) -c envoy.yaml)",
    )
    .addHelpText(
      "after",
      '\nExample:\n  meshwasm envoy path      the binary, for scripts: "$(npx meshwasm envoy path)" -c envoy.yaml',
    )
    .action(() => {
      try {
        ctx.out.raw("stdout", `${envoyBinary(ctx.env)}\n`);
      } catch (error) {
        throw new CliError((error as Error).message, {
          exitCode: ExitCode.Environment,
          hint: "install it with `meshwasm envoy setup`",
        });
      }
    });
  return envoy;
}

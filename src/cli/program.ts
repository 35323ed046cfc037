/**
 * The `meshwasm` command line: commander parses it (subcommands, typed options, generated
 * help, suggestions for typos) and `run` maps every outcome to an exit code (see errors.ts).
 */
import { Command, CommanderError } from "commander";
import { commands } from "./commands/index.ts";
import { type CliContext, createContext } from "./context.ts";
import { CliError, ExitCode } from "./errors.ts";
import { Output } from "./output.ts";
import { packageVersion } from "./project.ts";

/** Output through `ctx.out`, errors as exceptions (mapped to exit codes by `run`), typo hints;
 *  applied to every (sub)command, because `addCommand` does not pass settings down. */
function configure(command: Command, ctx: CliContext): void {
  command
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => ctx.out.raw("stdout", s),
      writeErr: (s) => ctx.out.raw("stderr", s),
    })
    .exitOverride();
  for (const sub of command.commands) configure(sub, ctx);
}

export function createProgram(ctx: CliContext): Command {
  const program = new Command("meshwasm")
    .description("build, test and run Envoy/Istio HTTP filters written in AssemblyScript")
    .version(packageVersion(), "-v, --version");
  for (const factory of commands) program.addCommand(factory(ctx));
  configure(program, ctx);
  return program;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  out?: Output;
  /** Stops a long-running command (`run`) as Ctrl-C would. */
  signal?: AbortSignal;
}

/** Runs the CLI with `argv` (without node and script) and resolves with the exit code. */
export async function run(argv: readonly string[], options: RunOptions = {}): Promise<number> {
  const out = options.out ?? new Output();
  const ctx = createContext(
    out,
    options.cwd ?? process.cwd(),
    options.env ?? process.env,
    argv,
    options.signal,
  );
  const program = createProgram(ctx);
  process.exitCode = undefined;
  try {
    await program.parseAsync([...argv], { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : ExitCode.Ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version end with exit code 0; parse errors were already printed.
      return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    if (error instanceof CliError) {
      out.error(error.message, error.hint);
      return error.exitCode;
    }
    out.error(`meshwasm failed unexpectedly: ${(error as Error).stack ?? String(error)}`);
    return ExitCode.Internal;
  } finally {
    process.exitCode = undefined;
  }
}

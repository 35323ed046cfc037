/**
 * What the CLI's exit codes mean, and the error type commands throw to end with one.
 *
 * A `CliError` carries the message, the next step for the user (`hint`) and the exit code;
 * `main.ts` prints the first two and exits with the third. Anything else thrown is a bug and
 * exits with `ExitCode.Internal` after printing its stack.
 */

/** Exit codes of `meshwasm`; scripts may rely on them. */
export const ExitCode = {
  /** Everything asked for worked. */
  Ok: 0,
  /** The work ran and failed: a compile error, a failed module check, a failing test. */
  Failed: 1,
  /** The command line was wrong: unknown option, unknown filter, a name that is taken. */
  Usage: 2,
  /** Something the command needs is missing: Envoy, Python/pip, vitest, AssemblyScript. */
  Environment: 3,
  /** Interrupted by Ctrl-C (128 + SIGINT). */
  Interrupted: 130,
  /** A bug in meshwasm itself. */
  Internal: 70,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An error that ends the command with `exitCode`, printing `message` and then `hint`. */
export class CliError extends Error {
  readonly exitCode: ExitCodeValue;
  readonly hint: string | undefined;

  constructor(message: string, options: { exitCode?: ExitCodeValue; hint?: string } = {}) {
    super(message);
    this.name = "CliError";
    this.exitCode = options.exitCode ?? ExitCode.Failed;
    this.hint = options.hint;
  }
}

/** A usage mistake (exit 2): `usageError("unknown filter \"x\"", "known: a, b")`. */
export function usageError(message: string, hint?: string): CliError {
  return new CliError(message, { exitCode: ExitCode.Usage, ...(hint ? { hint } : {}) });
}

// The shipping commands' errors as the CLI's exit codes: a push the registry refused is a
// failure (1), a missing skopeo an environment problem (3), anything else the shipping code
// throws is a mistake in the input, named with its flag and value (2).

import { MissingToolError, PushError } from "../../ship/push.ts";
import { CliError, ExitCode } from "../errors.ts";

export function shipError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  const message = (error as Error).message;
  if (error instanceof MissingToolError) {
    return new CliError(message, {
      exitCode: ExitCode.Environment,
      hint: "install skopeo, then push again",
    });
  }
  if (error instanceof PushError) {
    return new CliError(message, {
      hint: "check the reference, your registry login (skopeo login) and --insecure for plain HTTP",
    });
  }
  return new CliError(message, {
    exitCode: ExitCode.Usage,
    hint: "`meshwasm <command> --help` lists the options",
  });
}

/** Runs a shipping action, turning its errors into CliErrors. */
export async function shipAction<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw shipError(error);
  }
}

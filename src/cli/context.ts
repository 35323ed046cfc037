/**
 * What every command gets: where it runs and how it prints.
 *
 * Commands live one per module in `commands/`, each exporting a factory
 * `(ctx: CliContext) => Command`; `commands/index.ts` lists them in help order.
 */
import type { Output } from "./output.ts";
import { Project } from "./project.ts";

export interface CliContext {
  out: Output;
  /** The working directory the command was started in. */
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The project around `cwd` (looked up when first asked for). */
  project(): Project;
  /** The arguments as given, for commands that pass what follows `--` on (`meshwasm test`). */
  argv: readonly string[];
  /** Aborted to stop a long-running command the way Ctrl-C does (tests, embedders). */
  signal?: AbortSignal;
}

export function createContext(
  out: Output,
  cwd: string,
  env: NodeJS.ProcessEnv,
  argv: readonly string[] = [],
  signal?: AbortSignal,
): CliContext {
  let project: Project | undefined;
  return {
    out,
    cwd,
    env,
    argv,
    ...(signal ? { signal } : {}),
    project: () => {
      project ??= Project.find(cwd);
      return project;
    },
  };
}

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
}

export function createContext(out: Output, cwd: string, env: NodeJS.ProcessEnv): CliContext {
  let project: Project | undefined;
  return {
    out,
    cwd,
    env,
    project: () => {
      project ??= Project.find(cwd);
      return project;
    },
  };
}

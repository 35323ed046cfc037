// Runs the meshwasm CLI in-process with captured output, for the CLI tests.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { Writable } from "node:stream";
import { Output } from "../../src/cli/output.ts";
import { run } from "../../src/cli/program.ts";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function sink(onText?: (text: string) => void): { stream: Writable; text: () => string } {
  let text = "";
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      onText?.(String(chunk));
      done();
    },
  });
  return { stream, text: () => text };
}

/** `meshwasm <args>` in `cwd`, with `env` layered over process.env. */
export async function cli(
  args: string[],
  options: {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    signal?: AbortSignal;
    /** Sees stdout as it is written (for long-running commands). */
    onStdout?: (text: string) => void;
  } = {},
): Promise<CliRun> {
  const stdout = sink(options.onStdout);
  const stderr = sink();
  const env = { ...process.env, NO_COLOR: "1", ...options.env };
  const out = new Output({ stdout: stdout.stream, stderr: stderr.stream }, env);
  const code = await run(args, {
    cwd: options.cwd ?? process.cwd(),
    env,
    out,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** A temporary project depending on this checkout (node_modules/meshwasm is a link). */
export function tempProject(files: Record<string, string> = {}): {
  dir: string;
  remove: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), "meshwasm-cli-"));
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(resolve("."), join(dir, "node_modules", "meshwasm"), "dir");
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "user-project", private: true }));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

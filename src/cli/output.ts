/**
 * Everything the CLI prints goes through one `Output`.
 *
 * - Colour only when the stream is a terminal (and `NO_COLOR` is unset), via picocolors.
 * - With `--json`, stdout carries only the JSON result; human lines move to stderr, so
 *   `meshwasm build --json | jq` always parses.
 * - Long steps show progress: a spinner with elapsed time on a terminal (nanospinner), one
 *   line when they start and one when they end otherwise (CI logs stay readable).
 */
import { createSpinner } from "nanospinner";
import { createColors } from "picocolors";

type Colors = ReturnType<typeof createColors>;

export interface OutputStreams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** One long step; end it with `done` or `fail` exactly once. */
export interface Progress {
  update(text: string): void;
  done(text: string): void;
  fail(text: string): void;
}

function colorAllowed(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0") return true;
  return stream.isTTY === true;
}

export class Output {
  /** Colours for stdout lines (no-ops when stdout is not a terminal). */
  readonly c: Colors;
  private readonly ce: Colors;
  private jsonMode = false;

  constructor(
    private readonly streams: OutputStreams = { stdout: process.stdout, stderr: process.stderr },
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.c = createColors(colorAllowed(streams.stdout, env));
    this.ce = createColors(colorAllowed(streams.stderr, env));
  }

  /** Switches to JSON mode: `json()` owns stdout, human lines go to stderr. */
  setJson(on: boolean): void {
    this.jsonMode = on;
  }

  get json(): boolean {
    return this.jsonMode;
  }

  /** A line for people (stdout, or stderr in JSON mode). */
  line(text = ""): void {
    this.write(this.jsonMode ? this.streams.stderr : this.streams.stdout, text);
  }

  /** A secondary line (dimmed on a terminal). */
  detail(text: string): void {
    this.line(this.jsonMode ? text : this.c.dim(text));
  }

  /** A success line (green tick on a terminal). */
  ok(text: string): void {
    this.line(this.jsonMode ? text : `${this.c.green("✔")} ${text}`);
  }

  warn(text: string): void {
    this.write(this.streams.stderr, `${this.ce.yellow("warning:")} ${text}`);
  }

  /** An error and, on its own line, what to do about it. */
  error(text: string, hint?: string): void {
    this.write(this.streams.stderr, `${this.ce.red("error:")} ${text}`);
    if (hint) this.write(this.streams.stderr, `${this.ce.dim("hint:")} ${hint}`);
  }

  /** Writes one JSON document to stdout (the machine-readable result). */
  result(value: unknown): void {
    this.write(this.streams.stdout, JSON.stringify(value, null, 2));
  }

  /** Writes one JSON object as a single line to stdout (streams such as `run --json`). */
  event(value: unknown): void {
    this.write(this.streams.stdout, JSON.stringify(value));
  }

  /** Starts a long step: a spinner on a terminal, a plain start line otherwise. */
  progress(text: string): Progress {
    const stream = this.jsonMode ? this.streams.stderr : this.streams.stdout;
    const started = Date.now();
    const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
    // nanospinner counts the lines it drew by the terminal's width: a terminal of 0 columns (a
    // pseudo-terminal nobody sized) would have it erase lines forever, so it gets plain lines.
    const width = (stream as { columns?: number }).columns;
    if (stream.isTTY === true && this.env.CI === undefined && width !== 0) {
      const spinner = createSpinner(text, { stream: stream as NodeJS.WriteStream }).start();
      return {
        update: (t) => spinner.update({ text: `${t} (${elapsed()})` }),
        done: (t) => spinner.success({ text: `${t} (${elapsed()})` }),
        fail: (t) => spinner.error({ text: `${t} (${elapsed()})` }),
      };
    }
    this.write(stream, `${text} ...`);
    return {
      update: () => {},
      done: (t) => this.write(stream, `${t} (${elapsed()})`),
      fail: (t) => this.write(this.streams.stderr, `${t} (${elapsed()})`),
    };
  }

  /** Raw text to stdout or stderr (commander's help and usage errors). */
  raw(to: "stdout" | "stderr", text: string): void {
    this.streams[to].write(text);
  }

  private write(stream: NodeJS.WritableStream, text: string): void {
    stream.write(`${text}\n`);
  }
}

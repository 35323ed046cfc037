// What the CLI prints: colour only on a terminal, JSON mode keeps stdout for JSON.
import { Writable } from "node:stream";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Output } from "../../src/cli/output.ts";

function stream(isTTY: boolean): Writable & { isTTY: boolean; text: string } {
  const s = new Writable({
    write(chunk, _encoding, done) {
      s.text += String(chunk);
      done();
    },
  }) as Writable & { isTTY: boolean; text: string };
  s.isTTY = isTTY;
  s.text = "";
  return s;
}

const ESC = "\u001b[";

describe("Output", () => {
  it("writes no colour codes when stdout is not a terminal", () => {
    const stdout = stream(false);
    const stderr = stream(false);
    const out = new Output({ stdout, stderr }, {});
    out.ok("built");
    out.error("broken", "fix it");
    expect(stdout.text).toBe("✔ built\n");
    expect(stderr.text).toBe("error: broken\nhint: fix it\n");
  });

  it("colours on a terminal, unless NO_COLOR is set", () => {
    const tty = stream(true);
    new Output({ stdout: tty, stderr: stream(true) }, {}).ok("built");
    expect(tty.text).toContain(ESC);
    const plain = stream(true);
    new Output({ stdout: plain, stderr: stream(true) }, { NO_COLOR: "1" }).ok("built");
    expect(plain.text).not.toContain(ESC);
  });

  it("keeps stdout for JSON in JSON mode: people's lines and progress go to stderr", () => {
    const stdout = stream(false);
    const stderr = stream(false);
    const out = new Output({ stdout, stderr }, {});
    out.setJson(true);
    const progress = out.progress("building");
    progress.done("built");
    out.line("a line for people");
    out.result({ ok: true });
    expect(JSON.parse(stdout.text)).toEqual({ ok: true });
    expect(stderr.text).toMatch(/^building \.\.\.\nbuilt \(\d+\.\d s\)\na line for people\n$/);
  });
});

describe("Output, line by line", () => {
  it("decides colour per stream: NO_COLOR (unless empty) over FORCE_COLOR (unless 0) over the terminal", () => {
    const coloured = (isTTY: boolean, env: NodeJS.ProcessEnv) => {
      const stdout = stream(isTTY);
      const stderr = stream(!isTTY);
      const out = new Output({ stdout, stderr }, env);
      out.ok("x");
      out.warn("y");
      return [stdout.text.includes(ESC), stderr.text.includes(ESC)];
    };
    expect(coloured(false, {})).toEqual([false, true]);
    expect(coloured(true, {})).toEqual([true, false]);
    expect(coloured(true, { NO_COLOR: "" })).toEqual([true, false]);
    expect(coloured(true, { NO_COLOR: "0" })).toEqual([false, false]);
    expect(coloured(false, { FORCE_COLOR: "1" })).toEqual([true, true]);
    expect(coloured(false, { FORCE_COLOR: "" })).toEqual([true, true]);
    expect(coloured(true, { FORCE_COLOR: "0" })).toEqual([true, false]);
    expect(coloured(false, { FORCE_COLOR: "1", NO_COLOR: "1" })).toEqual([false, false]);
  });

  it("writes each kind of line to its stream, plain when not a terminal", () => {
    const stdout = stream(false);
    const stderr = stream(false);
    const out = new Output({ stdout, stderr }, {});
    expect(out.json).toBe(false);
    out.line();
    out.line("plain");
    out.detail("aside");
    out.warn("careful");
    out.error("no hint");
    out.error("empty hint", "");
    out.event({ a: 1, b: [2] });
    out.result({ a: 1 });
    out.raw("stdout", "raw-out");
    out.raw("stderr", "raw-err");
    expect(stdout.text).toBe('\nplain\naside\n{"a":1,"b":[2]}\n{\n  "a": 1\n}\nraw-out');
    expect(stderr.text).toBe("warning: careful\nerror: no hint\nerror: empty hint\nraw-err");
  });

  it("keeps detail and ok lines plain in JSON mode, on stderr", () => {
    const stdout = stream(true);
    const stderr = stream(false);
    const out = new Output({ stdout, stderr }, { FORCE_COLOR: "1" });
    out.setJson(true);
    expect(out.json).toBe(true);
    out.detail("aside");
    out.ok("done");
    expect(stdout.text).toBe("");
    expect(stderr.text).toBe("aside\ndone\n");
    out.setJson(false);
    out.detail("dim");
    out.ok("tick");
    expect(stdout.text).toContain(`${ESC}2mdim`);
    expect(stdout.text).toContain("✔");
  });

  it("reports progress in plain lines off a terminal and in CI, a failure on stderr", () => {
    const stdout = stream(false);
    const stderr = stream(false);
    const out = new Output({ stdout, stderr }, {});
    const p = out.progress("step");
    p.update("ignored");
    p.fail("step failed");
    expect(stdout.text).toBe("step ...\n");
    expect(stderr.text).toMatch(/^step failed \(\d+\.\d s\)\n$/);
    const tty = stream(true);
    const ci = new Output({ stdout: tty, stderr: stream(false) }, { CI: "true" });
    ci.progress("in ci").done("ok");
    expect(tty.text).toMatch(/^in ci \.\.\.\nok \(\d+\.\d s\)\n$/);
    // A terminal 0 columns wide (a pseudo-terminal nobody sized): no spinner can draw there.
    const narrow = Object.assign(stream(true), { columns: 0 });
    new Output({ stdout: narrow, stderr: stream(false) }, {}).progress("narrow").done("ok");
    expect(narrow.text).toMatch(/^narrow \.\.\.\nok \(\d+\.\d s\)\n$/);
  });

  it("shows a spinner on a terminal, ending with the elapsed time", () => {
    const tty = stream(true);
    const out = new Output({ stdout: tty, stderr: stream(false) }, {});
    const p = out.progress("spinning");
    p.update("halfway");
    p.done("finished");
    expect(tty.text).not.toContain("spinning ...");
    expect(tty.text).toMatch(/finished \(\d+\.\d s\)/);
    const failing = stream(true);
    const q = new Output({ stdout: failing, stderr: stream(false) }, {}).progress("again");
    q.fail("broke");
    expect(failing.text).toMatch(/broke \(\d+\.\d s\)/);
  });
});

describe("Output's defaults and elapsed times", () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it("writes to the process's own streams by default", () => {
    const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const o = new Output(undefined, { NO_COLOR: "1" });
    o.line("to stdout");
    o.warn("to stderr");
    expect(out).toHaveBeenCalledWith("to stdout\n");
    expect(err).toHaveBeenCalledWith("warning: to stderr\n");
  });

  it("reports a step's elapsed seconds to a tenth", () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const stdout = stream(false);
    const p = new Output({ stdout, stderr: stream(false) }, {}).progress("step");
    vi.advanceTimersByTime(1_540);
    p.done("done");
    expect(stdout.text).toBe("step ...\ndone (1.5 s)\n");
  });

  it("ends the spinner with the time so far", () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const tty = stream(true);
    const p = new Output({ stdout: tty, stderr: stream(false) }, {}).progress("spinning");
    vi.advanceTimersByTime(2_500);
    p.done("finished");
    expect(tty.text).toContain("finished (2.5 s)");
  });
});

// What the CLI prints: colour only on a terminal, JSON mode keeps stdout for JSON.
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
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

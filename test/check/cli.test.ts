import { mkdirSync, mkdtempSync, type PathLike, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it, vi } from "vitest";
import { runCli } from "../../src/check/cli.ts";
import * as surface from "../../src/check/surface.ts";
import { filterModule, I32x, POLL_ONEOFF } from "./wasm-builder.ts";

// Here the file system lists a directory's entries in reverse name order: many list them in
// name order, which would hide a listing the CLI forgot to sort.
vi.mock("node:fs", async (importOriginal) => {
  const fs = await importOriginal<typeof import("node:fs")>();
  return { ...fs, readdirSync: (path: PathLike) => fs.readdirSync(path).sort().reverse() };
});

const script = fileURLToPath(new URL("../../src/check/cli.ts", import.meta.url));

/** Runs `run` on a fresh directory holding `files` (a name ending in / is a directory). */
async function withModules(
  files: Record<string, Uint8Array | null>,
  run: (dir: string) => void | Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "meshwasm-check-"));
  try {
    for (const [name, bytes] of Object.entries(files)) {
      if (bytes === null) mkdirSync(join(dir, name));
      else writeFileSync(join(dir, name), bytes);
    }
    await run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("surface check CLI", () => {
  it("prints one ok line per good module and exits 0", async () => {
    const good = filterModule().build();
    await withModules({ "hello.wasm": good, "notes.txt": new Uint8Array(1) }, (dir) => {
      const lines: string[] = [];
      expect(runCli([dir], (line) => lines.push(line))).toBe(0);
      expect(lines).toEqual([
        `ok    ${join(dir, "hello.wasm")}  ${good.length} bytes  2 imports  6 exports`,
      ]);
    });
  });

  it("prints the errors of a bad module and exits 1", async () => {
    const bad = filterModule({ imports: [{ name: "abort", params: I32x(4) }] }).build();
    await withModules({ "a.wasm": filterModule().build(), "b.wasm": bad }, (dir) => {
      const lines: string[] = [];
      expect(runCli([dir], (line) => lines.push(line))).toBe(1);
      expect(lines[1]).toMatch(/^FAIL {2}.*b\.wasm {2}\d+ bytes {2}3 imports {2}6 exports$/);
      expect(lines[2]).toContain("error: import env.abort");
      expect(lines.at(-1)).toBe("1 of 2 modules failed the surface check");
    });
  });

  it("prints the warnings of a module that passes under its line, and exits 0", async () => {
    const warned = filterModule({
      imports: [POLL_ONEOFF],
    }).build();
    await withModules({ "w.wasm": warned }, (dir) => {
      const lines: string[] = [];
      expect(runCli([dir], (line) => lines.push(line))).toBe(0);
      expect(lines).toEqual([
        `ok    ${join(dir, "w.wasm")}  ${warned.length} bytes  3 imports  6 exports`,
        "      warning: import wasi_snapshot_preview1.poll_oneoff: linked only by Envoy built " +
          "with proxy-wasm-cpp-host from 2024-12 on (#427); older Envoy and Istio releases " +
          'fail to load the module ("missing import")',
      ]);
    });
  });

  it("names a path that does not exist and exits 1, still checking the others", async () => {
    await withModules({ "a.wasm": filterModule().build() }, (dir) => {
      const lines: string[] = [];
      const gone = join(dir, "gone.wasm");
      expect(runCli([gone, dir], (line) => lines.push(line))).toBe(1);
      expect(lines[0]).toBe(`FAIL  ${gone}  no such file or directory`);
      expect(lines[1]).toMatch(/^ok {4}.*a\.wasm /);
      expect(lines).toHaveLength(2);
    });
  });

  it("checks a directory's modules in name order, whatever order the file system lists", async () => {
    const names = ["m.wasm", "z.wasm", "b.wasm", "y.wasm", "a.wasm", "k.wasm", "c.wasm", "x.wasm"];
    const module = filterModule().build();
    await withModules(Object.fromEntries(names.map((n) => [n, module])), (dir) => {
      const lines: string[] = [];
      expect(runCli([dir], (line) => lines.push(line))).toBe(0);
      expect(lines.map((l) => l.slice(6).split("  ")[0])).toEqual(
        [...names].sort().map((n) => join(dir, n)),
      );
    });
  });

  it("exits 1 when there is no module to check", async () => {
    await withModules({}, (dir) => {
      const lines: string[] = [];
      expect(runCli([dir], (line) => lines.push(line))).toBe(1);
      expect(lines).toEqual([`FAIL  no .wasm modules found in ${dir}`]);
    });
  });

  it("names every directory it searched when none holds a module", async () => {
    await withModules({ "one/": null, "two/": null }, (dir) => {
      const lines: string[] = [];
      const searched = [join(dir, "one"), join(dir, "two")];
      expect(runCli(searched, (line) => lines.push(line))).toBe(1);
      expect(lines).toEqual([`FAIL  no .wasm modules found in ${searched[0]}, ${searched[1]}`]);
    });
  });

  it("checks build/ when given no path", () => {
    const byDefault: string[] = [];
    const named: string[] = [];
    const code = runCli([], (line) => byDefault.push(line));
    expect(code).toBe(runCli(["build"], (line) => named.push(line)));
    expect(byDefault).toEqual(named);
    // Whether build/ is missing, empty or full, the first line names it.
    expect(named[0]).toContain("build");
  });

  it("runs as a script on its command line's paths, printing to stdout and setting the exit code", async () => {
    const bad = filterModule({ imports: [{ name: "abort", params: I32x(4) }] }).build();
    await withModules({ "bad.wasm": bad }, async (dir) => {
      expect(await loadAs([script, dir])).toEqual({
        printed: [
          `FAIL  ${join(dir, "bad.wasm")}  ${bad.length} bytes  3 imports  6 exports`,
          expect.stringMatching(/^ {6}error: import env\.abort: /),
          "1 of 1 modules failed the surface check",
        ],
        exitCode: 1,
      });
    });
  });

  it("checks nothing when another program imports it", async () => {
    await withModules({ "a.wasm": filterModule().build() }, async (dir) => {
      const other = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
      expect(await loadAs([other, dir])).toEqual({ printed: [], exitCode: undefined });
      expect(await loadAs([])).toEqual({ printed: [], exitCode: undefined });
    });
  });
});

/** Loads cli.ts afresh in a process whose command line names `args` after node; returns what
 *  it printed and the exit code it set. Only cli.ts runs again: surface.ts stays as this file
 *  loaded it (its tables are built once). */
async function loadAs(args: string[]): Promise<{ printed: unknown[]; exitCode: unknown }> {
  const { argv, exitCode } = process;
  const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
  try {
    process.argv = [argv[0] ?? "node", ...args];
    process.exitCode = undefined;
    vi.resetModules();
    vi.doMock("../../src/check/surface.ts", () => surface);
    await import("../../src/check/cli.ts");
    return { printed: log.mock.calls.map(([line]) => line), exitCode: process.exitCode };
  } finally {
    vi.doUnmock("../../src/check/surface.ts");
    process.argv = argv;
    process.exitCode = exitCode;
    log.mockRestore();
  }
}

// `meshwasm build` and `meshwasm check` on filters of a few lines that import the SDK's
// abort/trace/seed replacements alone: each compile takes a fraction of a second, so the
// command's own work (its lines, its JSON, its errors, the module check, --for-config, what
// is up to date) is judged without the minutes a real filter's compile takes.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { Writable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { buildOrFail, isUpToDate, noFilters } from "../../src/cli/commands/build.ts";
import { createContext } from "../../src/cli/context.ts";
import { CliError, ExitCode } from "../../src/cli/errors.ts";
import { Output } from "../../src/cli/output.ts";
import { Project } from "../../src/cli/project.ts";
import { filterModule } from "../check/wasm-builder.ts";
import { cli } from "./helpers.ts";

const REPO = resolve(".");
const scratch = mkdtempSync(join(tmpdir(), "meshwasm-cli-build-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The smallest filter the module check passes (the ABI marker, an allocator, a memory). */
const OK =
  "export function proxy_abi_version_0_2_1(): void {}\nexport function malloc(size: i32): i32 { return 0; }\n";
const SOURCES = {
  ok: OK,
  // Line 3 (4 with the import): a warning at column 23.
  warn: `${OK}@lazy export function g(): i32 { return 2; }\n`,
  // Line 2 (3 with the import): an error at column 25.
  bad: "export function proxy_abi_version_0_2_1(): void {}\nexport const big: i32 = 0xffffffffff;\n",
  // No allocator: the module check refuses it.
  nomalloc: "export function proxy_abi_version_0_2_1(): void {}\n",
  // Refuses every configuration.
  refuses: `${OK}export function proxy_on_configure(root: u32, size: u32): bool { return false; }\n`,
  // Needs every per-stream callback it has.
  needsall: `${OK}export function proxy_on_request_headers(id: u32, n: u32, end: u32): u32 { return 0; }\nexport function meshwasm_needed_callbacks(root: u32): i32 { return 511; }\n`,
} as const;
type Name = keyof typeof SOURCES;

let projects = 0;
/** A project with the named filters under filters/ (and `extra` files). */
function project(names: Name[], extra: Record<string, string> = {}): string {
  const dir = join(scratch, `p${projects++}`);
  const files: Record<string, string> = { "package.json": '{"name":"tiny"}', ...extra };
  for (const name of names) {
    const path = `filters/${name}/assembly/index.ts`;
    const panic = relative(join(dir, path, ".."), join(REPO, "assembly", "internal", "panic"));
    // The import on a line of its own before the source, so the source's lines are one down.
    files[path] = `import "${panic}";\n${SOURCES[name]}`;
  }
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

function sink() {
  let text = "";
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  return { stream, text: () => text };
}
function context(dir: string) {
  const stdout = sink();
  const stderr = sink();
  const out = new Output({ stdout: stdout.stream, stderr: stderr.stream }, { NO_COLOR: "1" });
  return { ctx: createContext(out, dir, {}), stdout: stdout.text, stderr: stderr.text };
}

describe("meshwasm build", () => {
  it("builds each filter, prints its size and time, with its warnings by file and line", async () => {
    const dir = project(["ok", "warn"]);
    const run = await cli(["build"], { cwd: dir });
    expect(run.code).toBe(ExitCode.Ok);
    const lines = run.stdout.split("\n");
    expect(lines[0]).toBe("building 2 filters (-O3, minimal runtime) ...");
    expect(lines[1]).toMatch(/^built 2 filters \(\d+\.\d s\)$/);
    expect(lines[2]).toMatch(/^ {2}ok {4}build\/ok\.wasm {23} {4}0\.\d KiB {2}[ \d]{4}\d ms$/);
    expect(lines[3]).toMatch(/^ {2}ok {4}build\/warn\.wasm {21} {4}0\.\d KiB {2}[ \d]{4}\d ms$/);
    expect(lines[4]).toBe(
      "        filters/warn/assembly/index.ts:4:23: warning TS235: Only variables, functions and enums become WebAssembly module exports.",
    );
    expect(lines.slice(5)).toStrictEqual([""]);
    expect(run.stderr).toBe("");
    const size = readFileSync(join(dir, "build", "ok.wasm")).length;
    expect(lines[2]).toContain(` ${(size / 1024).toFixed(1)} KiB`);
  });

  it("names compile errors by file and line and the module check's refusal, and exits 1", async () => {
    const dir = project(["bad", "nomalloc"]);
    const run = await cli(["build"], { cwd: dir });
    expect(run.code).toBe(ExitCode.Failed);
    const lines = run.stdout.split("\n");
    expect(lines[0]).toBe("building 2 filters (-O3, minimal runtime) ...");
    expect(lines[1]).toBe(`  FAIL  ${"build/bad.wasm".padEnd(36)}`);
    expect(lines[2]).toBe(
      "        filters/bad/assembly/index.ts:3:25: error TS200: Conversion from type 'i64' to 'i32' requires an explicit cast.",
    );
    expect(lines[3]).toMatch(
      /^ {2}FAIL {2}build\/nomalloc\.wasm {17} {4}0\.\d KiB {2}[ \d]{4}\d ms$/,
    );
    expect(lines[4]).toMatch(/^ {8}build\/nomalloc\.wasm: module check: .*malloc/);
    expect(run.stderr).toMatch(/^2 of 2 failed to build \(\d+\.\d s\)\n$/);
  });

  it("gives the results as JSON, with the options' presets, runtime, folder and files", async () => {
    const dir = project(["ok", "warn"]);
    const run = await cli(
      [
        "build",
        "warn",
        "--json",
        "-O",
        "none",
        "--runtime",
        "stub",
        "--out",
        "dist",
        "--text",
        "--debug",
        "--export-all",
      ],
      { cwd: dir },
    );
    expect(run.code).toBe(ExitCode.Ok);
    const result = JSON.parse(run.stdout);
    expect(result.ok).toBe(true);
    expect(result.filters).toHaveLength(1);
    const [warn] = result.filters;
    expect(warn).toMatchObject({
      name: "warn",
      source: "filters/warn/assembly/index.ts",
      wasm: "dist/warn.wasm",
      ok: true,
      errors: [],
      warnings: [
        "filters/warn/assembly/index.ts:4:23: warning TS235: Only variables, functions and enums become WebAssembly module exports.",
      ],
      bytes: readFileSync(join(dir, "dist", "warn.wasm")).length,
    });
    expect(Number.isInteger(warn.millis)).toBe(true);
    expect(readFileSync(join(dir, "dist", "warn.wat"), "utf8")).toContain("(module");
    expect(run.stderr).toMatch(
      /^building 1 filter \(-none, stub runtime\) \.\.\.\nbuilt 1 filter \(/,
    );
  });

  it("refuses usage it cannot honour, before compiling", async () => {
    const dir = project(["ok", "warn"]);
    const refused = async (args: string[], message: string) => {
      const run = await cli(["build", ...args], { cwd: dir });
      expect(run.code, args.join(" ")).toBe(ExitCode.Usage);
      expect(run.stderr.split("\n")[0], args.join(" ")).toBe(`error: ${message}`);
    };
    await refused(
      ["ok", "--chain", "ok"],
      "give filters either as names or with --chain, not both",
    );
    await refused(
      ["ok", "--chain-config", "{}"],
      "give filters either as names or with --chain, not both",
    );
    await refused(
      ["ok", "--for-config", "{}", "--export-all"],
      "--for-config leaves callbacks out; --export-all keeps them all: give one",
    );
    await refused(
      ["--for-config", "{}"],
      "--for-config {}: a configuration is one filter's; name the filter to build (2 selected)",
    );
    const empty = project([]);
    const none = await cli(["build"], { cwd: empty });
    expect(none.code).toBe(ExitCode.Usage);
    expect(none.stderr).toBe(
      `error: no filters found in examples/, filters/ of ${empty}\nhint: create one with \`meshwasm new <name>\` (a filter is <dir>/<name>/assembly/index.ts)\n`,
    );
  });

  it("builds for a configuration: says what it left out, or the filter's refusal", async () => {
    const dir = project(["refuses", "needsall"]);
    const all = await cli(["build", "needsall", "--for-config", "{}"], { cwd: dir });
    expect(all.code).toBe(ExitCode.Ok);
    expect(all.stdout.split("\n")[3]).toBe("        for its configuration: nothing to leave out");
    const json = await cli(["build", "needsall", "--for-config", "{}", "--json"], { cwd: dir });
    expect(JSON.parse(json.stdout).filters[0]).toMatchObject({
      needed: [
        "proxy_on_request_headers",
        "proxy_on_request_body",
        "proxy_on_request_trailers",
        "proxy_on_response_headers",
        "proxy_on_response_body",
        "proxy_on_response_trailers",
        "proxy_on_log",
        "proxy_on_done",
        "proxy_on_delete",
      ],
      removed: [],
    });
    writeFileSync(join(dir, "refused.json"), '{"a":1}');
    const refused = await cli(["build", "refuses", "--for-config", "refused.json"], { cwd: dir });
    expect(refused.code).toBe(ExitCode.Failed);
    expect(refused.stdout.split("\n").slice(1, 3)).toStrictEqual([
      `  FAIL  ${"build/refuses.wasm".padEnd(36)}`,
      "        --for-config refused.json: the filter refused this configuration (it logged nothing)",
    ]);
  });
});

describe("what `meshwasm test` and `run` build first", () => {
  it("builds what is missing or older than its sources, and says what is up to date", async () => {
    const dir = project(["ok", "warn"]);
    const { ctx, stdout } = context(dir);
    const projectOf = Project.find(dir);
    const [ok, warn] = projectOf.filters() as [never, never];
    expect(isUpToDate(projectOf, ok)).toBe(false);
    const built = await buildOrFail(ctx, ["ok"]);
    expect(built.map((f: { name: string }) => f.name)).toStrictEqual(["ok"]);
    expect(isUpToDate(projectOf, ok)).toBe(true);
    expect(isUpToDate(projectOf, warn)).toBe(false);
    expect(stdout()).toContain("building 1 filter (-O3, minimal runtime) ...\n");

    const again = context(dir);
    expect((await buildOrFail(again.ctx, ["ok"])).length).toBe(1);
    expect(again.stdout()).toBe("ok is up to date (build/ok.wasm)\n");

    // A source newer than the module, also one in a folder beside the filter's.
    const later = new Date(Date.now() + 60_000);
    mkdirSync(join(dir, "filters", "lib"), { recursive: true });
    writeFileSync(join(dir, "filters", "lib", "shared.ts"), "");
    utimesSync(join(dir, "filters", "lib", "shared.ts"), later, later);
    expect(isUpToDate(projectOf, ok)).toBe(false);
  });

  it("does not count tests or node_modules as sources", async () => {
    const dir = project(["ok"]);
    const { ctx } = context(dir);
    const projectOf = Project.find(dir);
    await buildOrFail(ctx, []);
    const later = new Date(Date.now() + 60_000);
    for (const folder of ["test", "__tests__", "node_modules"]) {
      const path = join(dir, "filters", "ok", folder, "x.ts");
      mkdirSync(join(path, ".."), { recursive: true });
      writeFileSync(path, "");
      utimesSync(path, later, later);
    }
    expect(isUpToDate(projectOf, projectOf.filters()[0] as never)).toBe(true);
  });

  it("fails naming the filters that did not build, and a project without filters", async () => {
    const dir = project(["bad", "ok"]);
    const { ctx } = context(dir);
    const error = await buildOrFail(ctx, []).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).message).toBe("bad did not build");
    expect((error as CliError).exitCode).toBe(ExitCode.Failed);
    expect((error as CliError).hint).toBe(
      "fix the errors above (file:line:column) and run the command again",
    );
    const empty = project([]);
    const none = await buildOrFail(context(empty).ctx, []).catch((e: unknown) => e);
    expect(none).toStrictEqual(noFilters(Project.find(empty)));
    expect((none as CliError).exitCode).toBe(ExitCode.Usage);
  });
});

describe("meshwasm check", () => {
  const dir = join(scratch, "check");
  mkdirSync(join(dir, "mods", "sub"), { recursive: true });
  writeFileSync(join(dir, "mods", "good.wasm"), filterModule().build());
  writeFileSync(
    join(dir, "mods", "sub", "bad.wasm"),
    filterModule({ without: ["malloc", "proxy_on_memory_allocate"] }).build(),
  );
  mkdirSync(join(dir, "empty"));

  it("reports each module of a folder, and exits 1 when one fails", async () => {
    const run = await cli(["check", "mods"], { cwd: dir });
    expect(run.code).toBe(ExitCode.Failed);
    const lines = run.stdout.split("\n");
    const good = readFileSync(join(dir, "mods", "good.wasm")).length;
    expect(lines[0]).toBe(
      `ok    ${join(dir, "mods", "good.wasm")}  ${good} bytes, 2 imports, 6 exports`,
    );
    expect(lines[1]).toMatch(
      new RegExp(
        `^FAIL  ${join(dir, "mods", "sub", "bad.wasm")}  \\d+ bytes, 2 imports, 4 exports$`,
      ),
    );
    expect(lines[2]).toMatch(/^ {6}error: .*malloc/);
  });

  it("names one file as given, and gives JSON", async () => {
    const run = await cli(["check", "mods/good.wasm", "--json"], { cwd: dir });
    expect(run.code).toBe(ExitCode.Ok);
    const result = JSON.parse(run.stdout);
    expect(result.ok).toBe(true);
    expect(result.modules).toHaveLength(1);
    expect(result.modules[0]).toMatchObject({
      file: "mods/good.wasm",
      ok: true,
      imports: 2,
      exports: 6,
      errors: [],
    });
    expect(run.stderr).toMatch(/^ok {4}mods\/good\.wasm {2}\d+ bytes/);
    const both = await cli(["check", "mods/good.wasm", "mods/sub/bad.wasm", "--json"], {
      cwd: dir,
    });
    const modules = JSON.parse(both.stdout).modules;
    expect(modules.map((m: { file: string }) => m.file)).toStrictEqual([
      join(dir, "mods", "good.wasm"),
      join(dir, "mods", "sub", "bad.wasm"),
    ]);
    expect(JSON.parse(both.stdout).ok).toBe(false);
  });

  it("refuses paths that do not exist and folders without modules", async () => {
    const missing = await cli(["check", "mods", "none.wasm", "gone"], { cwd: dir });
    expect(missing.code).toBe(ExitCode.Usage);
    expect(missing.stderr).toBe(
      `error: no such file or folder: ${join(dir, "none.wasm")}, ${join(dir, "gone")}\nhint: build first with \`meshwasm build\`\n`,
    );
    const empty = await cli(["check", "empty"], { cwd: dir });
    expect(empty.code).toBe(ExitCode.Usage);
    expect(empty.stderr).toBe("error: no .wasm modules in empty\n");
  });
});

describe("meshwasm test", () => {
  const PASSES = 'import { it } from "vitest";\nit("passes", () => {});\n';
  const FAILS = 'import { expect, it } from "vitest";\nit("fails", () => expect(1).toBe(2));\n';

  it("builds, then runs vitest on the named filters' test folders, passing options after --", async () => {
    const dir = project(["ok", "warn"], {
      "filters/ok/test/ok.test.ts": PASSES,
      "filters/warn/test/warn.test.ts": FAILS,
    });
    const run = await cli(["test", "ok", "--", "--reporter=dot"], { cwd: dir });
    expect(run.code).toBe(ExitCode.Ok);
    expect(run.stdout).toContain("building 1 filter (-O3, minimal runtime) ...\n");
    expect(run.stdout).toContain("testing ok with vitest\n");
    expect(readFileSync(join(dir, "build", "ok.wasm")).length).toBeGreaterThan(0);
    const all = await cli(["test"], { cwd: dir });
    expect(all.code).toBe(ExitCode.Failed);
    expect(all.stdout).toContain("ok is up to date (build/ok.wasm)\n");
    expect(all.stdout).toContain("testing ok, warn with vitest\n");
  }, 120_000);

  it("says when no filter has tests, and when there are no filters", async () => {
    const dir = project(["ok"]);
    const run = await cli(["test"], { cwd: dir });
    expect(run.code).toBe(ExitCode.Failed);
    expect(run.stderr).toBe(
      "error: no tests: none of ok has a test/ folder\nhint: put vitest files in <filter>/test/ (meshwasm new writes one)\n",
    );
    const empty = await cli(["test"], { cwd: project([]) });
    expect(empty.code).toBe(ExitCode.Usage);
    expect(empty.stderr).toMatch(/^error: no filters found in examples\/, filters\//);
  });
});

// `meshwasm build` and `meshwasm check` on filters of a few lines that import the SDK's
// abort/trace/seed replacements alone: each compile takes a fraction of a second, so the
// command's own work (its lines, its JSON, its errors, the module check, --for-config, what
// is up to date) is judged without the minutes a real filter's compile takes.
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
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
/** The WebAssembly JS API's module reading (the project's TypeScript libraries leave it out). */
const Wasm = (
  globalThis as unknown as {
    WebAssembly: {
      Module: {
        new (bytes: Uint8Array): object;
        customSections(module: object, name: string): ArrayBuffer[];
      };
    };
  }
).WebAssembly;
const scratch = mkdtempSync(join(tmpdir(), "meshwasm-cli-build-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The smallest filter the module check passes (the ABI marker, an allocator, a memory). */
const OK =
  "export function proxy_abi_version_0_2_1(): void {}\nexport function malloc(size: i32): i32 { return 0; }\n";
const NEEDS_ONE = [
  "export function proxy_on_request_headers(id: u32, n: u32, end: u32): u32 { return 0; }",
  "export function proxy_on_response_headers(id: u32, n: u32, end: u32): u32 { return 0; }",
  "export function proxy_on_response_body(id: u32, size: u32, end: u32): u32 { return 0; }",
  "export function meshwasm_needed_callbacks(root: u32): i32 { return 1; }",
  "",
].join("\n");
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
  // Exports three per-stream callbacks, needs the request headers' alone (bit 1).
  needsone: `${OK}${NEEDS_ONE}`,
  // A second ABI marker Envoy does not know: the module check warns.
  odd: `${OK}export function proxy_abi_version_9_9_9(): void {}\n`,
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

/**
 * `meshwasm <args>` in `dir` on a pseudo-terminal (`script`; tsx runs the CLI from its
 * sources), `columns` wide: a fresh one is 0 columns until someone sizes it.
 */
function onTerminal(dir: string, args: string[], columns: number) {
  const meshwasm = [
    process.execPath,
    join(REPO, "node_modules/tsx/dist/cli.mjs"),
    join(REPO, "src/cli/main.ts"),
  ];
  const words = [...meshwasm, ...args].map((w) => `'${w}'`).join(" ");
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  delete env.CI; // neither vitest's watch nor the spinner runs on CI
  return spawnSync("script", ["-qec", `stty cols ${columns} rows 24; exec ${words}`, "/dev/null"], {
    cwd: dir,
    env,
    encoding: "utf8",
    timeout: 150_000,
  });
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

  it("fails a filter whose own callbacks a configuration does not need, saying why (exit 1)", async () => {
    // Only the SDK's dispatcher's exports can be left out; these are the filter's own.
    const dir = project(["needsone", "ok"]);
    const run = await cli(["build", "needsone", "--for-config", "{}"], { cwd: dir });
    expect(run.code).toBe(ExitCode.Failed);
    expect(run.stdout.split("\n").slice(1)).toStrictEqual([
      `  FAIL  ${"build/needsone.wasm".padEnd(36)}`,
      "        --for-config {}: the module built for it still exports proxy_on_response_headers, proxy_on_response_body, which it does not need: the filter defines them itself, and only the SDK's own callbacks can be left out (build it without --for-config)",
      "",
    ]);
    expect(existsSync(join(dir, "build", "needsone.wasm"))).toBe(false);
    const plain = await cli(["build", "needsone"], { cwd: dir });
    expect(plain.code).toBe(ExitCode.Ok);
    expect(plain.stdout).not.toContain("for its configuration");
    const bad = await cli(["build", "ok", "--for-config", "{nope"], { cwd: dir });
    expect(bad.code).toBe(ExitCode.Usage);
    expect(bad.stderr).toMatch(/^error: --for-config is not valid JSON: /);
  });

  it("shows the module check's warnings under the module", async () => {
    const dir = project(["odd"]);
    const run = await cli(["build"], { cwd: dir });
    expect(run.code).toBe(ExitCode.Ok);
    expect(run.stdout.split("\n").slice(2)).toStrictEqual([
      expect.stringMatching(/^ {2}ok {4}build\/odd\.wasm /),
      "        build/odd.wasm: module check: export proxy_abi_version_9_9_9: not an ABI marker Envoy knows; it is ignored",
      "",
    ]);
  });

  it("builds on a terminal 0 columns wide, in plain lines", () => {
    const dir = project(["ok"]);
    const run = onTerminal(dir, ["build"], 0);
    expect(run.stdout).toContain("building 1 filter (-O3, minimal runtime) ...");
    expect(run.status).toBe(ExitCode.Ok);
  }, 180_000);
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
    expect(stdout()).not.toContain("up to date");

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

  it("is not up to date when a source is as new as the module", async () => {
    const dir = project(["ok"]);
    await buildOrFail(context(dir).ctx, ["ok"]);
    const projectOf = Project.find(dir);
    const [ok] = projectOf.filters() as [never];
    const when = new Date(Date.now() + 120_000);
    utimesSync(join(dir, "build", "ok.wasm"), when, when);
    expect(isUpToDate(projectOf, ok)).toBe(true);
    utimesSync(join(dir, "filters", "ok", "assembly", "index.ts"), when, when);
    expect(isUpToDate(projectOf, ok)).toBe(false);
  });

  it("fails (exit 1) when any one filter fails, and says so in JSON", async () => {
    const dir = project(["ok", "bad"]);
    const run = await cli(["build", "--json", "-O", "none"], { cwd: dir });
    expect(run.code).toBe(ExitCode.Failed);
    const result = JSON.parse(run.stdout);
    expect(result.ok).toBe(false);
    expect(result.filters.map((f: { name: string; ok: boolean }) => [f.name, f.ok])).toStrictEqual([
      ["bad", false],
      ["ok", true],
    ]);
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
    const dir = project(["bad", "ok", "nomalloc"]);
    const { ctx } = context(dir);
    const error = await buildOrFail(ctx, []).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).message).toBe("bad, nomalloc did not build");
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
  mkdirSync(join(dir, "warned"));
  writeFileSync(
    join(dir, "warned", "w.wasm"),
    filterModule({ exports: [{ name: "proxy_abi_version_9_9_9", params: [] }] }).build(),
  );

  it("shows a module's warnings under it", async () => {
    const run = await cli(["check", "warned/w.wasm"], { cwd: dir });
    expect(run.code).toBe(ExitCode.Ok);
    const lines = run.stdout.split("\n");
    expect(lines[0]).toMatch(/^ok {4}warned\/w\.wasm {2}\d+ bytes, 2 imports, 7 exports$/);
    expect(lines[1]).toBe(
      "      warning: export proxy_abi_version_9_9_9: not an ABI marker Envoy knows; it is ignored",
    );
  });

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
    const both = await cli(["check", "empty", "empty/"], { cwd: dir });
    expect(both.stderr).toBe("error: no .wasm modules in empty, empty/\n");
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
    const both = await cli(["test", "ok", "warn"], { cwd: dir });
    expect(both.code).toBe(ExitCode.Failed);
    expect(both.stdout).toContain("ok is up to date (build/ok.wasm)\n");
    expect(both.stdout).toContain("testing ok, warn with vitest\n");
    // What follows -- goes to vitest: here a name pattern that leaves the failing test out.
    const passing = await cli(
      ["test", "warn", "--", "--testNamePattern=nothing-matches", "--passWithNoTests"],
      { cwd: dir },
    );
    expect(passing.code).toBe(ExitCode.Ok);
    expect(passing.stdout).toContain("testing warn with vitest\n");
  }, 120_000);

  it("runs only what is in the named filters' test folders", async () => {
    const dir = project(["ok", "warn"], {
      "filters/ok/test/ok.test.ts": PASSES,
      // A test file beside test/, not in it, and another filter's: neither runs.
      "filters/ok/notes.test.ts": FAILS,
      "filters/warn/test/warn.test.ts": FAILS,
    });
    const run = await cli(["test", "ok"], { cwd: dir });
    expect(run.code).toBe(ExitCode.Ok);
  }, 120_000);

  it("runs the tests once on a terminal too, where vitest alone would watch", () => {
    const dir = project(["ok"], { "filters/ok/test/ok.test.ts": PASSES });
    const run = onTerminal(dir, ["test", "ok"], 80);
    expect(run.stdout).toMatch(/Tests\s+1 passed \(1\)/);
    expect(run.status).toBe(ExitCode.Ok);
  }, 180_000);

  it("says when no filter has tests, and when there are no filters", async () => {
    const dir = project(["ok", "warn"]);
    const run = await cli(["test"], { cwd: dir });
    expect(run.code).toBe(ExitCode.Failed);
    expect(run.stderr).toBe(
      "error: no tests: none of ok, warn has a test/ folder\nhint: put vitest files in <filter>/test/ (meshwasm new writes one)\n",
    );
    const empty = await cli(["test"], { cwd: project([]) });
    expect(empty.code).toBe(ExitCode.Usage);
    expect(empty.stderr).toMatch(/^error: no filters found in examples\/, filters\//);
  });
});

describe("meshwasm build --chain", () => {
  /** A user's project whose meshwasm/assembly is a stand-in of two files (registerChain does
   *  nothing; exports.ts gives the marker and an allocator) over the SDK's abort/trace/seed
   *  replacements: a chain of the tiny filters then compiles in a fraction of a second. */
  function chainProject(names: Name[], exports = OK): string {
    const dir = project(names);
    const sdk = join(dir, "node_modules", "meshwasm", "assembly");
    mkdirSync(sdk, { recursive: true });
    writeFileSync(join(dir, "node_modules", "meshwasm", "package.json"), '{"name":"meshwasm"}');
    for (const folder of ["internal", "abi"]) {
      symlinkSync(join(REPO, "assembly", folder), join(sdk, folder), "dir");
    }
    writeFileSync(
      join(sdk, "index.ts"),
      'import "./internal/panic";\nexport function registerChain(names: string[]): void {}\n',
    );
    writeFileSync(join(sdk, "exports.ts"), exports);
    return dir;
  }
  // The chain's members: any filter without its own ABI marker will do.
  const member = "export function member(): void {}\n";

  it("builds one module of the filters in order, and says so, in JSON too", async () => {
    const dir = chainProject([]);
    for (const name of ["first", "second"]) {
      mkdirSync(join(dir, "filters", name, "assembly"), { recursive: true });
      writeFileSync(join(dir, "filters", name, "assembly", "index.ts"), member);
    }
    const run = await cli(["build", "--chain", "second,first", "-O", "none", "-o", "out/c.wasm"], {
      cwd: dir,
    });
    expect(run.code).toBe(ExitCode.Ok);
    const size = readFileSync(join(dir, "out", "c.wasm")).length;
    expect(run.stdout).toMatch(
      new RegExp(
        `^building the chain second → first \\.\\.\\.\\nbuilt out/c\\.wasm: second → first \\(${(size / 1024).toFixed(1).replace(".", "\\.")} KiB\\) \\(\\d+\\.\\d s\\)\\n$`,
      ),
    );
    expect(readFileSync(join(dir, "out", ".chain", "c.ts"), "utf8")).toContain(
      'import { registerChain } from "meshwasm/assembly";',
    );
    const json = await cli(
      [
        "build",
        "--chain",
        "first,second",
        "-O",
        "none",
        "--runtime",
        "stub",
        "--text",
        "--debug",
        "--export-all",
        "--json",
      ],
      { cwd: dir },
    );
    expect(json.code).toBe(ExitCode.Ok);
    expect(JSON.parse(json.stdout)).toStrictEqual({
      ok: true,
      wasm: "build/chain.wasm",
      chain: ["first", "second"],
      bytes: readFileSync(join(dir, "build", "chain.wasm")).length,
    });
    expect(readFileSync(join(dir, "build", "chain.wat"), "utf8")).toContain("(module");
  }, 60_000);

  it("builds the chain with the optimization, runtime and debug options given", async () => {
    const dir = chainProject([]);
    for (const name of ["first", "second"]) {
      mkdirSync(join(dir, "filters", name, "assembly"), { recursive: true });
      writeFileSync(join(dir, "filters", name, "assembly", "index.ts"), member);
    }
    const built = async (...options: string[]) => {
      const run = await cli(["build", "--chain", "first,second", "-o", "c.wasm", ...options], {
        cwd: dir,
      });
      expect(run.code, options.join(" ")).toBe(ExitCode.Ok);
      return new Wasm.Module(readFileSync(join(dir, "c.wasm")));
    };
    const size = (module: object) =>
      new Uint8Array(Wasm.Module.customSections(module, "name")[0] ?? []).length;
    const bytes = async (...options: string[]) => {
      await built(...options);
      return readFileSync(join(dir, "c.wasm")).length;
    };
    const plain = await bytes();
    // Unoptimized is larger than -O3 (the default), the stub runtime smaller than the minimal one.
    expect(await bytes("-O", "none")).toBeGreaterThan(plain);
    expect(await bytes("--runtime", "stub")).toBeLessThan(plain);
    // Only --debug keeps the function names.
    expect(size(await built())).toBe(0);
    expect(size(await built("--debug"))).toBeGreaterThan(0);
  }, 60_000);

  it("takes the chain from its configuration's sections, and builds for a configuration", async () => {
    const dir = chainProject([]);
    for (const name of ["first", "second"]) {
      mkdirSync(join(dir, "filters", name, "assembly"), { recursive: true });
      writeFileSync(join(dir, "filters", name, "assembly", "index.ts"), member);
    }
    const fromConfig = await cli(
      ["build", "--chain-config", '{"second":{},"first":{}}', "-O", "none", "--json"],
      { cwd: dir },
    );
    expect(fromConfig.code).toBe(ExitCode.Ok);
    expect(JSON.parse(fromConfig.stdout).chain).toStrictEqual(["second", "first"]);
    const forConfig = await cli(
      [
        "build",
        "--chain",
        "first,second",
        "--for-config",
        '{"first":{},"second":{}}',
        "-O",
        "none",
        "--json",
      ],
      { cwd: dir },
    );
    expect(forConfig.code).toBe(ExitCode.Ok);
    // The stand-in has no callbacks, so nothing is left out.
    expect(JSON.parse(forConfig.stdout)).toMatchObject({ ok: true, removed: [] });
    expect(forConfig.stderr).toContain("  for its configuration: nothing to leave out\n");
  }, 60_000);

  it("names the compile errors, a module Envoy would not load, and a refused configuration", async () => {
    // Members without the import of their own: the stand-in SDK brings it.
    const broken = chainProject([]);
    // A warning and an error: only the error is shown.
    const sources = {
      ok: member,
      bad: `${member}@lazy export function g(): i32 { return 2; }\nexport const big: i32 = 0xffffffffff;\n`,
    };
    for (const [name, source] of Object.entries(sources)) {
      mkdirSync(join(broken, "filters", name, "assembly"), { recursive: true });
      writeFileSync(join(broken, "filters", name, "assembly", "index.ts"), source);
    }
    const bad = await cli(["build", "--chain", "ok,bad", "-O", "none"], { cwd: broken });
    expect(bad.code).toBe(ExitCode.Failed);
    expect(bad.stdout).toBe(
      "building the chain ok → bad ...\n  filters/bad/assembly/index.ts:3:25: error TS200: Conversion from type 'i64' to 'i32' requires an explicit cast.\n",
    );
    expect(bad.stderr).toMatch(
      /^the chain did not compile \(\d+\.\d s\)\nerror: the chain ok,bad did not build\n$/,
    );

    const noMalloc = chainProject([], "export function proxy_abi_version_0_2_1(): void {}\n");
    mkdirSync(join(noMalloc, "filters", "m", "assembly"), { recursive: true });
    writeFileSync(join(noMalloc, "filters", "m", "assembly", "index.ts"), member);
    const unloadable = await cli(["build", "--chain", "m", "-O", "none"], { cwd: noMalloc });
    expect(unloadable.code).toBe(ExitCode.Failed);
    expect(unloadable.stdout).toMatch(/^building the chain m \.\.\.\n {2}\S.*malloc/);
    expect(unloadable.stderr).toMatch(
      /^the chain's module fails the module check \(\d+\.\d s\)\nerror: build\/chain\.wasm would not load in Envoy\n$/,
    );

    const refusing = chainProject(
      [],
      `${OK}export function proxy_on_configure(root: u32, size: u32): bool { return false; }\n`,
    );
    mkdirSync(join(refusing, "filters", "m", "assembly"), { recursive: true });
    writeFileSync(join(refusing, "filters", "m", "assembly", "index.ts"), member);
    const refused = await cli(["build", "--chain", "m", "--for-config", '{"m":{}}', "-O", "none"], {
      cwd: refusing,
    });
    expect(refused.code).toBe(ExitCode.Failed);
    expect(refused.stderr).toMatch(
      /^the chain refused its configuration \(\d+\.\d s\)\nerror: --for-config \{"m":\{\}\}: the filter refused this configuration \(it logged nothing\)\n$/,
    );
  }, 60_000);

  it("refuses a configuration given twice, and --for-config with --export-all", async () => {
    const dir = chainProject(["ok"]);
    const twice = await cli(
      ["build", "--chain", "ok", "--for-config", "{}", "--chain-config", "{}"],
      { cwd: dir },
    );
    expect(twice.code).toBe(ExitCode.Usage);
    expect(twice.stderr.split("\n")[0]).toBe(
      "error: give the chain's configuration once: --for-config <file> checks it like --chain-config and builds the module for it",
    );
    const all = await cli(["build", "--chain", "ok", "--for-config", "{}", "--export-all"], {
      cwd: dir,
    });
    expect(all.code).toBe(ExitCode.Usage);
    expect(all.stderr.split("\n")[0]).toBe(
      "error: --for-config leaves callbacks out; --export-all keeps them all: give one",
    );
    const unknown = await cli(["build", "--chain", "ok,nope"], { cwd: dir });
    expect(unknown.stdout).toBe("");
    expect(unknown.stderr).toBe(
      'error: unknown filter "nope" in the chain; known filters: ok\nhint: a chain is `--chain a,b,c` (filters in request order) and a configuration with one section per filter\n',
    );
    // A configuration file that is no object of sections, and one that is not there: each
    // named as given; only the chain's own problems get the chain's hint.
    writeFileSync(join(dir, "list.json"), "[]");
    const list = await cli(["build", "--chain-config", "list.json"], { cwd: dir });
    expect(list.code).toBe(ExitCode.Usage);
    expect(list.stderr.split("\n")[0]).toBe(
      "error: --chain-config list.json: a chain's configuration is a JSON object with a section per filter, got an array",
    );
    const missing = await cli(["build", "--for-config", "missing.json", "--chain", "ok"], {
      cwd: dir,
    });
    expect(missing.code).toBe(ExitCode.Usage);
    expect(missing.stderr).toBe("error: --for-config missing.json: no such file\n");
    const section = await cli(
      ["build", "--chain", "ok", "--chain-config", '{"ok":{},"x":{}}', "--json"],
      { cwd: dir },
    );
    expect(JSON.parse(section.stdout)).toStrictEqual({
      ok: false,
      problem: "unknown-section",
      error: '--chain-config {"ok":{},"x":{}}: section "x" names no filter of the chain (ok)',
    });
  });
});

// What the commands decide before any compile or Envoy: reading JSON options, splitting
// --config between filters, refusing usage they cannot honour, the module check's report and
// `envoy version`. In-process (the helper runs the CLI's `run`), milliseconds each.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { afterAll, describe, expect, it } from "vitest";
import { readJsonOption } from "../../src/cli/commands/build-chain.ts";
import { filterConfigurations } from "../../src/cli/commands/run.ts";
import { findVitest } from "../../src/cli/commands/test.ts";
import { createContext } from "../../src/cli/context.ts";
import { CliError, ExitCode } from "../../src/cli/errors.ts";
import { Output } from "../../src/cli/output.ts";
import { createProgram } from "../../src/cli/program.ts";
import { envoyBinary, pinnedEnvoyVersion } from "../../src/envoy/binary.ts";
import { cli, tempProject } from "./helpers.ts";

const scratch = mkdtempSync(join(tmpdir(), "meshwasm-cli-checks-"));
const project = tempProject({
  "filters/alpha/assembly/index.ts": "// not compiled here\n",
  "filters/beta/assembly/index.ts": "// not compiled here\n",
});
afterAll(() => {
  project.remove();
  rmSync(scratch, { recursive: true, force: true });
});
writeFileSync(join(scratch, "good.json"), '{"alpha":{"a":1}}');
writeFileSync(join(scratch, "bad.json"), "{alpha");
writeFileSync(join(scratch, "list.json"), "[1,2]");

/** The usage error `fn` throws (exit 2), as message and hint. */
function usage(fn: () => unknown): { message: string; hint: string | undefined } {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(ExitCode.Usage);
    return { message: (error as CliError).message, hint: (error as CliError).hint };
  }
  throw new Error("expected a usage error");
}

describe("readJsonOption (--chain-config, --for-config)", () => {
  it("takes inline JSON, leading spaces too, or a file relative to the folder", () => {
    expect(readJsonOption("--for-config", '{"a":[1]}', scratch)).toStrictEqual({ a: [1] });
    expect(readJsonOption("--for-config", '  \n{"b":2}', scratch)).toStrictEqual({ b: 2 });
    expect(readJsonOption("--chain-config", "good.json", scratch)).toStrictEqual({
      alpha: { a: 1 },
    });
    expect(readJsonOption("--chain-config", join(scratch, "good.json"), "/")).toStrictEqual({
      alpha: { a: 1 },
    });
  });

  it("names the option and the file that is missing or not JSON", () => {
    expect(usage(() => readJsonOption("--for-config", "none.json", scratch)).message).toBe(
      "--for-config none.json: no such file",
    );
    expect(usage(() => readJsonOption("--chain-config", "bad.json", scratch)).message).toMatch(
      /^--chain-config bad\.json is not valid JSON: \S/,
    );
    expect(usage(() => readJsonOption("--for-config", "{a", scratch)).message).toMatch(
      /^--for-config is not valid JSON: \S/,
    );
  });
});

describe("filterConfigurations (meshwasm run --config)", () => {
  it("gives nothing without --config, and one filter the whole object", () => {
    expect(filterConfigurations(["alpha"], undefined, scratch).size).toBe(0);
    expect([...filterConfigurations(["alpha"], ' {"x":1}', scratch)]).toStrictEqual([
      ["alpha", '{"x":1}'],
    ]);
    expect([...filterConfigurations(["beta"], "good.json", scratch)]).toStrictEqual([
      ["beta", '{"alpha":{"a":1}}'],
    ]);
  });

  it("gives several filters their own section by name, and refuses a name not run", () => {
    const two = filterConfigurations(["alpha", "beta"], '{"beta":{"b":2}}', scratch);
    expect([...two]).toStrictEqual([["beta", '{"b":2}']]);
    const wrong = usage(() => filterConfigurations(["alpha", "beta"], '{"gamma":{}}', scratch));
    expect(wrong.message).toBe(
      '--config names "gamma", which is not among the filters run (alpha, beta)',
    );
    expect(wrong.hint).toMatch(
      /one configuration per filter|\{"<filter>": \{\.\.\.configuration\}/,
    );
  });

  it("names the file it cannot read, and refuses what is not one JSON object", () => {
    const missing = usage(() => filterConfigurations(["alpha"], "none.json", scratch));
    expect(missing.message).toMatch(/^--config none\.json: ENOENT/);
    expect(missing.hint).toBe("give a JSON file or inline JSON");
    expect(usage(() => filterConfigurations(["alpha"], "bad.json", scratch)).message).toMatch(
      /^bad\.json is not valid JSON: \S/,
    );
    expect(usage(() => filterConfigurations(["alpha"], "{x", scratch)).message).toMatch(
      /^--config is not valid JSON: \S/,
    );
    expect(usage(() => filterConfigurations(["alpha"], "list.json", scratch)).message).toBe(
      "list.json must hold a JSON object",
    );
    for (const value of ["null", "3", '"text"']) {
      writeFileSync(join(scratch, "value.json"), value);
      expect(usage(() => filterConfigurations(["alpha"], "value.json", scratch)).message).toBe(
        "value.json must hold a JSON object",
      );
    }
  });
});

describe("meshwasm build, refused before compiling (exit 2)", () => {
  const build = (...args: string[]) => cli(["build", ...args], { cwd: project.dir });

  it("refuses names together with --chain, and a configuration given twice", async () => {
    const both = await build("alpha", "--chain", "alpha,beta");
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/give filters either as names or with --chain, not both/);
    const twice = await build("--chain", "alpha", "--for-config", "{}", "--chain-config", "{}");
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/give the chain's configuration once/);
    const pruneAll = await build("--chain", "alpha", "--for-config", "{}", "--export-all");
    expect(pruneAll.code).toBe(2);
    expect(pruneAll.stderr).toMatch(
      /--for-config leaves callbacks out; --export-all keeps them all/,
    );
    const single = await build("alpha", "--for-config", "{}", "--export-all");
    expect(single.code).toBe(2);
    expect(single.stderr).toMatch(/--for-config leaves callbacks out; --export-all keeps them all/);
  });

  it("names a chain member that is not a filter, in JSON too", async () => {
    const run = await build("--chain", "alpha,nope", "--json");
    expect(run.code).toBe(2);
    const result = JSON.parse(run.stdout) as { ok: boolean; error: string; problem: string };
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/nope/);
    expect(typeof result.problem).toBe("string");
    expect(run.stderr).toMatch(/hint: a chain is `--chain a,b,c`/);
    const missing = await build("--chain-config", "none.json");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--chain-config none\.json: no such file/);
  });

  it("builds one filter for a configuration, not several", async () => {
    const run = await build("--for-config", "{}");
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /--for-config \{\}: a configuration is one filter's; name the filter to build \(2 selected\)/,
    );
  });

  it("says there is nothing to build in a project without filters", async () => {
    const empty = join(scratch, "empty");
    mkdirSync(empty);
    writeFileSync(join(empty, "package.json"), "{}");
    const run = await cli(["build"], { cwd: empty });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/no filters/i);
  });
});

describe("meshwasm check's report", () => {
  // The magic and version alone: a module with no import or export Envoy needs.
  const EMPTY = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);

  it("names the file as given, its size and counts, and fails (exit 1)", async () => {
    writeFileSync(join(scratch, "empty.wasm"), EMPTY);
    const run = await cli(["check", "empty.wasm"], { cwd: scratch });
    expect(run.code).toBe(1);
    const [first, ...rest] = run.stdout.trimEnd().split("\n");
    expect(first).toBe("FAIL  empty.wasm  8 bytes, 0 imports, 0 exports");
    expect(rest.length).toBeGreaterThan(0);
    expect(rest.every((l) => /^ {6}(error|warning): /.test(l))).toBe(true);
  });

  it("lists every module of a folder by its path, in JSON too", async () => {
    const dir = join(scratch, "mods");
    mkdirSync(dir);
    writeFileSync(join(dir, "a.wasm"), EMPTY);
    writeFileSync(join(dir, "b.wasm"), EMPTY);
    const run = await cli(["check", "mods", "--json"], { cwd: scratch });
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout) as {
      ok: boolean;
      modules: {
        file: string;
        ok: boolean;
        bytes: number;
        imports: number;
        exports: number;
        errors: string[];
      }[];
    };
    expect(result.ok).toBe(false);
    expect(result.modules.map((m) => m.file)).toEqual([join(dir, "a.wasm"), join(dir, "b.wasm")]);
    expect(result.modules[0]).toMatchObject({ ok: false, bytes: 8, imports: 0, exports: 0 });
    expect(result.modules[0]?.errors.length).toBeGreaterThan(0);
    mkdirSync(join(scratch, "text"));
    writeFileSync(join(scratch, "text", "notes.txt"), "no modules here");
    const none = await cli(["check", "text"], { cwd: scratch });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no \.wasm modules in text/);
  });
});

describe("meshwasm envoy", () => {
  it("says where the Envoy it runs came from", async () => {
    const bin = envoyBinary(process.env);
    const run = await cli(["envoy", "version", "--json"], { env: { ENVOY_BIN: bin } });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toStrictEqual({
      path: bin,
      version: pinnedEnvoyVersion(),
      pinned: pinnedEnvoyVersion(),
      source: "ENVOY_BIN",
    });
    const text = await cli(["envoy", "version"], { env: { ENVOY_BIN: bin } });
    expect(text.stdout).toBe(`Envoy ${pinnedEnvoyVersion()} (ENVOY_BIN) ${bin}\n`);
    expect(text.stderr).toBe("");
    const path = await cli(["envoy", "path"], { env: { ENVOY_BIN: bin } });
    expect(path.stdout).toBe(`${bin}\n`);
  });

  it("gives a hint that fits where it looked", async () => {
    const wrong = await cli(["envoy", "version"], {
      env: { ENVOY_BIN: join(scratch, "no-envoy") },
    });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/hint: point ENVOY_BIN at an Envoy binary, or unset it/);
    const setup = await cli(["envoy", "setup"], { env: { ENVOY_BIN: join(scratch, "no-envoy") } });
    expect(setup.code).toBe(3);
    expect(setup.stderr).toMatch(/hint: point ENVOY_BIN at an Envoy binary with the V8 runtime/);
    const path = await cli(["envoy", "path"], {
      env: { ENVOY_BIN: "", MESHWASM_CACHE_DIR: join(scratch, "empty-cache") },
    });
    expect(path.code).toBe(3);
    expect(path.stderr).toMatch(/hint: install it with `meshwasm envoy setup`/);
  });
});

describe("findVitest", () => {
  it("finds vitest's CLI script, from the project or else from meshwasm itself", () => {
    const own = findVitest(process.cwd());
    expect(own).toMatch(/node_modules\/vitest\/vitest\.mjs$/);
    expect(findVitest(scratch)).toBe(own);
  });

  /** A folder whose node_modules/vitest has this package.json. */
  function withVitest(name: string, manifest: object): string {
    const dir = join(scratch, name);
    mkdirSync(join(dir, "node_modules", "vitest"), { recursive: true });
    writeFileSync(join(dir, "node_modules", "vitest", "package.json"), JSON.stringify(manifest));
    return dir;
  }

  it("takes a bin given as one path, and passes over a vitest without a vitest bin", () => {
    const single = withVitest("bin-string", { name: "vitest", bin: "cli.mjs" });
    expect(findVitest(single)).toBe(join(single, "node_modules", "vitest", "cli.mjs"));
    const own = findVitest(process.cwd());
    const otherName = withVitest("bin-other", { name: "vitest", bin: { vite: "vite.mjs" } });
    expect(findVitest(otherName)).toBe(own);
    const none = withVitest("bin-none", { name: "vitest" });
    expect(findVitest(none)).toBe(own);
  });

  it("says how to install vitest when neither the project nor meshwasm has it", () => {
    const empty = join(scratch, "no-vitest");
    mkdirSync(empty);
    let error: unknown;
    try {
      findVitest(empty, empty);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CliError);
    expect([
      (error as CliError).message,
      (error as CliError).exitCode,
      (error as CliError).hint,
    ]).toStrictEqual([
      "vitest is not installed in this project",
      ExitCode.Environment,
      "npm install --save-dev vitest",
    ]);
  });
});

describe("every command's help", () => {
  it("ends with examples of that command", async () => {
    const program = createProgram(createContext(new Output(), project.dir, {}));
    const leaves: string[][] = [];
    const walk = (command: Command, path: string[]) => {
      if (command.commands.length === 0) leaves.push(path);
      for (const sub of command.commands) walk(sub, [...path, sub.name()]);
    };
    walk(program, []);
    expect(leaves.map((p) => p.join(" "))).toContain("envoy version");
    expect(leaves.length).toBeGreaterThan(12);
    for (const path of leaves) {
      const help = await cli([...path, "--help"], { cwd: project.dir });
      expect(help.code, path.join(" ")).toBe(ExitCode.Ok);
      const examples = /\nExamples?:\n((?: {2}.*\n?)+)$/.exec(help.stdout)?.[1];
      expect(examples, `${path.join(" ")} --help`).toBeDefined();
      for (const line of (examples as string).trimEnd().split("\n")) {
        expect(line, path.join(" ")).toMatch(new RegExp(`^ {2}meshwasm ${path.join(" ")}\\b`));
      }
    }
  });
});

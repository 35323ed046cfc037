// The CLI's frame without compiling anything: the project around a folder and its filters,
// `meshwasm new`'s files and its changes to a user's package.json, the program's exit codes
// for help, versions, usage mistakes and failures. In-process, milliseconds each.
import {
  type Dirent,
  existsSync,
  mkdirSync,
  mkdtempSync,
  type PathLike,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { Writable } from "node:stream";
import { Ajv2020 } from "ajv/dist/2020.js";
import { Command } from "commander";
import { afterAll, describe, expect, it, vi } from "vitest";
import { commands } from "../../src/cli/commands/index.ts";
import { createContext } from "../../src/cli/context.ts";
import { CliError, ExitCode } from "../../src/cli/errors.ts";
import { Output } from "../../src/cli/output.ts";
import { createProgram, run } from "../../src/cli/program.ts";
import {
  DEFAULT_FILTER_DIRS,
  Project,
  packageRoot,
  packageVersion,
} from "../../src/cli/project.ts";
import {
  FILTER_NAME,
  filterFiles,
  GITIGNORE,
  metricPrefix,
  type ScaffoldInput,
  VITEST_CONFIG,
} from "../../src/cli/scaffold.ts";
import { envoyBinary } from "../../src/envoy/binary.ts";
import { cli } from "./helpers.ts";

// Here the file system lists a directory's entries in reverse name order: many list them in
// name order, which would hide a listing the CLI forgot to sort.
vi.mock("node:fs", async (importOriginal) => {
  const fs = await importOriginal<typeof import("node:fs")>();
  const readdirSync = (path: PathLike, options?: { withFileTypes?: boolean }) => {
    const entries: Dirent[] = fs
      .readdirSync(path, { withFileTypes: true })
      .sort((a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
    return options?.withFileTypes ? entries : entries.map((e) => e.name);
  };
  return { ...fs, readdirSync };
});

const REPO = resolve(".");
const scratch = mkdtempSync(join(tmpdir(), "meshwasm-cli-project-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let folders = 0;
/** A fresh folder under the scratch folder holding `files` (null: an empty folder). */
function folder(files: Record<string, string | null> = {}): string {
  const dir = join(scratch, `p${folders++}`);
  mkdirSync(dir);
  for (const [path, text] of Object.entries(files)) {
    if (text === null) mkdirSync(join(dir, path), { recursive: true });
    else {
      mkdirSync(join(dir, path, ".."), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
  }
  return dir;
}
const FILTER = "// a filter\n";
const readJson = (path: string) => JSON.parse(readFileSync(path, "utf8"));

describe("Project", () => {
  it("is the nearest folder with a package.json, else the folder itself", () => {
    const dir = folder({ "package.json": '{"name":"p"}', "a/b/.keep": "" });
    const found = Project.find(join(dir, "a", "b"));
    expect(found.root).toBe(dir);
    expect(found.packageJson).toStrictEqual({ name: "p" });
    const bare = join(tmpdir(), "..", "..");
    expect(Project.find(bare).root).toBe(resolve(bare));
    expect(Project.find(bare).packageJson).toBeUndefined();
  });

  it("refuses a package.json that is not JSON, naming it", () => {
    const dir = folder({ "package.json": "{name" });
    expect(() => Project.find(dir)).toThrow(CliError);
    expect(() => Project.find(dir)).toThrow(
      new RegExp(`^${join(dir, "package.json")} is not valid JSON: \\S`),
    );
    try {
      Project.find(dir);
    } catch (error) {
      expect((error as CliError).exitCode).toBe(ExitCode.Usage);
    }
  });

  it("searches examples, filters and the folders package.json adds, once each", () => {
    expect(DEFAULT_FILTER_DIRS).toStrictEqual(["examples", "filters"]);
    const dirs = (meshwasm: unknown) =>
      Project.find(folder({ "package.json": JSON.stringify({ meshwasm }) })).filterDirs;
    expect(dirs(undefined)).toStrictEqual(["examples", "filters"]);
    expect(dirs({ filterDirs: ["src/f", 3, "filters", "src/f"] })).toStrictEqual([
      "examples",
      "filters",
      "src/f",
    ]);
    expect(dirs({ filterDirs: "src/f" })).toStrictEqual(["examples", "filters"]);
    expect(Project.find(folder()).filterDirs).toStrictEqual(["examples", "filters"]);
  });

  it("finds every filter with an assembly/index.ts, by folder then name", () => {
    const dir = folder({
      "package.json": JSON.stringify({ meshwasm: { filterDirs: ["more"] } }),
      "filters/zeta/assembly/index.ts": FILTER,
      "filters/alpha/assembly/index.ts": FILTER,
      "filters/notes/README.md": "not a filter",
      "examples/hello/assembly/index.ts": FILTER,
      "more/extra/assembly/index.ts": FILTER,
    });
    const project = Project.find(dir);
    expect(project.filters()).toStrictEqual([
      {
        name: "hello",
        dir: "examples",
        entry: join(dir, "examples/hello/assembly/index.ts"),
        folder: join(dir, "examples/hello"),
      },
      {
        name: "alpha",
        dir: "filters",
        entry: join(dir, "filters/alpha/assembly/index.ts"),
        folder: join(dir, "filters/alpha"),
      },
      {
        name: "zeta",
        dir: "filters",
        entry: join(dir, "filters/zeta/assembly/index.ts"),
        folder: join(dir, "filters/zeta"),
      },
      {
        name: "extra",
        dir: "more",
        entry: join(dir, "more/extra/assembly/index.ts"),
        folder: join(dir, "more/extra"),
      },
    ]);
    expect(project.select([]).map((f) => f.name)).toStrictEqual([
      "hello",
      "alpha",
      "zeta",
      "extra",
    ]);
    expect(project.select(["zeta", "hello"]).map((f) => f.name)).toStrictEqual(["zeta", "hello"]);
    // Called through the prototype: the mutation set-up takes a file with the method's plain
    // call for one that reads the project's built filters and builds them first
    // (test/mutate/modules-used.ts); this one reads none.
    expect(Project.prototype.wasmPath.call(project, "zeta")).toBe(join(dir, "build", "zeta.wasm"));
    expect(project.rel(join(dir, "filters", "zeta"))).toBe("filters/zeta");
    expect(project.rel(dir)).toBe(".");
  });

  it("names unknown filters, the folders searched and the known ones", () => {
    const dir = folder({
      "package.json": "{}",
      "filters/a/assembly/index.ts": FILTER,
      "filters/b2/assembly/index.ts": FILTER,
    });
    const project = Project.find(dir);
    try {
      project.select(["a", "b", "c"]);
      throw new Error("expected a usage error");
    } catch (error) {
      expect((error as CliError).exitCode).toBe(ExitCode.Usage);
      expect((error as CliError).message).toBe('no filter named "b", "c" in examples, filters');
      expect((error as CliError).hint).toBe(
        "known filters: a, b2. Create one with `meshwasm new <name>`.",
      );
    }
    const none = (() => {
      try {
        Project.find(folder({ "package.json": "{}" })).select(["x"]);
      } catch (error) {
        return error as CliError;
      }
    })();
    expect(none?.hint).toBe("known filters: none. Create one with `meshwasm new <name>`.");
  });

  it("knows the meshwasm repository by its name and its assembly folder", () => {
    expect(Project.find(REPO).isMeshwasmItself).toBe(true);
    expect(Project.find(folder({ "package.json": '{"name":"meshwasm"}' })).isMeshwasmItself).toBe(
      false,
    );
    expect(
      Project.find(folder({ "package.json": '{"name":"other"}', assembly: null })).isMeshwasmItself,
    ).toBe(false);
    expect(Project.find(folder({ assembly: null })).isMeshwasmItself).toBe(false);
  });

  it("knows its own package folder and version", () => {
    expect(packageRoot).toBe(REPO);
    expect(packageVersion()).toBe(readJson(join(REPO, "package.json")).version);
  });
});

describe("scaffold", () => {
  const input: ScaffoldInput = {
    name: "my-filter",
    sdk: "SDK-PATH",
    wasmFromTest: "WASM-FROM-TEST",
    wasmFromRoot: "WASM-FROM-ROOT",
    folder: "FOLDER",
    cli: "CLI-RUN",
  };
  // Made in each test, not while the file is collected: a mutation run credits what runs during
  // collection to no test, and runs only the tests it credits.
  const files = () => filterFiles(input);

  it("takes names of a lower-case letter, then letters, digits and dashes, up to 63", () => {
    for (const ok of ["a", "my-filter", "f2", `a${"b".repeat(62)}`])
      expect(FILTER_NAME.test(ok)).toBe(true);
    for (const bad of ["", "2f", "-a", "My", "a_b", "a.b", `a${"b".repeat(63)}`, "a\n"])
      expect(FILTER_NAME.test(bad)).toBe(false);
    expect(metricPrefix("my-own-filter")).toBe("my_own_filter");
  });

  it("writes the six files of a filter", () => {
    expect(Object.keys(files())).toStrictEqual([
      "assembly/index.ts",
      "assembly/tsconfig.json",
      "test/my-filter.test.ts",
      "schema.json",
      "envoy.yaml",
      "README.md",
    ]);
    expect(JSON.parse(files()["assembly/tsconfig.json"] as string)).toStrictEqual({
      extends: "assemblyscript/std/assembly.json",
      include: ["./**/*.ts"],
    });
    for (const text of Object.values(files())) expect(text.endsWith("\n")).toBe(true);
  });

  it("a source that imports the SDK given, with the filter's defaults and metric", () => {
    const source = files()["assembly/index.ts"] as string;
    expect(source).toMatch(/^\/\/ my-filter: adds a response header/);
    expect(source).toContain('registerRootContext } from "SDK-PATH";');
    expect(source).toContain('export * from "SDK-PATH/exports";');
    expect(source).toContain('new Counter("my_filter_requests")');
    expect(source).toContain('header: string = "x-my-filter";');
    expect(source).toContain('config.headerName("header", "x-my-filter")');
    expect(source).toContain(
      'registerRootContext((id: u32): RootContext => new Root(id), "my-filter");',
    );
  });

  it("a test that loads the module by the path given", () => {
    const test = files()["test/my-filter.test.ts"] as string;
    expect(test).toContain('new URL("WASM-FROM-TEST", import.meta.url)');
    expect(test).toContain('describe("my-filter", () => {');
    expect(test).toContain('rootId: "my-filter"');
    expect(test).toContain('host.counter("my_filter_requests")');
    expect(test).toContain('it("sets x-my-filter: on when there is no configuration"');
  });

  it("a schema Ajv compiles strictly, each field described with examples it accepts", () => {
    const schema = JSON.parse(files()["schema.json"] as string);
    const ajv = new Ajv2020({ strict: true });
    // The draft Ajv2020 reads, named so editors pick the same one.
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    const validate = ajv.compile(schema);
    expect(schema.examples.length).toBeGreaterThan(0);
    for (const example of schema.examples) expect(validate(example)).toBe(true);
    expect(validate({ colour: "red" })).toBe(false);
    expect(validate({ header: "" })).toBe(false);
    expect(validate({ header: 1 })).toBe(false);
    expect(validate({ value: 1 })).toBe(false);
    expect(validate([])).toBe(false);
    for (const [field, property] of Object.entries(schema.properties) as [
      string,
      { description: string; examples: unknown[]; default: unknown },
    ][]) {
      expect(property.description, field).toMatch(/^[A-Z].{5,}\.$/);
      expect(property.examples.length, field).toBeGreaterThan(0);
      for (const example of property.examples) {
        expect(typeof example === "string" && example.length > 0, field).toBe(true);
        expect(validate({ [field]: example }), field).toBe(true);
      }
      expect(validate({ [field]: property.default }), field).toBe(true);
    }
  });

  it("a schema with the filter's defaults", () => {
    const schema = JSON.parse(files()["schema.json"] as string);
    expect(schema.title).toBe("my-filter configuration");
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.header.default).toBe("x-my-filter");
    expect(schema.properties.value.default).toBe("on");
    expect(schema.examples).toStrictEqual([{ header: "x-greeting", value: "hello" }]);
  });

  it("an Envoy configuration that runs the module from the project root", () => {
    const yaml = files()["envoy.yaml"] as string;
    expect(yaml).toContain("-c FOLDER/envoy.yaml\n");
    expect(yaml).toContain("  - name: my-filter\n");
    expect(yaml).toContain("root_id: my-filter\n");
    expect(yaml).toContain("vm_id: my-filter\n");
    expect(yaml).toContain(`value: '{"header": "x-my-filter", "value": "on"}'`);
    expect(yaml).toContain("code: { local: { filename: WASM-FROM-ROOT } }");
  });

  it("a README with the commands of the CLI as the project runs it", () => {
    const readme = files()["README.md"] as string;
    expect(readme).toMatch(/^# my-filter\n/);
    expect(readme).toContain("the metric `my_filter_requests`");
    expect(readme).toContain("CLI-RUN build my-filter     # → WASM-FROM-ROOT");
    expect(readme).toContain("runs FOLDER/test on the meshwasm test host");
    expect(readme).toContain('"$(CLI-RUN envoy path)" -c FOLDER/envoy.yaml');
    expect(readme).toContain("grep my_filter_requests");
  });

  it("the project files: a vitest config and a .gitignore", () => {
    expect(VITEST_CONFIG).toContain('include: ["**/test/**/*.test.ts"]');
    expect(GITIGNORE).toBe("node_modules/\nbuild/\n");
  });
});

describe("meshwasm new", () => {
  it("in a user's project: the filter, scripts, a vitest config and a .gitignore", async () => {
    const dir = folder({
      "package.json": JSON.stringify({
        name: "user",
        scripts: { test: 'echo "Error: no test specified" && exit 1', build: "tsc" },
      }),
    });
    const run = await cli(["new", "edge-tag", "--json"], { cwd: dir });
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toStrictEqual({
      name: "edge-tag",
      folder: "filters/edge-tag",
      created: [
        "filters/edge-tag/assembly/index.ts",
        "filters/edge-tag/assembly/tsconfig.json",
        "filters/edge-tag/test/edge-tag.test.ts",
        "filters/edge-tag/schema.json",
        "filters/edge-tag/envoy.yaml",
        "filters/edge-tag/README.md",
        "vitest.config.mts",
        ".gitignore",
      ],
      updated: ["package.json"],
      next: ["npx meshwasm test", "npx meshwasm run edge-tag"],
    });
    const pkg = readJson(join(dir, "package.json"));
    expect(pkg.scripts).toStrictEqual({
      test: "meshwasm test",
      build: "tsc",
      start: "meshwasm run edge-tag",
    });
    expect(pkg.meshwasm).toBeUndefined();
    const source = readFileSync(join(dir, "filters/edge-tag/assembly/index.ts"), "utf8");
    expect(source).toContain('from "meshwasm/assembly"');
    expect(readFileSync(join(dir, "filters/edge-tag/test/edge-tag.test.ts"), "utf8")).toContain(
      'new URL("../../../build/edge-tag.wasm", import.meta.url)',
    );
    expect(readFileSync(join(dir, "filters/edge-tag/envoy.yaml"), "utf8")).toContain(
      "filename: build/edge-tag.wasm",
    );
    expect(readFileSync(join(dir, "filters/edge-tag/README.md"), "utf8")).toContain(
      "npx meshwasm build edge-tag",
    );
    expect(readFileSync(join(dir, "vitest.config.mts"), "utf8")).toBe(VITEST_CONFIG);
    expect(readFileSync(join(dir, ".gitignore"), "utf8")).toBe(GITIGNORE);
    expect(run.stderr).toBe("");
  });

  it("prints what it made and what to run next", async () => {
    const dir = folder({ "package.json": '{"name":"user","scripts":{"test":"vitest"}}' });
    const run = await cli(["new", "tag"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      [
        "✔ created filters/tag/",
        "  filters/tag/assembly/index.ts",
        "  filters/tag/assembly/tsconfig.json",
        "  filters/tag/test/tag.test.ts",
        "  filters/tag/schema.json",
        "  filters/tag/envoy.yaml",
        "  filters/tag/README.md",
        "  vitest.config.mts",
        "  .gitignore",
        "  package.json (scripts)",
        "",
        "Next:",
        "  npx meshwasm test            build it and run its tests",
        "  npx meshwasm run tag   serve it in Envoy at http://127.0.0.1:10000",
        "",
      ].join("\n"),
    );
    // The user's own test script stays.
    expect(readJson(join(dir, "package.json")).scripts.test).toBe("vitest");
  });

  it("leaves a package.json with every script alone, and keeps a vitest config and .gitignore", async () => {
    const pkg = { name: "user", scripts: { build: "b", test: "t", start: "s" } };
    const dir = folder({
      "package.json": JSON.stringify(pkg),
      "vite.config.js": "// mine",
      ".gitignore": "mine\n",
    });
    const run = await cli(["new", "tag", "--json"], { cwd: dir });
    const result = JSON.parse(run.stdout);
    expect(result.updated).toStrictEqual([]);
    expect(result.created).not.toContain("vitest.config.mts");
    expect(result.created).not.toContain(".gitignore");
    expect(readJson(join(dir, "package.json"))).toStrictEqual(pkg);
    expect(readFileSync(join(dir, ".gitignore"), "utf8")).toBe("mine\n");
    // Every name vitest loads a config by: a second config beside the user's would replace it.
    for (const config of ["vitest.config", "vite.config"].flatMap((base) =>
      ["ts", "mts", "cts", "js", "mjs", "cjs"].map((ext) => `${base}.${ext}`),
    )) {
      const other = folder({ "package.json": JSON.stringify(pkg), [config]: "// mine" });
      const made = JSON.parse((await cli(["new", "tag", "--json"], { cwd: other })).stdout);
      expect(made.created, config).not.toContain("vitest.config.mts");
      expect(existsSync(join(other, "vitest.config.mts")), config).toBe(
        config === "vitest.config.mts",
      );
      expect(readFileSync(join(other, config), "utf8")).toBe("// mine");
    }
  });

  it("makes a package.json in a folder without one", async () => {
    const dir = folder({ "x/.keep": "" });
    const run = await cli(["new", "tag", "--json"], { cwd: dir });
    expect(run.code).toBe(0);
    // The nearest package.json above the scratch folder decides: there is none.
    const root = Project.find(dir).root;
    if (root !== dir) return;
    expect(readJson(join(dir, "package.json"))).toStrictEqual({
      name: relative(join(dir, ".."), dir),
      private: true,
      scripts: { build: "meshwasm build", test: "meshwasm test", start: "meshwasm run tag" },
    });
  });

  it("adds another folder to package.json's filterDirs, keeping those listed", async () => {
    const dir = folder({
      "package.json": JSON.stringify({
        name: "user",
        scripts: { build: "b", test: "t", start: "s" },
        meshwasm: { filterDirs: ["filters", "lib/f"], other: 1 },
      }),
    });
    const run = await cli(["new", "tag", "--dir", "src/filters//", "--json"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).folder).toBe("src/filters/tag");
    expect(JSON.parse(run.stdout).updated).toStrictEqual(["package.json"]);
    expect(readJson(join(dir, "package.json")).meshwasm).toStrictEqual({
      filterDirs: ["lib/f", "src/filters"],
      other: 1,
    });
    expect(existsSync(join(dir, "src/filters/tag/assembly/index.ts"))).toBe(true);
    // Listed already: nothing to add.
    const again = await cli(["new", "tag2", "--dir", "lib/f", "--json"], { cwd: dir });
    expect(JSON.parse(again.stdout).updated).toStrictEqual([]);
    // A default folder is never listed.
    const examples = await cli(["new", "tag3", "--dir", "examples", "--json"], { cwd: dir });
    expect(JSON.parse(examples.stdout).updated).toStrictEqual([]);
  });

  it("in the meshwasm repository: the SDK by relative path, package.json left alone", async () => {
    const dir = folder({ "package.json": '{"name":"meshwasm"}', assembly: null });
    const run = await cli(["new", "tag", "--json"], { cwd: dir });
    const result = JSON.parse(run.stdout);
    expect(result.updated).toStrictEqual([]);
    expect(result.created).toHaveLength(6);
    expect(result.next).toStrictEqual(["npm run meshwasm -- test", "npm run meshwasm -- run tag"]);
    expect(readJson(join(dir, "package.json"))).toStrictEqual({ name: "meshwasm" });
    const sdk = relative(join(dir, "filters/tag/assembly"), join(REPO, "assembly"));
    expect(readFileSync(join(dir, "filters/tag/assembly/index.ts"), "utf8")).toContain(
      `export * from "${sdk}/exports";`,
    );
    expect(readFileSync(join(dir, "filters/tag/README.md"), "utf8")).toContain(
      "npm run meshwasm -- build tag",
    );
    expect(run.stderr).toBe("");
    const elsewhere = await cli(["new", "tag2", "--dir", "src"], { cwd: dir });
    expect(elsewhere.stderr).toBe(
      "warning: src/ is not searched for filters in this repository; use --dir filters or --dir examples\n",
    );
  });

  it("refuses a bad name, a folder outside the project, and a name that is taken", async () => {
    const dir = folder({
      "package.json": "{}",
      "examples/taken/assembly/index.ts": FILTER,
      "filters/here": null,
    });
    const refused = async (args: string[], message: string, hint: string) => {
      const run = await cli(["new", ...args], { cwd: dir });
      expect(run.code, args.join(" ")).toBe(ExitCode.Usage);
      expect(run.stderr, args.join(" ")).toBe(`error: ${message}\nhint: ${hint}\n`);
    };
    await refused(
      ["Bad_Name"],
      '"Bad_Name" is not a valid filter name',
      "use lower-case letters, digits and dashes, starting with a letter (e.g. my-filter)",
    );
    for (const bad of ["/abs", "a/../..", "..", "/", ""]) {
      await refused(
        ["x", "--dir", bad],
        `--dir "${bad}" must be a folder inside the project`,
        "e.g. --dir filters",
      );
    }
    await refused(
      ["here"],
      "filters/here already exists",
      "choose another name, or remove the folder first",
    );
    await refused(
      ["taken"],
      'a filter named "taken" already exists in examples/ (modules are build/<name>.wasm, so names are unique)',
      "choose another name",
    );
    expect(existsSync(join(dir, "filters", "x"))).toBe(false);
  });
});

describe("the program", () => {
  it("lists every command in help order and exits 0 for help and the version", async () => {
    const help = await cli(["--help"]);
    expect(help.code).toBe(ExitCode.Ok);
    const listed = [...help.stdout.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]);
    expect(listed).toStrictEqual([
      "new",
      "build",
      "check",
      "test",
      "run",
      "demo",
      "envoy",
      "package",
      "push",
      "manifest",
      "envoy-config",
      "help",
    ]);
    expect(help.stdout).toContain(
      "build, test and run Envoy/Istio HTTP filters written in AssemblyScript",
    );
    const version = await cli(["-v"]);
    expect(version).toStrictEqual({ code: 0, stdout: `${packageVersion()}\n`, stderr: "" });
    expect((await cli(["--version"])).stdout).toBe(`${packageVersion()}\n`);
    const sub = await cli(["new", "--help"]);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain("meshwasm new my-filter");
  });

  it("exits 2 for a usage mistake, suggesting the command meant, in each subcommand too", async () => {
    const typo = await cli(["biuld"]);
    expect(typo.code).toBe(ExitCode.Usage);
    expect(typo.stderr).toContain("unknown command 'biuld'");
    expect(typo.stderr).toContain("(Did you mean build?)");
    expect(typo.stdout).toBe("");
    const option = await cli(["new", "x", "--dri", "y"]);
    expect(option.code).toBe(ExitCode.Usage);
    expect(option.stderr).toContain("unknown option '--dri'");
    expect(option.stderr).toContain("(Did you mean --dir?)");
  });

  it("prints a CliError's message and hint and exits with its code", async () => {
    const dir = folder({ "package.json": "{" });
    const run = await cli(["new", "x"], { cwd: dir });
    expect(run.code).toBe(ExitCode.Usage);
    expect(run.stderr).toMatch(/^error: \S+package\.json is not valid JSON: /);
  });

  it("reports anything else as a failure of meshwasm itself, with its stack", async () => {
    const dir = folder({ "package.json": "{}", filters: "a file where a folder should be" });
    const run = await cli(["new", "x"], { cwd: dir });
    expect(run.code).toBe(ExitCode.Internal);
    expect(run.stderr).toMatch(/^error: meshwasm failed unexpectedly: Error: ENOTDIR/);
    expect(run.stderr).toContain("    at ");
  });

  it("returns the exit code a command set, and resets it", async () => {
    process.exitCode = 5;
    const dir = folder({ "bad.wasm": "not a module" });
    const missing = await cli(["check", join(dir, "none.wasm")], { cwd: dir });
    expect(missing.code).toBe(ExitCode.Usage);
    expect(process.exitCode).toBeUndefined();
    const failed = await cli(["check", "bad.wasm"], { cwd: dir });
    expect(failed.code).toBe(ExitCode.Failed);
    expect(process.exitCode).toBeUndefined();
  });

  it("takes the process's environment when given none", async () => {
    const saved = process.env.ENVOY_BIN;
    process.env.ENVOY_BIN = envoyBinary(process.env);
    try {
      let text = "";
      const stdout = new Writable({
        write(chunk, _encoding, done) {
          text += String(chunk);
          done();
        },
      });
      const code = await run(["envoy", "setup", "--json"], {
        cwd: scratch,
        out: new Output({ stdout, stderr: stdout }, {}),
      });
      expect(code).toBe(ExitCode.Ok);
      expect(JSON.parse(text).source).toBe("ENVOY_BIN");
    } finally {
      if (saved === undefined) delete process.env.ENVOY_BIN;
      else process.env.ENVOY_BIN = saved;
    }
  });

  it("gives each command the context: its folder, its environment, its arguments, one project", () => {
    const out = { marker: 1 } as never;
    const dir = folder({ "package.json": '{"name":"ctx"}' });
    const signal = new AbortController().signal;
    const ctx = createContext(out, dir, { A: "1" }, ["build", "x"], signal);
    expect(ctx.out).toBe(out);
    expect(ctx.cwd).toBe(dir);
    expect(ctx.env).toStrictEqual({ A: "1" });
    expect(ctx.argv).toStrictEqual(["build", "x"]);
    expect(ctx.signal).toBe(signal);
    expect(ctx.project().root).toBe(dir);
    expect(ctx.project()).toBe(ctx.project());
    const plain = createContext(out, dir, {});
    expect(plain.argv).toStrictEqual([]);
    expect("signal" in plain).toBe(false);
  });

  it("documents every command, argument and option, with examples", async () => {
    const program = createProgram(createContext({ raw: () => {} } as never, scratch, {}));
    const all = (command: Command): Command[] => [command, ...command.commands.flatMap(all)];
    for (const command of all(program)) {
      const name = command.name();
      expect(command.description().trim().length, name).toBeGreaterThan(10);
      for (const argument of command.registeredArguments) {
        expect(argument.description.trim().length, `${name} ${argument.name()}`).toBeGreaterThan(3);
      }
      for (const argument of command.registeredArguments) {
        expect(argument.name(), name).toMatch(/^[a-z][a-z-]*$/);
      }
      for (const option of command.options) {
        const what = `${name} ${option.flags}`;
        expect(option.description.trim().length, what).toBeGreaterThan(3);
        expect(option.long, what).toMatch(/^--[a-z][a-z-]*$/);
        // A flag is off unless given; a default value says something; a choice is a word.
        if (option.isBoolean() && !option.negate)
          expect(option.defaultValue ?? false, what).toBe(false);
        if (typeof option.defaultValue === "string")
          expect(option.defaultValue, what).toMatch(/^\S+$/);
        if (option.argChoices !== undefined) {
          expect(option.argChoices.length, what).toBeGreaterThan(1);
          for (const choice of option.argChoices) expect(choice, what).toMatch(/^[A-Za-z0-9_-]+$/);
        }
      }
    }
    // `demo` is its own example.
    for (const command of program.commands.filter((c) => c.name() !== "demo")) {
      const path = command.name() === "envoy" ? ["envoy", "setup"] : [command.name()];
      const help = await cli([...path, "--help"]);
      expect(help.stdout, path.join(" ")).toMatch(/\nExamples?:\n {2}meshwasm \S/);
      expect(help.stdout, path.join(" ")).toContain(`meshwasm ${path.join(" ")}`);
    }
  });

  it("applies its settings to every command", () => {
    const ctx = createContext({ raw: () => {} } as never, scratch, {});
    const program = createProgram(ctx);
    expect(program.name()).toBe("meshwasm");
    expect(program.commands).toHaveLength(commands.length);
    for (const sub of program.commands) {
      expect(sub).toBeInstanceOf(Command);
      expect(() => sub.parse(["--no-such-option"], { from: "user" }), sub.name()).toThrow();
    }
  });
});

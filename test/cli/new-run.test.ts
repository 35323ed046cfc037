// meshwasm new (in this repository and in a user's project) and meshwasm run (real Envoy).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { filterConfigurations, startFailure } from "../../src/cli/commands/run.ts";
import { findVitest } from "../../src/cli/commands/test.ts";
import { parseEnvoyLogLine } from "../../src/cli/envoy-log.ts";
import { ExitCode } from "../../src/cli/errors.ts";
import { envoyBinary } from "../../src/envoy/binary.ts";
import { EnvoyStartError } from "../../src/envoy/runner.ts";
import { cli, tempProject } from "./helpers.ts";

const repo = resolve(".");

describe("meshwasm new in this repository", { timeout: 600_000 }, () => {
  const name = `scaffold-${process.pid}`;
  const folder = join(repo, "filters", name);
  afterAll(() => {
    rmSync(folder, { recursive: true, force: true });
    rmSync(join(repo, "build", `${name}.wasm`), { force: true });
  });

  it("writes a filter that builds, passes its own tests, and whose envoy.yaml Envoy accepts", async () => {
    const created = await cli(["new", name, "--json"], { cwd: repo });
    expect(created.code).toBe(0);
    const result = JSON.parse(created.stdout) as { created: string[]; updated: string[] };
    expect(result.created).toContain(`filters/${name}/assembly/index.ts`);
    expect(result.updated).toEqual([]); // the repository's package.json is left alone
    expect(readFileSync(join(folder, "assembly", "index.ts"), "utf8")).toContain(
      'from "../../../assembly"',
    );

    const built = await cli(["build", name], { cwd: repo });
    expect(built.code).toBe(0);

    const vitest = findVitest(repo);
    const tests = spawnSync(process.execPath, [vitest, "run", `filters/${name}/test/`], {
      cwd: repo,
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1" },
    });
    expect(tests.stdout).toMatch(/Tests\s+3 passed \(3\)/);
    expect(tests.status).toBe(0);

    const validate = spawnSync(
      envoyBinary(),
      ["--mode", "validate", "-c", `filters/${name}/envoy.yaml`],
      { cwd: repo, encoding: "utf8" },
    );
    expect(`${validate.stdout}${validate.stderr}`).toMatch(/configuration .* OK/);
    expect(validate.status).toBe(0);
  });

  it("refuses a name that is taken or not a valid filter name (exit 2)", async () => {
    const taken = await cli(["new", "hello"], { cwd: repo });
    expect(taken.code).toBe(2);
    expect(taken.stderr).toMatch(/a filter named "hello" already exists in examples\//);
    const bad = await cli(["new", "My_Filter"], { cwd: repo });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/"My_Filter" is not a valid filter name/);
  });
});

describe("meshwasm new in a user's project", () => {
  it("adds the scripts a user needs, keeps theirs, and remembers a custom folder", async () => {
    const project = tempProject();
    try {
      const pkgPath = join(project.dir, "package.json");
      const pkg = {
        name: "mine",
        scripts: { test: 'echo "Error: no test specified" && exit 1', start: "node server.js" },
      };
      writeFileSync(pkgPath, JSON.stringify(pkg));
      const run = await cli(["new", "edge-auth", "--dir", "src/filters"], { cwd: project.dir });
      expect(run.code).toBe(0);
      const written = JSON.parse(readFileSync(pkgPath, "utf8")) as {
        scripts: Record<string, string>;
        meshwasm: { filterDirs: string[] };
      };
      expect(written.scripts).toEqual({
        test: "meshwasm test",
        start: "node server.js",
        build: "meshwasm build",
      });
      expect(written.meshwasm.filterDirs).toEqual(["src/filters"]);
      expect(existsSync(join(project.dir, "src/filters/edge-auth/assembly/index.ts"))).toBe(true);
      expect(existsSync(join(project.dir, "vitest.config.mts"))).toBe(true);
      expect(
        readFileSync(join(project.dir, "src/filters/edge-auth/assembly/index.ts"), "utf8"),
      ).toContain('from "meshwasm/assembly"');
      // The new folder is searched from now on: the filter is known by name.
      const unknown = await cli(["build", "nope"], { cwd: project.dir });
      expect(unknown.stderr).toMatch(/known filters: edge-auth/);
    } finally {
      project.remove();
    }
  });
});

describe("meshwasm run", { timeout: 600_000 }, () => {
  const common = ["--port", "0", "--admin-port", "0"];

  it("serves a filter in Envoy, answers --request paths, prints the filter's log and metrics", async () => {
    const run = await cli(
      [
        "run",
        "hello",
        "--config",
        '{"header":"x-run","value":"yes"}',
        ...common,
        "--request",
        "/a/b",
      ],
      { cwd: repo },
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/listener {2}http:\/\/127\.0\.0\.1:\d+/);
    expect(run.stdout).toMatch(/admin {5}http:\/\/127\.0\.0\.1:\d+/);
    expect(run.stdout).toContain("GET /a/b -> 200, x-run: yes");
    expect(run.stdout).toContain("upstream saw GET /a/b");
    expect(run.stdout).toContain("[hello] hello configured: x-run: yes");
    expect(run.stdout).toMatch(/^ {2}hello_requests\{\} 1$/m);
  });

  it("runs until stopped, then stops Envoy and the upstream (exit 0)", async () => {
    const stop = new AbortController();
    let output = "";
    const done = cli(["run", "hello", ...common, "--json"], {
      cwd: repo,
      signal: stop.signal,
      onStdout: (t) => {
        output += t;
      },
    });
    let ready: { listener: string } | undefined;
    for (let i = 0; i < 1200 && !ready; i++) {
      const line = output.split("\n").find((l) => l.includes('"event":"ready"'));
      if (line) ready = JSON.parse(line) as { listener: string };
      else await new Promise((r) => setTimeout(r, 100));
    }
    expect(ready).toBeDefined();
    const res = await fetch(`${ready?.listener}/x`);
    expect(res.headers.get("x-hello")).toBe("world");
    stop.abort();
    const run = await done;
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split("\n").at(-1)).toBe('{"event":"stopped"}');
    await expect(fetch(`${ready?.listener}/x`)).rejects.toThrow();
  });

  it("quotes the filter's own error when Envoy refuses its configuration (exit 1)", async () => {
    const run = await cli(["run", "hello", "--config", '{"header": 42}', ...common], { cwd: repo });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Envoy refused to start the filter/);
    expect(run.stderr).toMatch(/invalid configuration: field "header": expected a string, got 42/);
    expect(run.stderr).toMatch(/hint: .*--config/);
  });
});

describe("meshwasm run's pieces", () => {
  it("gives one filter the whole --config and several filters their own by name", () => {
    expect(filterConfigurations(["a"], '{"x":1}', repo).get("a")).toBe('{"x":1}');
    const two = filterConfigurations(["a", "b"], '{"b":{"y":2}}', repo);
    expect(two.get("b")).toBe('{"y":2}');
    expect(two.has("a")).toBe(false);
    expect(() => filterConfigurations(["a", "b"], '{"c":{}}', repo)).toThrow(
      /names "c", which is not among/,
    );
    expect(() => filterConfigurations(["a"], "{nope", repo)).toThrow(/not valid JSON/);
    expect(() => filterConfigurations(["a"], "missing.json", repo)).toThrow(
      /--config missing.json/,
    );
  });

  it("says why Envoy did not start: the ports in use, the filter refused, or Envoy's own words", () => {
    const failure = (logs: string, message = "Envoy exited during start") =>
      startFailure(new EnvoyStartError(message, 1, { code: 1, signal: null }, logs), {
        port: 10000,
        adminPort: 9901,
      });

    for (const busy of [
      "[critical][main] cannot bind '127.0.0.1:10000'",
      "Address already in use",
    ]) {
      const error = failure(`[info][main] starting\n${busy}`);
      expect(error.exitCode).toBe(ExitCode.Usage);
      expect(error.message).toBe(
        "Envoy could not listen: port 10000 or 9901 is in use\nEnvoy exited during start",
      );
      expect(error.hint).toMatch(/--port and --admin-port \(0 picks a free one\)/);
    }

    // The filter refused: its own log lines, the last eight, and nothing of Envoy's others.
    const wasmLines = Array.from({ length: 10 }, (_, i) => `[error][wasm] wasm log f: line ${i}`);
    const refused = failure(
      [
        "[info][main] starting",
        ...wasmLines,
        "[critical][main] Unable to create Wasm HTTP filter",
      ].join("\n"),
    );
    expect(refused.exitCode).toBe(ExitCode.Failed);
    expect(refused.message).toBe(
      `Envoy refused to start the filter:\n${wasmLines.slice(2).join("\n")}`,
    );
    expect(refused.hint).toMatch(/the filter's own log: fix the configuration \(--config\)/);
    for (const words of [
      "Failed to load Wasm module",
      "wasm vm load failed",
      "Wasm code refused",
    ]) {
      expect(failure(`[error][config] invalid configuration: x\n${words}`).message).toBe(
        "Envoy refused to start the filter:\n[error][config] invalid configuration: x",
      );
    }

    // Neither: Envoy's message, its first 12 lines.
    const long = Array.from({ length: 14 }, (_, i) => `message line ${i}`).join("\n");
    const other = failure("[critical][main] error initializing configuration 'x.yaml'", long);
    expect(other.exitCode).toBe(ExitCode.Failed);
    expect(other.message).toBe(
      `Envoy refused to start:\n${long.split("\n").slice(0, 12).join("\n")}`,
    );
    expect(other.hint).toBe("see Envoy's messages above");
  });

  it("shows a filter's log lines and Envoy's warnings, and nothing else", () => {
    expect(
      parseEnvoyLogLine("[info][wasm] wasm log my-filter my-filter my-filter: hello: a: b"),
    ).toEqual({
      level: "info",
      filter: "my-filter",
      message: "hello: a: b",
    });
    expect(parseEnvoyLogLine("[error][config] bad thing")).toEqual({
      level: "error",
      message: "bad thing",
    });
    expect(parseEnvoyLogLine("[info][main] starting main dispatch loop")).toBeUndefined();
    expect(parseEnvoyLogLine("[debug][wasm] VM created")).toBeUndefined();
  });
});

// The published package, as a user gets it: `npm pack`, then an empty project that installs
// the tarball and walks the README's quick start with the installed CLI: new, build, test, and
// run with one request answered through real Envoy. Also: what the tarball holds, and that
// plain Node and tsc (NodeNext) load the package's TypeScript entry points.
//
// The install fetches meshwasm's dependencies through npm (--prefer-offline: the cache that
// `npm ci` filled serves them); Envoy comes from the user cache that `npm test` set up.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve, sep } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const repo = resolve(".");
const work = mkdtempSync(join(tmpdir(), "meshwasm-package-"));
const project = join(work, "my-filters");
/** The tarball's contents (its `package/` folder), unpacked. */
const unpacked = join(work, "unpacked");
const timings: Array<{ step: string; seconds: number }> = [];
let tarball = "";
let packedFiles: string[] = [];
let running: ChildProcess | undefined;

/** The environment a user's shell would have: none of this test run's npm or vitest settings. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|VITEST|NODE_OPTIONS$|NODE_ENV$|TSX_|MESHWASM_TEST)/i.test(key)) continue;
    env[key] = value;
  }
  // npm and vitest put node_modules/.bin folders first on PATH (one of them holds an old npm).
  const path = (env.PATH ?? "")
    .split(delimiter)
    .filter((dir) => !dir.includes(`node_modules${sep}.bin`))
    .join(delimiter);
  return { ...env, PATH: path, NO_COLOR: "1", npm_config_audit: "false", npm_config_fund: "false" };
}

function step(name: string, command: string, args: string[], cwd: string, timeoutMs = 600_000) {
  const started = performance.now();
  const run = spawnSync(command, args, {
    cwd,
    env: userEnv(),
    encoding: "utf8",
    timeout: timeoutMs,
  });
  timings.push({ step: name, seconds: (performance.now() - started) / 1000 });
  const output = `${run.stdout ?? ""}${run.stderr ?? ""}`;
  if (run.status !== 0) {
    throw new Error(
      `${name}: \`${command} ${args.join(" ")}\` exited ${run.status}:\n${output.slice(-4000)}`,
    );
  }
  return { output, stdout: run.stdout ?? "" };
}

beforeAll(() => {
  mkdirSync(project);
  mkdirSync(unpacked);
  const { stdout } = step("npm pack", "npm", ["pack", "--json", "--pack-destination", work], repo);
  // The prepare script's output comes first; the report is the JSON array at the end.
  const report = JSON.parse(stdout.slice(stdout.lastIndexOf("\n[\n") + 1)) as Array<{
    filename: string;
    files: Array<{ path: string }>;
  }>;
  tarball = join(work, report[0]?.filename ?? "");
  packedFiles = (report[0]?.files ?? []).map((f) => f.path);
  const tar = spawnSync("tar", ["-xzf", tarball, "-C", unpacked]);
  if (tar.status !== 0) throw new Error(`tar -xzf ${tarball}: ${tar.stderr}`);
}, 600_000);

afterAll(() => {
  running?.kill("SIGKILL");
  const total = timings.reduce((sum, t) => sum + t.seconds, 0);
  const lines = timings.map((t) => `  ${t.step.padEnd(34)} ${t.seconds.toFixed(1).padStart(6)} s`);
  console.log(
    `user project path, wall time:\n${lines.join("\n")}\n  ${"total".padEnd(34)} ${total.toFixed(1).padStart(6)} s`,
  );
  mkdirSync(join(repo, "test", ".tmp"), { recursive: true });
  writeFileSync(
    join(repo, "test", ".tmp", "user-project-timing.json"),
    JSON.stringify({ timings, total }, null, 2),
  );
  rmSync(work, { recursive: true, force: true });
});

describe("the npm package", () => {
  it("holds the compiled tooling, the SDK sources and the build settings", () => {
    expect(existsSync(tarball)).toBe(true);
    for (const file of [
      "package.json",
      "README.md",
      "LICENSE",
      "asconfig.json",
      "envoy/ENVOY_VERSION",
      "dist/cli/main.js",
      "dist/testing/index.js",
      "dist/testing/index.d.ts",
      "dist/envoy/index.js",
      "dist/envoy/index.d.ts",
      "dist/build/compile.js",
      "assembly/index.ts",
      "assembly/exports.ts",
    ]) {
      expect(packedFiles, file).toContain(file);
    }
    const manifest = JSON.parse(readFileSync("package.json", "utf8")) as {
      bin: Record<string, string>;
      exports: Record<string, string | Record<string, string>>;
    };
    const targets = Object.values(manifest.exports).flatMap((t) =>
      typeof t === "string" ? [t] : Object.values(t),
    );
    for (const target of [...targets, ...Object.values(manifest.bin)]) {
      expect(packedFiles, target).toContain(target.replace(/^\.\//, ""));
    }
  });

  it("holds no tests, build output, Envoy binaries or secrets", () => {
    const offending = packedFiles.filter(
      (f) =>
        /(^|\/)(test|tests|__tests__|bench|examples|\.envoy|node_modules|\.tmp)\//.test(f) ||
        /^build\/|\.(test|spec)\.[cm]?[jt]s$|\.wasm$|\.wat$|\.tgz$|\.log$/.test(f) ||
        /(^|\/)(\.env(\..*)?|\.npmrc|id_rsa.*|.*\.pem|.*\.key|.*\.p12)$/.test(f),
    );
    expect(offending).toEqual([]);
    const secretLike =
      /-----BEGIN [A-Z ]*PRIVATE KEY-----|\bAKIA[0-9A-Z]{16}\b|\bgh[pousr]_[A-Za-z0-9]{36}\b/;
    const withSecrets = packedFiles.filter((f) =>
      secretLike.test(readFileSync(join(unpacked, "package", f), "utf8")),
    );
    expect(withSecrets).toEqual([]);
  });

  it("ships every file its compiled modules import (inside dist or beside it)", () => {
    const missing: string[] = [];
    let relative = 0;
    for (const file of packedFiles.filter((f) => /^dist\/.*\.js$/.test(f))) {
      const source = readFileSync(join(unpacked, "package", file), "utf8");
      for (const m of source.matchAll(/(?:\bfrom|\bimport\s*\(?)\s*["'](\.{1,2}\/[^"']+)["']/g)) {
        relative += 1;
        const target = join(dirname(file), m[1] ?? "");
        if (!packedFiles.includes(target)) missing.push(`${file} imports ${m[1]}`);
      }
    }
    expect(relative).toBeGreaterThan(50);
    expect(missing).toEqual([]);
  });
});

// Each step may take minutes on a loaded machine (installs, -O3 builds).
describe("an empty project that installs the package", { timeout: 900_000 }, () => {
  it("installs it; plain Node imports meshwasm/testing and meshwasm/envoy", () => {
    // As a user starts: `npm init -y` (npm 11 writes "type": "commonjs").
    step("npm init -y", "npm", ["init", "-y"], project);
    step(
      "npm install <tarball>",
      "npm",
      ["install", "--prefer-offline", "--no-audit", "--no-fund", tarball],
      project,
    );
    const probe = step(
      "node imports the entry points",
      process.execPath,
      [
        "--input-type=module",
        "-e",
        'const t = await import("meshwasm/testing"); const e = await import("meshwasm/envoy"); console.log(typeof t.createHost, typeof e.startEnvoy);',
      ],
      project,
    );
    expect(probe.stdout.trim()).toBe("function function");
  });

  it("type-checks against the package with tsc in NodeNext mode", () => {
    writeFileSync(
      join(project, "tsconfig.check.json"),
      JSON.stringify({
        compilerOptions: {
          module: "NodeNext",
          moduleResolution: "NodeNext",
          target: "ES2022",
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ["node"],
          typeRoots: [join(repo, "node_modules", "@types")],
        },
        files: ["check.mts"],
      }),
    );
    writeFileSync(
      join(project, "check.mts"),
      `import { createHost } from "meshwasm/testing";
import { buildBootstrap } from "meshwasm/envoy";
const host = await createHost({ module: "build/my-filter.wasm" });
export const status: number = (await host.request({ path: "/" })).status;
export const config: object = buildBootstrap({ upstream: { kind: "direct" } });
`,
    );
    const tsc = join(repo, "node_modules", "typescript", "bin", "tsc");
    step(
      "tsc (NodeNext) on the package types",
      process.execPath,
      [tsc, "-p", "tsconfig.check.json"],
      project,
    );
    rmSync(join(project, "check.mts"));
    rmSync(join(project, "tsconfig.check.json"));
  });

  it("creates a filter with `meshwasm new`, with the scripts and vitest config it needs", () => {
    const out = step(
      "npx meshwasm new my-filter",
      "npx",
      ["--no", "meshwasm", "new", "my-filter"],
      project,
    );
    expect(out.output).toMatch(/created filters\/my-filter\//);
    for (const file of [
      "assembly/index.ts",
      "test/my-filter.test.ts",
      "envoy.yaml",
      "README.md",
      "schema.json",
    ]) {
      expect(existsSync(join(project, "filters", "my-filter", file)), file).toBe(true);
    }
    expect(existsSync(join(project, "vitest.config.mts"))).toBe(true);
    const pkg = JSON.parse(readFileSync(join(project, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts).toMatchObject({
      build: "meshwasm build",
      test: "meshwasm test",
      start: "meshwasm run my-filter",
    });
  });

  it("builds it with `meshwasm build`", () => {
    const out = step("npx meshwasm build", "npx", ["--no", "meshwasm", "build"], project);
    expect(out.output).toMatch(/ok {4}build\/my-filter\.wasm/);
    expect(existsSync(join(project, "build", "my-filter.wasm"))).toBe(true);
  });

  it("passes its own tests with `meshwasm test`", () => {
    const out = step("npx meshwasm test", "npx", ["--no", "meshwasm", "test"], project);
    expect(out.output).toMatch(/Tests\s+3 passed \(3\)/);
    // Nothing to puzzle a new user: no warning from Vite about the config meshwasm wrote.
    expect(out.output).not.toMatch(/^\(!\)|configLoader/m);
  });

  it("serves it in real Envoy with `meshwasm run`, and stops on Ctrl-C", async () => {
    const started = performance.now();
    // The installed bin, as npx runs it, in a process group of its own: Ctrl-C in a terminal
    // signals the whole group (Envoy included), and so does this test.
    const bin = join(project, "node_modules", ".bin", "meshwasm");
    const args = ["run", "my-filter", "--port", "0", "--admin-port", "0", "--json"];
    const child = spawn(bin, args, {
      cwd: project,
      env: userEnv(),
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    running = child;
    let stdout = "";
    let stderr = "";
    child.stderr?.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const events: Array<Record<string, unknown>> = [];
    const exited = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
    const ready = new Promise<Record<string, unknown>>((resolveReady, reject) => {
      child.stdout?.on("data", (c: Buffer) => {
        stdout += c.toString();
        const lines = stdout.split("\n");
        stdout = lines.pop() ?? "";
        for (const line of lines) {
          const event = JSON.parse(line) as Record<string, unknown>;
          events.push(event);
          if (event.event === "ready") resolveReady(event);
        }
      });
      void exited.then((code) =>
        reject(new Error(`meshwasm run exited ${code} before ready:\n${stderr}`)),
      );
    });
    try {
      const event = await ready;
      const listener = String(event.listener);
      expect(listener).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(String(event.admin)).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${listener}/hello`);
      expect(res.status).toBe(200);
      expect(res.headers.get("x-my-filter")).toBe("on");
      const echoed = (await res.json()) as { path: string };
      expect(echoed.path).toBe("/hello");
      timings.push({
        step: "meshwasm run → first response",
        seconds: (performance.now() - started) / 1000,
      });
      process.kill(-(child.pid as number), "SIGINT");
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) process.kill(-(child.pid as number), "SIGKILL");
      running = undefined;
    }
    const logs = events
      .filter((e) => e.event === "log" && e.filter === "my-filter")
      .map((e) => String(e.message));
    expect(logs).toContain("my-filter configured: x-my-filter: on");
    expect(events.at(-1)).toEqual({ event: "stopped" });
  });
});

// meshwasm build, check and envoy, driven as a user would, in a temporary project.
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { pinnedEnvoyVersion } from "../../src/envoy/binary.ts";
import { cli, tempProject } from "./helpers.ts";

const GOOD = `import { Action, HttpContext, RootContext, registerRootContext } from "meshwasm/assembly";
export * from "meshwasm/assembly/exports";

class Root extends RootContext {
  createHttpContext(id: u32): HttpContext | null {
    return new Tag(id, this);
  }
}

class Tag extends HttpContext {
  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    this.response.headers.set("x-tag", "1");
    return Action.Continue;
  }
}

registerRootContext((id: u32): RootContext => new Root(id));
`;

// Line 3, column 7: an undefined name.
const BROKEN = `export * from "meshwasm/assembly/exports";

const x = notDefinedAnywhere + 1;
`;

const project = tempProject({
  "filters/good/assembly/index.ts": GOOD,
  "filters/broken/assembly/index.ts": BROKEN,
});
const scratch = mkdtempSync(join(tmpdir(), "meshwasm-cli-scratch-"));
afterAll(() => {
  project.remove();
  rmSync(scratch, { recursive: true, force: true });
});

describe("meshwasm build", { timeout: 300_000 }, () => {
  it("builds and checks the named filter, and reports it as JSON", async () => {
    const run = await cli(["build", "good", "--json"], { cwd: project.dir });
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as {
      ok: boolean;
      filters: Array<{ name: string; wasm: string; ok: boolean; bytes: number; errors: string[] }>;
    };
    expect(result.ok).toBe(true);
    expect(result.filters).toHaveLength(1);
    expect(result.filters[0]).toMatchObject({ name: "good", wasm: "build/good.wasm", ok: true });
    expect(result.filters[0]?.bytes).toBeGreaterThan(1000);
    expect(run.stderr).toMatch(/built 1 filter/);
  });

  it("writes to an --out folder given as an absolute path", async () => {
    const outDir = join(scratch, "abs-out");
    const run = await cli(["build", "good", "--out", outDir, "--json"], { cwd: project.dir });
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { ok: boolean; filters: Array<{ wasm: string }> };
    expect(result.ok).toBe(true);
    expect(result.filters[0]?.wasm).toBe(join(outDir, "good.wasm"));
    expect(statSync(join(outDir, "good.wasm")).size).toBeGreaterThan(1000);
  });

  it("points at the file, line and column of a compile error and exits 1", async () => {
    const run = await cli(["build", "broken"], { cwd: project.dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /filters\/broken\/assembly\/index\.ts:3:11: error TS2304: Cannot find name 'notDefinedAnywhere'/,
    );
    expect(run.stdout).toMatch(/FAIL {2}build\/broken\.wasm/);
  });

  it("names unknown filters and lists the known ones (exit 2)", async () => {
    const run = await cli(["build", "nope"], { cwd: project.dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/no filter named "nope"/);
    expect(run.stderr).toMatch(/known filters: broken, good/);
  });

  it("refuses an unknown option with a usage error (exit 2)", async () => {
    const run = await cli(["build", "--optimise", "O3"], { cwd: project.dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown option '--optimise'/);
  });
});

describe("meshwasm check", () => {
  it("refuses a file that is not a wasm module (exit 1)", async () => {
    const file = join(scratch, "not.wasm");
    writeFileSync(file, "hello");
    const run = await cli(["check", file, "--json"]);
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout) as { ok: boolean; modules: Array<{ errors: string[] }> };
    expect(result.ok).toBe(false);
    expect(result.modules[0]?.errors.length).toBeGreaterThan(0);
  });

  it("says what to do when the file is missing (exit 2)", async () => {
    const run = await cli(["check", join(scratch, "missing.wasm")]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/no such file or folder/);
    expect(run.stderr).toMatch(/meshwasm build/);
  });
});

describe("meshwasm envoy", () => {
  it("reports the pinned Envoy's version and path as JSON", async () => {
    const run = await cli(["envoy", "version", "--json"]);
    expect(run.code).toBe(0);
    const info = JSON.parse(run.stdout) as { version: string; pinned: string; path: string };
    expect(info.version).toBe(pinnedEnvoyVersion());
    expect(info.pinned).toBe(pinnedEnvoyVersion());
  });

  it("names ENVOY_BIN when it points nowhere (exit 3)", async () => {
    const run = await cli(["envoy", "version"], { env: { ENVOY_BIN: join(scratch, "no-envoy") } });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/ENVOY_BIN=.*no-envoy/);
  });

  it("tells how to install Envoy when the cache is empty (exit 3)", async () => {
    const run = await cli(["envoy", "version"], {
      env: { ENVOY_BIN: "", MESHWASM_CACHE_DIR: join(scratch, "empty-cache") },
    });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/not installed/);
    expect(run.stderr).toMatch(/meshwasm envoy setup/);
  });
});

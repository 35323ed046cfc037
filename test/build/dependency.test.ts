// A user's project that depends on meshwasm: the filter imports "meshwasm/assembly" and the
// build finds the SDK (and its abort/trace/seed replacements) under node_modules.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileFilter } from "../../src/build/compile.ts";
import { checkModule } from "../../src/check/surface.ts";
import { createHost } from "../../src/testing/index.ts";
import { readWasmModule } from "../../src/wasm/binary.ts";

const project = mkdtempSync(join(tmpdir(), "meshwasm-user-"));
afterAll(() => rmSync(project, { recursive: true, force: true }));

const FILTER = `import { Action, HttpContext, RootContext, registerRootContext } from "meshwasm/assembly";
export * from "meshwasm/assembly/exports";

class Root extends RootContext {
  createHttpContext(id: u32): HttpContext | null {
    return new Tag(id, this);
  }
}

class Tag extends HttpContext {
  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    this.response.headers.set("x-built-as", "dependency");
    return Action.Continue;
  }
}

registerRootContext((id: u32): RootContext => new Root(id));
`;

// Each case compiles with -O3: minutes on a loaded machine.
describe("building in a project that depends on meshwasm", { timeout: 300_000 }, () => {
  it("resolves the SDK under node_modules and makes an Envoy-clean module", async () => {
    mkdirSync(join(project, "node_modules"));
    mkdirSync(join(project, "assembly"));
    symlinkSync(resolve("."), join(project, "node_modules", "meshwasm"), "dir");
    writeFileSync(join(project, "assembly", "index.ts"), FILTER);

    const outFile = join(project, "build", "filter.wasm");
    await compileFilter({ entry: "assembly/index.ts", outFile, baseDir: project });

    const report = checkModule(readFileSync(outFile));
    expect([...report.errors, ...report.warnings]).toEqual([]);
    const host = await createHost({ module: outFile });
    const res = await host.request({ path: "/" });
    expect(res.headers["x-built-as"]).toBe("dependency");
    // The package's transform ran: only the per-stream callback the filter uses is exported.
    const names = readWasmModule(readFileSync(outFile)).exports.map((e) => e.name);
    expect(names).toContain("proxy_on_response_headers");
    expect(names).toContain("proxy_on_delete");
    expect(names).not.toContain("proxy_on_request_headers");
    expect(names).not.toContain("proxy_on_log");
  });

  it("builds the same way with a plain asc and the package's asconfig.json", () => {
    const asc = resolve("node_modules/assemblyscript/bin/asc.js");
    const run = spawnSync(
      process.execPath,
      [
        asc,
        "assembly/index.ts",
        "--config",
        "node_modules/meshwasm/asconfig.json",
        "--transform",
        "meshwasm/transform",
        "--outFile",
        "build/plain.wasm",
      ],
      { cwd: project, encoding: "utf8" },
    );
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);

    const report = checkModule(readFileSync(join(project, "build", "plain.wasm")));
    expect(report.errors).toEqual([]);
    // AssemblyScript's own abort/trace/seed would be env imports Envoy refuses.
    expect(report.imports.map((i) => `${i.module}.${i.name}`)).not.toContain("env.abort");
    // The package's transform, named as `meshwasm/transform`, left out the unused callbacks.
    const names = report.exports.map((e) => e.name);
    expect(names).toContain("proxy_on_response_headers");
    expect(names).not.toContain("proxy_on_request_body");
  });
});

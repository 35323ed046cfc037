// What the docs promise: the README's walkthrough is the tested example verbatim, and
// every example's envoy.yaml is a configuration Envoy accepts with its module loaded.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { compileFilter } from "../../src/build/compile.ts";
import { envoyBinary } from "../../src/envoy/index.ts";

describe("README", () => {
  it("shows examples/require-header exactly as it is built and tested", () => {
    const readme = readFileSync("README.md", "utf8");
    const source = readFileSync("examples/require-header/assembly/index.ts", "utf8");
    expect(readme).toContain(source);
  });
});

const examples = readdirSync("examples").filter((name) =>
  existsSync(join("examples", name, "envoy.yaml")),
);

describe("example Envoy configurations", () => {
  it("exist for every example", () => {
    const all = readdirSync("examples").filter((name) =>
      existsSync(join("examples", name, "assembly")),
    );
    expect(examples.sort()).toEqual(all.sort());
  });

  it.each(examples)("examples/%s/envoy.yaml passes envoy --mode validate", async (name) => {
    const wasm = resolve("build", `${name}.wasm`);
    if (!existsSync(wasm)) {
      await compileFilter({
        entry: resolve("examples", name, "assembly", "index.ts"),
        outFile: wasm,
      });
    }
    const result = spawnSync(
      envoyBinary(),
      ["--mode", "validate", "--disable-hot-restart", "-c", join("examples", name, "envoy.yaml")],
      { encoding: "utf8", timeout: 60_000 },
    );
    const output = `${result.stdout}\n${result.stderr}`;
    expect(output, output.slice(-3000)).toMatch(/configuration '.*envoy\.yaml' OK/);
    expect(result.status).toBe(0);
  });
});

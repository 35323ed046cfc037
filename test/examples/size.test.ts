// The module-size target: examples/hello (with its configuration reader) at the default build
// (`meshwasm build`, as the global set-up builds build/hello.wasm) is at most 48 KiB. The size
// of a module is a property of its bytes, so this is exact on every machine.
import { statSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Project } from "../../src/cli/project.ts";

/** 48 KiB: the most examples/hello may take at the default build. */
const HELLO_SIZE_LIMIT = 48 * 1024;

/** Why a module of `bytes` is over `limit`, or null when it is within it. */
function sizeProblem(module: string, bytes: number, limit: number): string | null {
  if (bytes <= limit) return null;
  const n = (x: number) => x.toLocaleString("en-US");
  return `${module} at the default build is ${n(bytes)} B, over its limit of ${n(limit)} B (${limit / 1024} KiB) by ${n(bytes - limit)} B`;
}

describe("module size", () => {
  it("names the module and both sizes when a module is over its limit", () => {
    expect(sizeProblem("build/hello.wasm", 49_153, HELLO_SIZE_LIMIT)).toBe(
      "build/hello.wasm at the default build is 49,153 B, over its limit of 49,152 B (48 KiB) by 1 B",
    );
    expect(sizeProblem("build/hello.wasm", 49_152, HELLO_SIZE_LIMIT)).toBeNull();
  });

  it("examples/hello at the default build is at most 48 KiB", () => {
    const project = Project.find(process.cwd());
    const hello = project.select(["hello"]);
    expect(hello.map((f) => f.name)).toEqual(["hello"]);
    // The global set-up (test/build-modules.setup.ts) rebuilt it if any source was newer.
    const path = project.wasmPath("hello");
    const bytes = statSync(path).size;
    console.log(`build/hello.wasm: ${bytes} B (limit ${HELLO_SIZE_LIMIT} B)`);
    const problem = sizeProblem("examples/hello (build/hello.wasm)", bytes, HELLO_SIZE_LIMIT);
    if (problem !== null) expect.fail(problem);
  });
});

// Run by scripts/mutate-as.mjs (under tsx, in its copy of the repository): builds the test
// modules and examples the test-host suites load, where test/modules/build.ts puts them, and
// prints one JSON line with each compile error's place (file, line, column), so the harness
// can take the mutants that broke the build out of the schemata. Built without Binaryen's
// optimizer (the same program, several times faster to build); the suites then find them
// current and load them as they are.
//
//   tsx scripts/mutate-as/build-modules.mjs module:conformance example:hello ...
import { join } from "node:path";
import { compileFilter } from "../../src/build/compile.ts";

const REFUSED = new Set(["stray-import", "no-malloc", "no-marker"]);
/** Modules built from another module's sources with every export kept (as in test/modules/build.ts). */
const EXPORT_ALL = { "contexts-announced": "contexts" };
const errors = [];
await Promise.all(
  process.argv.slice(2).map(async (spec) => {
    const [kind, name] = spec.split(":");
    const source = EXPORT_ALL[name] ?? name;
    const entry = kind === "example" ? join("examples", name, "assembly", "index.ts") : join("test", "modules", source, "assembly", "index.ts");
    const outFile =
      kind === "example"
        ? join("build", "test-modules", `example-${name}.wasm`)
        : REFUSED.has(name)
          ? join("test", ".tmp", "refused-modules", `${name}.wasm`)
          : join("build", "test-modules", `${name}.wasm`);
    try {
      await compileFilter({ entry, outFile, optimize: "none", exportAll: source !== name });
    } catch (error) {
      const diagnostics = error?.diagnostics ?? [];
      const places = diagnostics
        .filter((d) => d.category === "error")
        .map((d) => ({ file: d.file, line: d.line, column: d.column, message: d.message }));
      errors.push({ entry: spec, places, message: places.length === 0 ? String(error?.message ?? error) : undefined });
    }
  }),
);
console.log(`BUILD-RESULT ${JSON.stringify(errors)}`);

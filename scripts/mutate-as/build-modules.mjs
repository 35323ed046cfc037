// Run by scripts/mutate-as.mjs (under tsx, in its copy of the repository): builds the test
// modules and examples the test-host suites load, where test/modules/build.ts puts them, and
// prints one JSON line with each compile error's place (file, line, column), so the harness
// can take the mutants that broke the build out of the schemata. Built without Binaryen's
// optimizer (the same program, several times faster to build); the suites then find them
// current and load them as they are.
//
//   tsx scripts/mutate-as/build-modules.mjs module:conformance example:hello chain:marks ...
//
// `filter:<name>`: the project's filter filters/<name>, to build/<name>.wasm, where its own
// suites read it (`npm test` builds it there first; a mutation run's copy has no build/).
import { join, relative } from "node:path";
import { compileChain } from "../../src/build/chain.ts";
import { compileFilter } from "../../src/build/compile.ts";
import { testModuleBuild } from "../../test/modules/build.ts";

// `chain:marks`: test/chain's three mark fixtures as one chained module, where
// test/chain/helpers.ts's marksChain() puts it (it then finds it current).
const CHAINS = { marks: ["first", "pauser", "last"] };

async function buildChain(name) {
  await compileChain({
    chain: CHAINS[name].map((m) => ({ name: m, entry: join("test", "chain", "fixtures", m, "assembly", "index.ts") })),
    outFile: join("build", "test-modules", `chain-${name}.wasm`),
    optimize: "none",
    boundsChecked: true,
  });
}

/** One module or example as test/modules/build.ts builds it (its source module, every export
 *  kept, or callbacks left out), with paths relative to the copy (compile errors name them). */
function buildOne(kind, name) {
  if (kind === "chain") return buildChain(name);
  if (kind === "filter") {
    const entry = join("filters", name, "assembly", "index.ts");
    // Bounds-checked in the run's copy (which ships nothing): an index one past a buffer traps
    // in a test instead of reading or writing the next heap block unseen.
    return compileFilter({ entry, outFile: join("build", `${name}.wasm`), optimize: "none", boundsChecked: true });
  }
  const { source: _source, ...build } =
    kind === "example"
      ? { source: name, entry: join("examples", name, "assembly", "index.ts"), outFile: join("build", "test-modules", `example-${name}.wasm`), boundsChecked: true }
      : testModuleBuild(name);
  const entry = relative(process.cwd(), build.entry);
  const outFile = relative(process.cwd(), build.outFile);
  return compileFilter({ ...build, entry, outFile, optimize: "none" });
}

const errors = [];
await Promise.all(
  process.argv.slice(2).map(async (spec) => {
    const [kind, name] = spec.split(":");
    try {
      await buildOne(kind, name);
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

// as-pect configuration for the AssemblyScript unit tests (npm run test:as).
//
// The tests compile with as-pect.asconfig.json, which deliberately does NOT extend the SDK's
// own asconfig: filters build with `--use abort=...` pointing at the proxy-wasm log/abort
// shim, but under as-pect the `env.abort` import must stay as-pect's own, so failed
// assertions are reported as test failures instead of reaching a proxy host.
module.exports = {
  /** Test files: one compilation (one wasm module) per spec file. */
  entries: ["assembly/__tests__/**/*.spec.ts", "filters/**/__tests__/**/*.spec.ts"],
  /** Helpers compiled into every spec. */
  include: ["assembly/__tests__/**/*.include.ts"],
  disclude: [/node_modules/],
  /** Only the memory and as-pect's own imports: the code under test must be host-free. */
  async instantiate(memory, createImports, instantiate, binary) {
    return instantiate(binary, createImports({ env: { memory } }));
  },
  /** as-pect's summary plus a closing "N passed, N failed" line (see the file). */
  reporter: "as-pect.reporter.mjs",
  outputBinary: false,
};

// `npm run mutate:ts`: Stryker over src/, one group at a time, each group against only the
// test files that exercise it, so a run fits a 2-core machine:
//   - coverage per test (stryker.config.mjs): each mutant runs only the tests that executed it;
//   - only fast suites: unit tests and the conformance scenarios on the test host
//     (CONFORMANCE_ONLY=emulator); suites that start real Envoy or benchmarks are left out,
//     except in the groups marked `envoy`, which run only with --with-envoy;
//   - incremental: a rerun tests only mutants whose code or covering tests changed
//     (reports/mutation/ts/<group>.incremental.json; --force reruns everything).
// Reports land in reports/mutation/ts/<group>.{json,html} and summary.md (git-ignored).
//
//   npm run mutate:ts                   every group but the `envoy` ones and `testing-all`
//   npm run mutate:ts -- testing        only the groups whose name contains "testing" (src/testing
//                                       in four groups, each file once; `testing-all` runs the
//                                       whole folder against every suite, only when named)
//   npm run mutate:ts -- --with-envoy   the groups that need real Envoy too
//   npm run mutate:ts -- --force        ignore the incremental results
//   npm run mutate:ts -- testing --sample 80 --seed 3
//                                       every mutant on 80 code lines drawn at random from
//                                       each group's files (a score estimate in a fraction
//                                       of the time; the seed repeats the draw)
//   npm run mutate:ts -- testing-core   the test host's core files (its host calls, failure
//                                       rules, headers, status, the HTTP context) against the
//                                       unit suites that drive them, without the conformance
//                                       scenarios: well under an hour on the shared machine
//   npm run mutate:ts -- testing --files src/testing/failures.ts --tests test/testing/host-call-failures.test.ts
//                                       a group's files and tests narrowed by hand (comma lists)
//   npm run mutate:ts -- testing-core --files ... --tests ... --as calls-b
//                                       a narrowed run under its own name (reports, incremental
//                                       results and sandbox), so it can run beside another
//   npm run mutate:ts -- ... --ignore-static
//                                       leaves out the static mutants (module-level constants
//                                       and code run while a module loads: each runs every test
//                                       of its group); they are reported as ignored, not scored
//   npm run mutate:ts -- ... --no-check without the TypeScript checker (several times faster
//                                       on a busy machine; a mutant that would not compile is
//                                       judged by the tests instead of set aside)
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "reports/mutation/ts");

export const GROUPS = [
  { name: "envoy-config", files: ["src/envoy/config.ts"], tests: ["test/envoy/config.test.ts"] },
  {
    name: "plugin",
    files: ["src/plugin.ts", "src/connection-manager.ts"],
    tests: [
      "test/testing/plugin-settings.test.ts",
      "test/envoy/config.test.ts",
      "test/testing/bad-input.test.ts",
    ],
  },
  {
    // src/testing whole against every suite that reaches it, the conformance scenarios too:
    // several hours here, and Stryker writes nothing before a group ends. It runs only when
    // named (`npm run mutate:ts -- testing-all`); the four groups below cover the same files
    // once each, in runs that end.
    name: "testing-all",
    files: ["src/testing/**/*.ts"],
    tests: [
      "test/testing/*.test.ts",
      "test/sdk/stdlib.test.ts",
      "test/sdk/host-errors.test.ts",
      "test/conformance/conformance.test.ts",
    ],
    whole: true,
  },
  {
    // The host's core, scored against the suites that drive it directly (no conformance
    // scenarios: they reach every file, and their first run alone outlasted a busy hour).
    name: "testing-core",
    files: [
      "src/testing/hostcalls/**/*.ts",
      "src/testing/failures.ts",
      "src/testing/headers.ts",
      "src/testing/status.ts",
      "src/testing/http-context.ts",
    ],
    tests: ["test/testing/*.test.ts", "test/sdk/stdlib.test.ts", "test/sdk/host-errors.test.ts"],
  },
  {
    // Pure helpers with direct suites of their own, each under a second.
    name: "testing-wire",
    files: [
      "src/testing/wire.ts",
      "src/testing/proto.ts",
      "src/testing/coverage.ts",
      "src/testing/inline-headers.ts",
      "src/testing/wasm-api.ts",
      "src/testing/attributes.ts",
      "src/testing/metrics.ts",
      "src/testing/hcm.ts",
      // Types and re-exports: Stryker finds no mutant in them; named so the four groups
      // cover every file of src/testing.
      "src/testing/host-options.ts",
      "src/testing/index.ts",
    ],
    tests: [
      "test/testing/wire.test.ts",
      "test/testing/proto.test.ts",
      "test/testing/coverage.test.ts",
      "test/testing/header-map.test.ts",
      "test/testing/hcm.test.ts",
      "test/testing/host-call-failures.test.ts",
      "test/testing/attributes.test.ts",
      "test/testing/metrics.test.ts",
    ],
  },
  {
    // Callouts, TCP and the gRPC client against the host's suites, without the conformance
    // scenarios (their cases are in test/testing/callouts, tcp and grpc-client).
    name: "testing-io",
    files: ["src/testing/callouts.ts", "src/testing/tcp.ts", "src/testing/grpc-client.ts"],
    tests: ["test/testing/*.test.ts", "test/sdk/dispatch.test.ts", "test/sdk/host-errors.test.ts"],
  },
  {
    // The stream, the host and its VMs: the host's suites, the SDK's suites that drive a
    // stream through it, and the conformance scenarios on the test host (a survivor runs
    // every scenario that reaches it, the longest group here).
    name: "testing-http",
    files: [
      "src/testing/http.ts",
      "src/testing/exchange.ts",
      "src/testing/host.ts",
      "src/testing/vm.ts",
      "src/testing/contexts.ts",
      "src/testing/world.ts",
      "src/testing/test-stream.ts",
    ],
    tests: [
      "test/testing/*.test.ts",
      "test/sdk/dispatch.test.ts",
      "test/sdk/contexts.test.ts",
      "test/sdk/header-edits.test.ts",
      "test/sdk/header-reads.test.ts",
      "test/sdk/header-batch.test.ts",
      "test/sdk/host-errors.test.ts",
      "test/sdk/stdlib.test.ts",
      "test/conformance/conformance.test.ts",
      "test/conformance/header-pairs.test.ts",
    ],
  },
  {
    name: "envoy-runner",
    files: ["src/envoy/**/*.ts", "!src/envoy/config.ts"],
    tests: ["test/envoy/runner.test.ts"],
    envoy: true,
  },
  {
    name: "build",
    files: ["src/build/**/*.ts", "src/wasm/**/*.ts", "src/check/**/*.ts"],
    tests: ["test/build/*.test.ts", "test/check/*.test.ts"],
  },
  {
    name: "ship",
    files: ["src/ship/**/*.ts"],
    tests: [
      "test/ship/manifests.test.ts",
      "test/ship/manifest-fields.test.ts",
      "test/ship/crd-schema.test.ts",
      "test/ship/generated.test.ts",
      "test/ship/oci.test.ts",
      "test/ship/oci-layout.test.ts",
      "test/ship/command-functions.test.ts",
      "test/ship/filter-options.test.ts",
      // A stand-in skopeo for most cases; one pushes with skopeo to a local docker-registry
      // (scripts/setup-ship.sh) and is skipped without them.
      "test/ship/push.test.ts",
    ],
  },
  {
    // The CLI runs in-process in its tests (test/cli/helpers.ts), but some of them compile
    // whole filters or start Envoy (tens of seconds each); these mostly need neither (the build
    // commands' suites compile sources of a few lines against a stand-in SDK; for-config's
    // build small filters unoptimized, a few seconds, and one starts Envoy). Add
    // test/cli/build-check-envoy.test.ts with --tests to judge the build with the real SDK.
    // push-command.test.ts pushes with skopeo to a local docker-registry (scripts/setup-ship.sh).
    name: "cli",
    files: ["src/cli/**/*.ts", "!src/cli/commands/run.ts", "!src/cli/commands/demo.ts"],
    tests: [
      "test/cli/output.test.ts",
      "test/cli/envoy-log.test.ts",
      "test/cli/errors.test.ts",
      "test/cli/command-checks.test.ts",
      "test/cli/project-new.test.ts",
      "test/cli/build-command.test.ts",
      "test/cli/for-config.test.ts",
      "test/cli/envoy-command.test.ts",
      "test/cli/ship-commands.test.ts",
      "test/cli/push-command.test.ts",
      "test/cli/vitest-run.test.ts",
    ],
  },
  {
    // `meshwasm run` and the demo (src/demo): what they do is start real Envoy, upstreams and
    // Prometheus, so every test that reaches them does too (the run tests a few seconds each,
    // the demo's tour and the chain suites several). Runs with --with-envoy or when named;
    // with --ignore-static, what only a beforeAll reaches (the chain suites' Envoy set-up) is
    // left out: the demo's test runs the whole tour inside its one test for that reason.
    name: "cli-envoy",
    files: ["src/cli/commands/run.ts", "src/cli/commands/demo.ts", "src/demo/**/*.ts"],
    tests: [
      "test/cli/new-run.test.ts",
      "test/chain/demo.test.ts",
      "test/chain/spec.test.ts",
      "test/chain/conformance.test.ts",
      "test/chain/observability.test.ts",
    ],
    envoy: true,
  },
];

/** Stryker's JSON report reduced to one row per folder of the mutated files (`perFile`: one
 *  row per file). */
export function folderScores(report, perFile = false) {
  const rows = new Map();
  for (const [file, data] of Object.entries(report.files)) {
    const relative = file.replace(`${ROOT}/`, "");
    const folder = perFile ? relative : dirname(relative);
    const row = rows.get(folder) ?? { folder, killed: 0, timeout: 0, survived: 0, noCoverage: 0, other: 0, survivors: [] };
    for (const m of data.mutants) {
      if (m.status === "Killed") row.killed++;
      else if (m.status === "Timeout") row.timeout++;
      else if (m.status === "Survived") row.survived++;
      else if (m.status === "NoCoverage") row.noCoverage++;
      else row.other++; // CompileError, RuntimeError, Ignored: not scored
      if (m.status === "Survived" || m.status === "NoCoverage") {
        row.survivors.push(`${file.replace(`${ROOT}/`, "")}:${m.location.start.line} ${m.mutatorName} (${m.status})${m.replacement ? `: ${m.replacement.split("\n")[0].slice(0, 80)}` : ""}`);
      }
    }
    rows.set(folder, row);
  }
  return [...rows.values()].map((r) => {
    const detected = r.killed + r.timeout;
    const scored = detected + r.survived + r.noCoverage;
    return { ...r, score: scored === 0 ? null : Math.round((detected / scored) * 1000) / 10 };
  });
}

/** The runs with a report: the groups', then any run made under its own name (`--as`). */
function reportNames() {
  const named = readdirSync(OUT)
    .filter((f) => f.endsWith(".json") && !f.endsWith(".incremental.json"))
    .map((f) => f.slice(0, -".json".length));
  const groups = GROUPS.map((g) => g.name);
  return [...groups, ...named.filter((n) => !groups.includes(n)).sort()];
}

function summarize() {
  const lines = ["| folder | killed | timeout | survived | no coverage | not scored | score |", "|---|---:|---:|---:|---:|---:|---:|"];
  const survivors = [];
  for (const group of reportNames().map((name) => ({ name }))) {
    const path = join(OUT, `${group.name}.json`);
    if (!existsSync(path)) continue;
    for (const r of folderScores(JSON.parse(readFileSync(path, "utf8")))) {
      lines.push(`| ${r.folder} (${group.name}) | ${r.killed} | ${r.timeout} | ${r.survived} | ${r.noCoverage} | ${r.other} | ${r.score ?? "-"}% |`);
      survivors.push(...r.survivors);
    }
  }
  lines.push("", "| file | killed | timeout | survived | no coverage | not scored | score |", "|---|---:|---:|---:|---:|---:|---:|");
  for (const group of reportNames().map((name) => ({ name }))) {
    const path = join(OUT, `${group.name}.json`);
    if (!existsSync(path)) continue;
    for (const r of folderScores(JSON.parse(readFileSync(path, "utf8")), true)) {
      lines.push(`| ${r.folder} (${group.name}) | ${r.killed} | ${r.timeout} | ${r.survived} | ${r.noCoverage} | ${r.other} | ${r.score ?? "-"}% |`);
    }
  }
  lines.push("", "Surviving mutants:", ...survivors.map((s) => `- ${s}`));
  writeFileSync(join(OUT, "summary.md"), `${lines.join("\n")}\n`);
  return lines.filter((l) => l.startsWith("|")).join("\n");
}

// The files a group's patterns name: "dir/**/*.ts", "dir/*.ts", "file.ts", "!excluded.ts".
export function groupFiles(group) {
  const walk = (dir, deep) =>
    readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory()) return deep ? walk(path, true) : [];
      return e.name.endsWith(".ts") ? [path] : [];
    });
  const excluded = group.files.filter((p) => p.startsWith("!")).map((p) => p.slice(1));
  const files = group.files
    .filter((p) => !p.startsWith("!"))
    .flatMap((p) => {
      if (p.endsWith("/**/*.ts")) return existsSync(join(ROOT, p.slice(0, -8))) ? walk(p.slice(0, -8), true) : [];
      if (p.endsWith("/*.ts")) return walk(p.slice(0, -5), false);
      return [p];
    });
  return [...new Set(files)].filter((f) => !excluded.includes(f)).sort();
}

/** `count` code lines drawn with `seed` from `files`, as Stryker ranges "file:line-line".
 *  Blank lines, comments, imports and lone braces hold no mutant and are never drawn. */
export function sampleLines(files, count, seed) {
  const lines = [];
  for (const file of files) {
    readFileSync(join(ROOT, file), "utf8")
      .split("\n")
      .forEach((text, i) => {
        const t = text.trim();
        if (t === "" || /^(\/\/|\/\*|\*|import\b|export \*|export \{.*\} from|[{}()[\];,]+$)/.test(t)) return;
        lines.push(`${file}:${i + 1}-${i + 1}`);
      });
  }
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
  const picked = new Set();
  while (picked.size < Math.min(count, lines.length)) picked.add(Math.floor(next() * lines.length));
  return [...picked].sort((a, b) => a - b).map((i) => lines[i]);
}

function main(argv) {
  const withEnvoy = argv.includes("--with-envoy");
  const force = argv.includes("--force");
  const valueOf = (name) => {
    const i = argv.indexOf(name);
    return i < 0 ? undefined : Number(argv[i + 1]);
  };
  const sample = valueOf("--sample") ?? 0;
  const seed = valueOf("--seed") ?? 1;
  const listOf = (name) => {
    const i = argv.indexOf(name);
    return i < 0 ? undefined : argv[i + 1].split(",").filter((x) => x !== "");
  };
  const files = listOf("--files");
  const tests = listOf("--tests");
  const as = argv.includes("--as") ? argv[argv.indexOf("--as") + 1] : undefined;
  const noCheck = argv.includes("--no-check");
  const ignoreStatic = argv.includes("--ignore-static");
  const filter = argv.find((a, i) => !a.startsWith("--") && !["--sample", "--seed", "--files", "--tests", "--as"].includes(argv[i - 1]));
  // A bare name picks that group alone when one is called so ("testing-core", not the others
  // whose name holds it).
  const exact = GROUPS.filter((g) => g.name === filter);
  const groups = (exact.length > 0 ? exact : GROUPS.filter((g) => !filter || g.name.includes(filter)))
    .filter((g) => withEnvoy || !g.envoy || filter)
    .filter((g) => !g.whole || g.name === filter)
    .map((g) => ({ ...g, name: as ?? g.name, files: files ?? g.files, tests: tests ?? g.tests }));
  mkdirSync(OUT, { recursive: true });
  // Some tests of the groups look for the pinned Envoy (its path, its version) without
  // starting it: installed first, as `npm test` does, so a fresh clone runs.
  const setup = spawnSync("npm", ["run", "--silent", "setup:envoy"], { cwd: ROOT, stdio: "inherit" });
  if (setup.status !== 0) {
    console.error("mutate:ts: the Envoy set-up failed (`npm run setup:envoy` says why)");
    return 1;
  }
  let failed = 0;
  for (const group of groups) {
    console.log(`== mutate:ts ${group.name}`);
    const started = Date.now();
    const run = spawnSync("npx", ["stryker", "run", ...(force ? ["--force"] : []), ...(ignoreStatic ? ["--ignoreStatic"] : [])], {
      cwd: ROOT,
      stdio: "inherit",
      env: {
        ...process.env,
        // The conformance scenarios on the test host only: real Envoy per mutant is too slow.
        CONFORMANCE_ONLY: "emulator",
        MUTATE_GROUP: group.name,
        MUTATE_FILES: (sample > 0 ? sampleLines(groupFiles(group), sample, seed) : group.files).join(","),
        MUTATE_TESTS: group.tests.join(","),
        ...(noCheck ? { MUTATE_NO_CHECK: "1" } : {}),
      },
    });
    console.log(`== mutate:ts ${group.name}: ${Math.round((Date.now() - started) / 1000)} s`);
    if (run.status !== 0) failed++;
  }
  console.log(summarize());
  return failed === 0 ? 0 : 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exit(main(process.argv.slice(2)));
}

// `npm run mutate:ts`: Stryker over src/, one group at a time, each group against only the
// test files that exercise it (so a run fits a 2-core machine). Reports land in
// reports/mutation/ts/<group>.{json,html} (git-ignored).
//
//   npm run mutate:ts              every group
//   npm run mutate:ts -- envoy     only the groups whose name contains "envoy"
import { spawnSync } from "node:child_process";

const GROUPS = [
  { name: "envoy-config", files: ["src/envoy/config.ts"], tests: ["test/envoy/config.test.ts"] },
  { name: "plugin", files: ["src/plugin.ts", "src/connection-manager.ts"], tests: ["test/envoy/config.test.ts", "test/testing/bad-input.test.ts"] },
  { name: "testing", files: ["src/testing/**/*.ts"], tests: ["test/testing/*.test.ts", "test/conformance/conformance.test.ts"] },
  { name: "envoy-runner", files: ["src/envoy/**/*.ts", "!src/envoy/config.ts"], tests: ["test/envoy/runner.test.ts"] },
  { name: "build", files: ["src/build/**/*.ts", "src/wasm/**/*.ts", "src/check/**/*.ts"], tests: ["test/build/*.test.ts", "test/check/*.test.ts"] },
  { name: "ship", files: ["src/ship/**/*.ts"], tests: ["test/ship/manifests.test.ts", "test/ship/oci.test.ts"] },
  { name: "cli", files: ["src/cli/**/*.ts"], tests: ["test/cli/*.test.ts"] },
];

const filter = process.argv[2];
let failed = 0;
for (const group of GROUPS.filter((g) => !filter || g.name.includes(filter))) {
  console.log(`== mutate:ts ${group.name}`);
  const run = spawnSync("npx", ["stryker", "run"], {
    stdio: "inherit",
    env: {
      ...process.env,
      MUTATE_GROUP: group.name,
      MUTATE_FILES: group.files.join(","),
      MUTATE_TESTS: group.tests.join(","),
    },
  });
  if (run.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);

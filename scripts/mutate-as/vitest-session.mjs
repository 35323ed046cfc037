// A child process of scripts/mutate-as.mjs (started in its copy of the repository): one
// vitest instance kept alive across mutants, as Stryker's vitest runner does, so each mutant
// costs only its tests, not vitest's start. The parent sends
//   { type: "dry", files, count }      every test, no mutant on: results and per-test coverage
//   { type: "run", id, count, tests }  only the named tests ("file#full name"), mutant `id` on
// and gets { ok, failed, tests: [{ id, state, mutants }] } back. The mutant's id reaches the
// test workers through vitest's provide/inject; vitest-setup.mjs does the rest.
import { fileURLToPath } from "node:url";
import { createVitest } from "vitest/node";

const SETUP = fileURLToPath(new URL("./vitest-setup.mjs", import.meta.url));

function escape(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function fullName(task) {
  const parts = [task.name];
  for (let s = task.suite; s && s.type === "suite" && s.name; s = s.suite) parts.unshift(s.name);
  return parts.join(" ");
}

function collect(suite, out) {
  for (const task of suite.tasks ?? []) {
    if (task.type === "suite") collect(task, out);
    else if (task.type === "test") out.push(task);
  }
  return out;
}

const vitest = await createVitest("test", {
  config: "vitest.mutate.config.ts",
  watch: false,
  pool: "threads",
  maxWorkers: 1,
  fileParallelism: false,
  bail: 1,
  coverage: { enabled: false },
  reporters: [],
  onConsoleLog: () => false,
});
for (const project of vitest.projects) project.config.setupFiles = [SETUP, ...project.config.setupFiles];

async function run({ id, count, files, tests }) {
  vitest.provide("meshwasmMutant", id);
  vitest.provide("meshwasmMutantCount", count);
  vitest.state.filesMap.clear();
  let selected = files;
  let pattern;
  if (tests) {
    const parsed = tests.map((t) => ({ file: t.slice(0, t.indexOf("#")), name: t.slice(t.indexOf("#") + 1) }));
    selected = [...new Set(parsed.map((t) => t.file))];
    pattern = new RegExp(`^(${parsed.map((t) => escape(t.name)).join("|")})$`);
  }
  for (const project of vitest.projects) project.config.testNamePattern = pattern;
  vitest.config.bail = id < 0 ? 0 : 1;
  try {
    await vitest.start(selected);
  } catch (error) {
    if (error?.code !== "VITEST_FILES_NOT_FOUND") throw error;
  }
  const results = [];
  const failed = [];
  for (const file of vitest.state.getFiles()) {
    const rel = file.filepath.startsWith(`${process.cwd()}/`) ? file.filepath.slice(process.cwd().length + 1) : file.filepath;
    if (file.result?.state === "fail" && (file.result.errors?.length ?? 0) > 0) {
      failed.push(`${rel}: ${file.result.errors[0].message}`);
    }
    for (const test of collect(file, [])) {
      if (!test.result) continue; // not selected, or skipped after the first failure
      const testId = `${rel}#${fullName(test)}`;
      const state = test.result.state;
      if (state === "fail") failed.push(`${testId}: ${test.result.errors?.[0]?.message ?? "failed"}`);
      results.push({ id: testId, state, mutants: test.meta?.mutants ?? [] });
    }
  }
  if (vitest.state.errorsSet.size > 0 && failed.length === 0) {
    failed.push(`error outside a test: ${[...vitest.state.errorsSet].map((e) => e?.message ?? e).join("; ")}`);
  }
  return { ok: failed.length === 0, failed: id < 0 ? failed : failed.slice(0, 5), tests: results };
}

process.on("message", async (message) => {
  if (message.type === "close") {
    await vitest.close();
    process.exit(0);
  }
  try {
    const result = await run(message.type === "dry" ? { ...message, id: -1 } : message);
    process.send({ ...result, ready: true });
  } catch (error) {
    process.send({ ok: false, failed: [`vitest: ${error?.stack ?? error}`], tests: [] });
  }
});
process.send({ ready: true, started: true });

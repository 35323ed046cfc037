// A vitest reporter for Stryker's mutant runs (scripts/mutate-ts.mjs): a test file that fails
// to load becomes one failed test.
//
// Stryker 9.6's vitest runner builds a mutant's verdict from the tests vitest collected. A
// mutant that makes a module throw while it loads (a module-level list mapped to nothing, a
// table its first lines index) leaves the test files importing it with no test at all, and
// the mutant was reported as survived although every one of those files failed (seen on
// src/wasm/abi.ts's WASI list: `WASI_FUNCTIONS.map(() => undefined)` throws at import).
// Stryker reads vitest's state once the run has ended, after the reporters; this adds a
// failed test, carrying the load error, to each file that failed with none.

import type { Reporter } from "vitest/node";

type Task = {
  type: string;
  id: string;
  name: string;
  mode: string;
  tasks?: Task[];
  file?: Task;
  suite?: Task;
  filepath?: string;
  meta: Record<string, unknown>;
  result?: { state?: string; errors?: { message?: string }[] };
};
type Context = { state: { getFiles(): Task[] } };

const hasTest = (suite: Task): boolean =>
  (suite.tasks ?? []).some((t) => t.type === "test" || (t.type === "suite" && hasTest(t)));

export default class LoadFailures implements Reporter {
  private context: Context | undefined;

  onInit(context: unknown): void {
    this.context = context as Context;
  }

  onTestRunEnd(): void {
    for (const file of this.context?.state.getFiles() ?? []) {
      if (file.result?.state !== "fail" || hasTest(file)) continue;
      const errors = file.result.errors?.length
        ? file.result.errors
        : [{ message: "the file failed to load" }];
      file.tasks = [
        ...(file.tasks ?? []),
        {
          type: "test",
          id: `${file.id}_load`,
          name: "loads",
          mode: "run",
          file,
          suite: file,
          meta: {},
          result: { state: "fail", errors },
        },
      ];
    }
  }
}

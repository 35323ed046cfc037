// as-pect reporter for `npm run test:as`: as-pect's usual per-file summary, plus one plain
// closing line that scripts and CI can read:
//
//   as-pect: 106 passed, 0 failed
//
// Set NO_COLOR to drop ANSI colours (as-pect's launcher forces them on otherwise).
import process from "node:process";
import { SummaryReporter } from "@as-pect/core";
import chalk from "chalk";

if ("NO_COLOR" in process.env) chalk.level = 0;

class CountingReporter extends SummaryReporter {
  passed = 0;
  failed = 0;
  files = 0;

  constructor() {
    super();
    // Printed once after as-pect's own summary, whether it exits normally or with 1.
    process.on("exit", () => {
      if (this.files === 0) return; // nothing ran (a compile error exits before any file)
      process.stdout.write(`\nas-pect: ${this.passed} passed, ${this.failed} failed\n`);
    });
  }

  onFinish(suite) {
    super.onFinish(suite);
    this.files += 1;
    this.passed += suite.testPassCount;
    this.failed += suite.testCount - suite.testPassCount;
  }
}

export default new CountingReporter();

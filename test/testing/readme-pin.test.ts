// The README's "Testing your filter" shows test/testing/readme-example.test.ts; this keeps them
// identical (apart from where the module is built).

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const root = new URL("../../", import.meta.url);

describe("README, Testing your filter", () => {
  it("shows the example test that runs in this repository", () => {
    const test = readFileSync(new URL("test/testing/readme-example.test.ts", root), "utf8");
    const body =
      test.split("// --- example start ---\n")[1]?.split("// --- example end ---")[0] ?? "";
    const asShown = body
      .replace('import { buildExample } from "../modules/build.ts";\n', "")
      .replace(
        'const wasm = await buildExample("hello");',
        'const wasm = "build/hello.wasm"; // npm run build',
      );
    const doc = readFileSync(new URL("README.md", root), "utf8");
    expect(body.length).toBeGreaterThan(500);
    expect(doc).toContain(asShown.trimEnd());
  });
});

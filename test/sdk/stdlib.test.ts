// AssemblyScript's String.replaceAll (0.27.x, and 0.28.20, the version the SDK builds with)
// grows its output by a single doubling, so a replacement more than about twice the input's
// length writes past the buffer (redact-body trapped in Envoy with a long mask). No
// AssemblyScript source of the SDK, the examples or the filters may call it; bytes.ts's
// ByteReplacer and replaceAllBytes size their output exactly instead.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      // test/ folders hold TypeScript for vitest, not AssemblyScript.
      if (name !== "node_modules" && name !== "test") out.push(...sources(path));
    } else if (name.endsWith(".ts")) {
      out.push(path);
    }
  }
  return out;
}

describe("AssemblyScript standard library hazards", () => {
  it("no SDK, example or filter source calls String.replaceAll", () => {
    const files = [...sources("assembly"), ...sources("examples"), ...sources("filters")];
    expect(files.length).toBeGreaterThan(10);
    const offenders = files.filter((f) => /\.replaceAll\(/.test(readFileSync(f, "utf8")));
    expect(offenders).toEqual([]);
  });
});

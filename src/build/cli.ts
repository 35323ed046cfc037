// `npm run build`: compiles every example and filter to build/<name>.wasm and prints sizes.
//
//   npm run build                      all modules, optimized (-O3, incremental runtime)
//   npm run build -- hello             only the named modules
//   npm run build -- --optimize Oz --runtime minimal --out build/alt

import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import {
  compileFilter,
  DEFAULT_OPTIMIZE,
  DEFAULT_RUNTIME,
  type OptimizeLevel,
  type RuntimeVariant,
} from "./compile.ts";
import { findTargets } from "./targets.ts";

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      optimize: { type: "string", default: DEFAULT_OPTIMIZE },
      runtime: { type: "string", default: DEFAULT_RUNTIME },
      out: { type: "string", default: "build" },
      text: { type: "boolean", default: false },
    },
  });
  const root = process.cwd();
  let targets = findTargets(root);
  if (positionals.length > 0) {
    const unknown = positionals.filter((p) => !targets.some((t) => t.name === p));
    if (unknown.length > 0) {
      console.error(
        `unknown module(s): ${unknown.join(", ")}; known: ${targets.map((t) => t.name).join(", ")}`,
      );
      return 2;
    }
    targets = targets.filter((t) => positionals.includes(t.name));
  }
  if (targets.length === 0) {
    console.error(
      "nothing to build: no examples/*/assembly/index.ts or filters/*/assembly/index.ts",
    );
    return 1;
  }
  console.log(
    `building ${targets.length} module(s) with -${values.optimize}, ${values.runtime} runtime`,
  );
  let failed = 0;
  for (const target of targets) {
    const outFile = join(values.out, `${target.name}.wasm`);
    try {
      const result = await compileFilter({
        entry: relative(root, target.entry),
        outFile,
        optimize: values.optimize as OptimizeLevel,
        runtime: values.runtime as RuntimeVariant,
        text: values.text,
      });
      console.log(
        `  ${outFile.padEnd(32)} ${String(result.bytes).padStart(8)} bytes  ${(result.bytes / 1024).toFixed(1).padStart(6)} KiB  (${Math.round(result.millis)} ms)`,
      );
    } catch (error) {
      failed++;
      console.error(`  ${outFile}: ${(error as Error).message}`);
    }
  }
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main();

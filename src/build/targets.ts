// Finds the modules `npm run build` makes: one per folder under examples/ and filters/.

import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

export interface BuildTarget {
  /** The folder name, which is also the module's name: build/<name>.wasm. */
  name: string;
  /** examples or filters. */
  group: string;
  entry: string;
}

/** Every `<group>/<name>/assembly/index.ts` under `root`, sorted by group then name. */
export function findTargets(
  root: string,
  groups: string[] = ["examples", "filters"],
): BuildTarget[] {
  const targets: BuildTarget[] = [];
  for (const group of groups) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      const entry = join(dir, name, "assembly", "index.ts");
      if (existsSync(entry)) targets.push({ name, group, entry });
    }
  }
  return targets;
}

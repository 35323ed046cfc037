// The bench's one-module chain, built for the configuration its scenarios run (`meshwasm build
// --chain telemetry,auth,rate-limit,header-router --for-config <the bench's chain configuration>`),
// as a user would ship it: the per-stream callbacks no member needs for that configuration are
// left out. One module per configuration, under bench/.work/meshwasm/, rebuilt when a source is
// newer.

import { createHash } from "node:crypto";
import { mkdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import { compileChain } from "../../src/build/chain.ts";
import { buildForConfiguration } from "../../src/build/for-config.ts";
import { chainFolders, chainMembers, current } from "../../src/demo/modules.ts";
import { benchChainConfig, type SectionChanges } from "../chain-scenarios.ts";
import { projectDir, workDir } from "./peers.ts";

/** The chain built for the bench's configuration with `changes`; returns its path. */
export async function benchChainModule(
  changes: SectionChanges = {},
  log: (line: string) => void = () => {},
): Promise<string> {
  const configuration = JSON.stringify(benchChainConfig(changes));
  const hash = createHash("sha256").update(configuration).digest("hex").slice(0, 8);
  const dir = join(workDir, "meshwasm");
  const out = join(dir, `chain.${hash}.wasm`);
  const inputs = [
    ...chainFolders(),
    join(projectDir, "src", "build", "chain.ts"),
    join(projectDir, "src", "build", "compile.ts"),
    join(projectDir, "src", "build", "for-config.ts"),
    // The compiler's transform and the options it is given.
    join(projectDir, "transform"),
    join(projectDir, "asconfig.json"),
  ];
  if (current(out, inputs)) return out;
  mkdirSync(dir, { recursive: true });
  log("compiling the chain for the bench's configuration");
  // Built beside, then renamed: a run at the same time never reads half a module.
  const tmp = join(dir, `chain.${hash}.${process.pid}.tmp.wasm`);
  const compile = (pruned?: number) =>
    compileChain({
      chain: chainMembers(),
      outFile: tmp,
      baseDir: projectDir,
      ...(pruned === undefined ? {} : { prunedCallbacks: pruned }),
    });
  const made = await buildForConfiguration(compile, tmp, configuration, "the bench's chain");
  log(`  left out ${made.removed.join(", ") || "nothing"}`);
  renameSync(tmp, out);
  return out;
}

// The load generator: wrk from Debian's packages, installed with apt-get when absent.
//
// Why wrk and not h2load: Debian has no wrk2, and h2load's --rps paces requests but reports
// only min/max/mean/sd of request time, no percentiles. wrk reports an HdrHistogram-style
// latency distribution to Lua's done() hook, and its delay() hook paces each connection, which
// gives the fixed-rate latency run (see load.ts for what that pacing does and does not do).

import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { envoyBinary } from "../../src/envoy/index.ts";

function has(command: string, probe: string[]): boolean {
  return spawnSync(command, probe, { stdio: "ignore" }).error === undefined;
}

/** apt-get update, then install `packages`; throws with apt's output on failure. */
export function aptInstall(packages: string[]): void {
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [
    ["update", "-qq"],
    ["install", "-y", "-qq", ...packages],
  ]) {
    const run = spawnSync("apt-get", args, { env, encoding: "utf8", timeout: 600_000 });
    if (run.status !== 0) {
      throw new Error(`apt-get ${args.join(" ")} failed:\n${run.stdout}${run.stderr}`);
    }
  }
}

/** Makes sure wrk and taskset exist, installing what is missing. */
export function ensureLoadTools(log: (line: string) => void): void {
  const missing: string[] = [];
  if (!has("wrk", ["--version"])) missing.push("wrk");
  if (!has("taskset", ["--version"])) missing.push("util-linux");
  if (missing.length === 0) return;
  log(`installing ${missing.join(", ")} with apt-get`);
  aptInstall(missing);
}

/** Makes sure perf exists (Debian's linux-perf), for bench:profile. */
export function ensurePerf(log: (line: string) => void): void {
  if (has("perf", ["--version"])) return;
  log("installing linux-perf with apt-get");
  aptInstall(["linux-perf"]);
}

/** `wrk --version` first line, e.g. "wrk 4.1.0 [epoll] ...". */
export function wrkVersion(): string {
  const run = spawnSync("wrk", ["--version"], { encoding: "utf8" });
  return `${run.stdout}${run.stderr}`.split("\n")[0]?.trim() ?? "wrk";
}

/** Installs the pinned Envoy with the project's set-up script when it is not there yet. */
export function ensureEnvoy(projectDir: string, log: (line: string) => void): void {
  try {
    envoyBinary();
    return;
  } catch {
    log("installing the pinned Envoy (scripts/setup-envoy.sh)");
  }
  const run = spawnSync("bash", [join(projectDir, "scripts", "setup-envoy.sh")], {
    cwd: projectDir,
    encoding: "utf8",
    timeout: 900_000,
  });
  if (run.status !== 0) throw new Error(`Envoy set-up failed:\n${run.stdout}${run.stderr}`);
}

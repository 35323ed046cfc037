// Builds each Wasm peer's modules, one builder per peer, every output under bench/.work/.
// A builder returns work → module path for the works it built; when a toolchain or a
// dependency cannot be had it throws, and the bench reports that peer's scenarios as not
// built, quoting the error.

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { compileFilter } from "../../src/build/compile.ts";
import { buildForConfiguration } from "../../src/build/for-config.ts";
import { cacheDir } from "../../src/envoy/cache.ts";
import { authConfig, ROUTER_CONFIG, type WasmPeer, type Work } from "../scenarios.ts";
import { CLUSTER_CONFIG, LEASE_CONFIG, RATE_LIMIT_CONFIG } from "../scenarios-rate-limit.ts";
import { aptInstall } from "./tools.ts";

export const benchDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const projectDir = resolve(benchDir, "..");
export const workDir = join(benchDir, ".work");

export type Log = (line: string) => void;
export type Builder = (works: Work[], log: Log) => Promise<Map<Work, string>>;

/** Newest modification time of any file under `paths` (recursively). */
function newest(paths: string[]): number {
  let latest = 0;
  const visit = (path: string) => {
    if (!existsSync(path)) return;
    const info = statSync(path);
    if (info.isDirectory()) {
      for (const entry of readdirSync(path)) {
        if (entry !== "node_modules" && entry !== "__tests__") visit(join(path, entry));
      }
    } else latest = Math.max(latest, info.mtimeMs);
  };
  for (const p of paths) visit(p);
  return latest;
}

/** Whether `out` exists and is newer than every input. */
function fresh(out: string, inputs: string[]): boolean {
  return existsSync(out) && statSync(out).mtimeMs > newest(inputs);
}

/** Registry hosts stay out of reports: a URL's origin becomes "<registry>". */
export function redactHosts(text: string): string {
  return text.replace(/https?:\/\/[^\s/]+/g, "<registry>");
}

function run(command: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }) {
  const result = spawnSync(command, args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    encoding: "utf8",
    timeout: 600_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ""}${result.stderr ?? ""}`.trim() || String(result.error);
    throw new Error(`${command} ${args.join(" ")} failed:\n${redactHosts(output)}`);
  }
  return result;
}

/** `PATH` without the node_modules/.bin folders npm and npx add in front of it. */
export function withoutPackageBins(path: string): string {
  return path
    .split(delimiter)
    .filter((dir) => !/[/\\]node_modules[/\\]\.bin$/.test(dir))
    .join(delimiter);
}

/**
 * A copy of `bench/peers/<peer>` under `bench/.work/src/<peer>` that the peer's toolchain
 * builds in. Package managers write next to the sources they build (npm rewrites a lock file
 * in its own format, Go's -mod=mod edits go.mod and go.sum, cargo writes Cargo.lock): working
 * on a copy keeps every bench step off the tracked files. Files the toolchain adds to the copy
 * (node_modules, lock files) stay there between runs.
 */
function staged(peer: string): string {
  const source = join(benchDir, "peers", peer);
  const copy = join(workDir, "src", peer);
  mkdirSync(copy, { recursive: true });
  cpSync(source, copy, {
    recursive: true,
    preserveTimestamps: true,
    filter: (from) => !/[/\\](node_modules|Cargo\.lock)$/.test(from),
  });
  return copy;
}

// Works that run the same module as another work, configured differently: built once.
export const SAME_MODULE: Partial<Record<Work, Work>> = {
  "telemetry-log": "telemetry",
  "rate-limit-2w": "rate-limit",
  "rate-limit-lease": "rate-limit",
  "rate-limit-cluster": "rate-limit",
  // filters/auth, configured five ways that need the same callbacks (the request's headers).
  "jwt-rs256-cached": "jwt-rs256",
  "jwt-rs256-wasm": "jwt-rs256",
  "jwt-es256": "jwt-rs256",
  "jwt-es256-wasm": "jwt-rs256",
};

// Works that build another work's module with every callback exported (`--export-all`).
export const EXPORT_ALL: Partial<Record<Work, Work>> = { "empty-all": "empty" };

const AUTH_CONFIG = authConfig("jwt-rs256-cached");

// Works whose module is built for the configuration their scenarios run (`meshwasm build
// --for-config`), as a user would ship it: the callbacks that configuration does not need are
// left out. One module per source and configuration. header-router's configuration needs its
// response callback (its rules set response headers), so that build leaves out nothing it uses.
export const FOR_CONFIG: Partial<Record<Work, string>> = {
  // The empty filter runs with no configuration and keeps no stream state: no callback at all.
  empty: "",
  "rate-limit": RATE_LIMIT_CONFIG,
  "rate-limit-2w": RATE_LIMIT_CONFIG,
  "rate-limit-lease": LEASE_CONFIG,
  "rate-limit-cluster": CLUSTER_CONFIG,
  "header-router": ROUTER_CONFIG,
  // The header, shared-data and property works keep nothing in a stream's context
  // (noStreamState) and read no configuration: built for an empty one, as a user ships such a
  // filter. body4k keeps its context from the request's headers to its body.
  header1: "{}",
  headers20: "{}",
  "headers20-pairs": "{}",
  "shared-cas": "{}",
  properties5: "{}",
  // One module for the auth scenarios, built for the cached one's configuration: the others
  // need no more (a module refuses a configuration that does), so it serves them all.
  "jwt-rs256": AUTH_CONFIG,
  "jwt-rs256-cached": AUTH_CONFIG,
  "jwt-rs256-wasm": AUTH_CONFIG,
  "jwt-es256": AUTH_CONFIG,
  "jwt-es256-wasm": AUTH_CONFIG,
};

/** The bench source a work's meshwasm module is built from (bench/peers/meshwasm/<source>). */
export function moduleSource(work: Work): Work {
  return EXPORT_ALL[work] ?? SAME_MODULE[work] ?? work;
}

const meshwasm: Builder = async (works, log) => {
  const out = new Map<Work, string>();
  for (const work of works) {
    const exportAll = EXPORT_ALL[work];
    const source = moduleSource(work);
    const entry = join(benchDir, "peers", "meshwasm", source, "index.ts");
    const forConfig = FOR_CONFIG[work];
    const name =
      forConfig !== undefined
        ? `${source}.${createHash("sha256").update(forConfig).digest("hex").slice(0, 8)}`
        : exportAll
          ? work
          : source;
    const outFile = join(workDir, "meshwasm", `${name}.wasm`);
    if (
      !fresh(outFile, [
        join(benchDir, "peers", "meshwasm", source),
        join(projectDir, "assembly"),
        join(projectDir, "filters"),
        join(projectDir, "transform"),
        // The compiler's options: a changed optimisation level or runtime rebuilds too.
        join(projectDir, "asconfig.json"),
        join(projectDir, "src", "build", "compile.ts"),
        join(projectDir, "src", "build", "for-config.ts"),
      ])
    ) {
      log(
        `compiling meshwasm ${name}${forConfig !== undefined ? " for its scenarios' configuration" : ""}`,
      );
      const compile = (pruned?: number) =>
        compileFilter({
          entry,
          outFile,
          exportAll: exportAll !== undefined,
          ...(pruned === undefined ? {} : { prunedCallbacks: pruned }),
        });
      if (forConfig !== undefined) {
        const made = await buildForConfiguration(compile, outFile, forConfig);
        log(`  left out ${made.removed.join(", ") || "nothing"}`);
      } else await compile();
    }
    out.set(work, outFile);
  }
  return out;
};

const solo: Builder = async (works, log) => {
  const soloDir = staged("solo");
  if (!existsSync(join(soloDir, "node_modules", "@solo-io", "proxy-runtime"))) {
    log("installing @solo-io/proxy-runtime and its AssemblyScript into bench/.work/src/solo");
    // npm ci installs exactly the committed lock file and never rewrites it. The npm on the
    // machine's PATH, not node_modules/.bin/npm: as-pect's dependencies bring npm 6 there,
    // and npm and npx put that folder first, but npm 6 cannot read a version 3 lock file.
    run("npm", ["ci", "--prefix", soloDir, "--no-audit", "--no-fund"], {
      cwd: soloDir,
      env: { PATH: withoutPackageBins(process.env.PATH ?? "") },
    });
  }
  const asc = join(soloDir, "node_modules", ".bin", "asc");
  const out = new Map<Work, string>();
  for (const work of works) {
    const source = join(soloDir, "assembly", `${work}.ts`);
    const outFile = join(workDir, "solo", `${work}.wasm`);
    mkdirSync(dirname(outFile), { recursive: true });
    if (!fresh(outFile, [join(benchDir, "peers", "solo", "assembly", `${work}.ts`)])) {
      log(`compiling solo ${work}`);
      run(asc, [source, "-b", outFile, "--use", "abort=abort_proc_exit", "-O3"], { cwd: soloDir });
    }
    out.set(work, outFile);
  }
  return out;
};

const rustDir = join(benchDir, "peers", "rust");
const WASM32_STD = "/usr/lib/rustlib/wasm32-unknown-unknown";

/**
 * The crate versions the Rust peer builds with. Debian's rustc is 1.63, older than what the
 * newest releases of these crates need, so the lock file is made from this list (proxy-wasm
 * itself is pinned in Cargo.toml). Kept here rather than as a committed Cargo.lock, whose
 * source lines would name the registry.
 */
const RUST_PINS: [string, string][] = [
  ["ahash", "0.8.5"],
  ["once_cell", "1.17.1"],
  ["log", "0.4.17"],
  ["hashbrown", "0.13.2"],
  ["cfg-if", "1.0.5"],
  ["version_check", "0.9.5"],
  ["zerocopy", "0.7.35"],
  ["zerocopy-derive", "0.7.35"],
  ["proc-macro2", "1.0.107"],
  ["quote", "1.0.47"],
  ["syn", "2.0.119"],
  ["unicode-ident", "1.0.27"],
];

const rust: Builder = async (works, log) => {
  if (!existsSync("/usr/bin/cargo") || !existsSync(WASM32_STD)) {
    log("installing Debian's rustc, cargo and libstd-rust-dev-wasm32 with apt-get");
    aptInstall(["rustc", "cargo", "libstd-rust-dev-wasm32"]);
  }
  // Cargo's registry and its target folder live in the meshwasm cache, shared by every clone
  // on the machine: a fresh clone then compiles only what changed (the crates and their
  // compiled forms are minutes to get the first time). Cargo locks both while it builds; the
  // modules are copied out into bench/.work/rust/ for the bench to load.
  const shared = join(cacheDir(), "bench-rust");
  const target = join(shared, "target");
  const examples = join(target, "wasm32-unknown-unknown", "release", "examples");
  const built = (w: Work) => join(examples, `${w.replace(/-/g, "_")}.wasm`);
  const outputs = works.map((w) => join(workDir, "rust", `${w}.wasm`));
  if (
    !outputs.every((o) =>
      fresh(o, [join(rustDir, "Cargo.toml"), join(rustDir, "src"), join(rustDir, "examples")]),
    )
  ) {
    log("building the Rust peer with Debian's cargo (first time on a machine: downloads crates)");
    const crateDir = staged("rust");
    // Debian's cargo (1.65) reaches the crates registry only through the sparse protocol,
    // which that release still marks unstable: RUSTC_BOOTSTRAP lets it take `-Z`.
    const cargo = (args: string[]) =>
      run("/usr/bin/cargo", ["-Z", "sparse-registry", ...args], {
        cwd: crateDir,
        env: {
          CARGO_HOME: join(shared, "cargo-home"),
          CARGO_TARGET_DIR: target,
          RUSTC: "/usr/bin/rustc",
          RUSTC_BOOTSTRAP: "1",
        },
      });
    if (!existsSync(join(crateDir, "Cargo.lock"))) {
      cargo(["generate-lockfile"]);
      for (const [name, version] of RUST_PINS) cargo(["update", "-p", name, "--precise", version]);
    }
    cargo(["build", "--locked", "--release", "--examples", "--target", "wasm32-unknown-unknown"]);
    mkdirSync(join(workDir, "rust"), { recursive: true });
    for (const [i, w] of works.entries()) copyFileSync(built(w), outputs[i] as string);
  }
  return new Map(works.map((w, i) => [w, outputs[i] as string]));
};

const goDir = join(benchDir, "peers", "go");

const go: Builder = async (works, log) => {
  const out = new Map<Work, string>();
  for (const work of works) {
    const outFile = join(workDir, "go", `${work}.wasm`);
    if (!fresh(outFile, [goDir])) {
      log(`building go ${work}`);
      run("go", ["build", "-buildmode=c-shared", "-o", outFile, `./${work}`], {
        cwd: staged("go"),
        env: { GOOS: "wasip1", GOARCH: "wasm", GOFLAGS: "-mod=mod" },
      });
    }
    out.set(work, outFile);
  }
  return out;
};

export const builders: Record<WasmPeer, Builder> = { meshwasm, solo, rust, go };

/** The root id each peer's module registers for `work` (Rust and Go ignore it). */
export function rootIdFor(_peer: WasmPeer, work: Work): string {
  return work;
}

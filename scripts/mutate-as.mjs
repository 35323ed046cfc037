// `npm run mutate:as`: mutation testing for the AssemblyScript SDK (assembly/) and the filters'
// building blocks (filters/lib). No Stryker exists for AssemblyScript, so this applies the
// usual operators to the sources itself, one mutant at a time, in a copy of the repository:
// comparisons negated and their boundaries shifted, && and || swapped, true and false swapped,
// returned actions and statuses swapped, + and - swapped, integers changed, a `!` dropped, and
// a call statement removed. Each mutant is rebuilt and tested with the as-pect specs of its
// group and then its vitest suites on the test host (CONFORMANCE_ONLY=emulator; real Envoy is
// too slow per mutant). A mutant that does not compile is "invalid" and not scored; one listed in
// scripts/mutate-as.equivalent.json (with the reason) is "equivalent" and not scored either.
//
//   npm run mutate:as                          every group (hours: run it per group)
//   npm run mutate:as -- --group exports       groups whose name contains "exports"
//   npm run mutate:as -- --group host,exports  groups whose name contains either (one set-up)
//   npm run mutate:as -- --sample 20 --seed 7  20 mutants drawn across the selected groups
//   npm run mutate:as -- --aspect-only         as-pect alone (fast, weaker)
//   npm run mutate:as -- --resume              keep the killed, timed-out and invalid verdicts a
//                                              run recorded (journal.jsonl) for sources not
//                                              changed since; judge the rest (an interrupted
//                                              run, or survivors after new tests)
//   npm run mutate:as -- --resume-from a.jsonl,b.jsonl
//                                              --resume, also keeping the verdicts of these
//                                              journals (a copy kept from a run elsewhere, so a
//                                              group too long for one sitting goes on from it)
//   npm run mutate:as -- --list                print the mutants, run nothing
//   npm run mutate:as -- --group host --file assembly/host/buffers.ts,assembly/host/shared.ts
//                                              only those files of the groups (with --resume:
//                                              their survivors after new tests)
//   npm run mutate:as -- --files a.ts --aspect a.spec.ts   any files, judged by those specs
//   npm run mutate:as -- --group host --file assembly/host/headers.ts --tests x.test.ts,y.test.ts
//                                              the test-host suites narrowed to those files
//                                              (a lower bound: the group's other suites may
//                                              kill more); --aspect narrows the specs
//
// Writes reports/mutation/as/report.json and summary.md (git-ignored); exits 1 when a run
// could not be made (the unmutated tests fail), never because mutants survive.

import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadEquivalents } from "./mutate-as/equivalents.mjs";
import { runSchemata } from "./mutate-as/schemata.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

// The test-host suites: unit tests of the host, the SDK's checks and the conformance scenarios
// on the test host (CONFORMANCE_ONLY=emulator). Suites that need real Envoy are left out
// (their Envoy tests never reach a mutant in this process); so is test/sdk/memory.test.ts
// (tens of seconds per mutant; it checks memory stays flat, not behaviour).
const HOST_SUITES = [
  "test/testing/*.test.ts",
  "test/sdk/stdlib.test.ts",
  "test/sdk/labelled-metrics.test.ts",
  "test/sdk/safety.test.ts",
  "test/sdk/host-errors.test.ts",
  "test/sdk/header-reads.test.ts",
  "test/sdk/header-edits.test.ts",
  "test/sdk/header-batch.test.ts",
  "test/sdk/contexts.test.ts",
  "test/sdk/dispatch.test.ts",
  "test/sdk/callback-needs.test.ts",
  "test/sdk/timers.test.ts",
  // continueResponse once the response reached the filter through its body or trailers
  // callback (a module without onResponseHeaders).
  "test/sdk/continue-response.test.ts",
  "test/sdk/handles.test.ts",
  // Builds its own garbage module (the runtime's hooks, with and without the SDK's allocator
  // aliases), kept while newer than its sources as test/modules/build.ts keeps the others.
  "test/sdk/collect.test.ts",
  "test/sdk/no-delete.test.ts",
  "test/examples/safety.test.ts",
];
const CONFORMANCE = "test/conformance/conformance.test.ts";
const HEADER_PAIRS = "test/conformance/header-pairs.test.ts";
/** The modules those suites load, built once per run (schemata) before the suites start, as
 *  test/modules/build.ts builds them: `contexts-until-log` and `no-delete` without
 *  proxy_on_delete, the only builds that reach the dispatcher's code for such modules. */
const HOST_MODULES = [
  ..."conformance context-create contexts contexts-announced contexts-until-log continue-probe dispatch dispatch-announced edges handles headermaps host-errors labelled-metrics needs no-delete no-malloc no-marker partial sdk start-restricted start-trap stray-import tcp tcp-announced timers trap"
    .split(" ")
    .map((name) => `module:${name}`),
  ..."hello redact-body require-header".split(" ").map((name) => `example:${name}`),
];

/** Groups: the files mutated together, and the tests that judge them. */
export const GROUPS = [
  {
    name: "assembly/host",
    files: ["assembly/host/*.ts"],
    aspect: ["assembly/__tests__/*.spec.ts"],
    vitest: [...HOST_SUITES, CONFORMANCE, HEADER_PAIRS],
    modules: HOST_MODULES,
  },
  {
    name: "assembly/exports.ts",
    files: ["assembly/exports.ts"],
    aspect: [],
    vitest: [...HOST_SUITES, CONFORMANCE, HEADER_PAIRS],
    modules: HOST_MODULES,
  },
  {
    name: "assembly/config.ts",
    files: ["assembly/config.ts"],
    aspect: ["assembly/__tests__/*.spec.ts"],
    vitest: [...HOST_SUITES, CONFORMANCE, HEADER_PAIRS],
    modules: HOST_MODULES,
  },
  {
    name: "assembly/json.ts",
    files: ["assembly/json.ts"],
    aspect: ["assembly/__tests__/*.spec.ts"],
    vitest: [...HOST_SUITES, CONFORMANCE, HEADER_PAIRS],
    modules: HOST_MODULES,
  },
  {
    name: "assembly (other)",
    files: ["assembly/*.ts", "assembly/internal/*.ts", "assembly/abi/*.ts"],
    exclude: ["assembly/exports.ts", "assembly/config.ts", "assembly/json.ts", "assembly/index.ts"],
    aspect: ["assembly/__tests__/*.spec.ts"],
    // assembly/chain.ts runs only in chained modules: test/chain/spec.test.ts's and
    // members.test.ts's, on the test host.
    vitest: [
      ...HOST_SUITES,
      CONFORMANCE,
      HEADER_PAIRS,
      "test/chain/spec.test.ts",
      "test/chain/members.test.ts",
    ],
    modules: [...HOST_MODULES, "chain:marks"],
  },
  {
    name: "filters/lib",
    files: ["filters/lib/*.ts", "filters/lib/regex/*.ts"],
    exclude: ["filters/lib/index.ts", "filters/lib/blowfish-pi.ts"],
    aspect: ["filters/lib/__tests__/*.spec.ts"],
    vitest: ["filters/lib/test/*.test.ts"],
    modules: [],
  },
];

// --- finding mutants --------------------------------------------------------------------------

/** The source with comments, strings and template literals blanked out (same length), so the
 *  operators below only ever match code. Import and decorator lines are blanked too. */
export function codeOnly(source) {
  const out = source.split("");
  let i = 0;
  const blank = (from, to) => {
    for (let k = from; k < to; k++) if (out[k] !== "\n") out[k] = " ";
  };
  while (i < source.length) {
    const c = source[i];
    const next = source[i + 1];
    if (c === "/" && next === "/") {
      const end = source.indexOf("\n", i);
      const stop = end < 0 ? source.length : end;
      blank(i, stop);
      i = stop;
    } else if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      const stop = end < 0 ? source.length : end + 2;
      blank(i, stop);
      i = stop;
    } else if (c === '"' || c === "'" || c === "`") {
      let k = i + 1;
      while (k < source.length && source[k] !== c) k += source[k] === "\\" ? 2 : 1;
      blank(i, k + 1);
      i = k + 1;
    } else {
      i++;
    }
  }
  const text = out.join("");
  return text
    .split("\n")
    .map((line) => (/^\s*(import|export \{|export \*|@|\} from)/.test(line) ? " ".repeat(line.length) : line))
    .join("\n");
}

const SWAPS = [
  { name: "equality", re: / (===|!==|==|!=) /g, to: { "==": ["!="], "!=": ["=="], "===": ["!=="], "!==": ["==="] } },
  {
    name: "relational",
    re: / (<=|>=|<|>) /g,
    to: { "<": ["<=", ">="], "<=": ["<", ">"], ">": [">=", "<="], ">=": [">", "<"] },
  },
  { name: "logical", re: / (&&|\|\|) /g, to: { "&&": ["||"], "||": ["&&"] } },
  { name: "arithmetic", re: / ([+-]) (?!=)/g, to: { "+": ["-"], "-": ["+"] } },
  { name: "boolean", re: /\b(true|false)\b/g, to: { true: ["false"], false: ["true"] } },
  {
    name: "action",
    re: /\bAction\.(Continue|Pause)\b/g,
    to: { Continue: ["Pause"], Pause: ["Continue"] },
  },
  {
    name: "status",
    re: /\bStatus\.(Ok|NotFound|BadArgument|CasMismatch|Empty|InternalFailure)\b/g,
    to: {
      Ok: ["NotFound"],
      NotFound: ["Ok"],
      BadArgument: ["Ok"],
      CasMismatch: ["Ok"],
      Empty: ["Ok"],
      InternalFailure: ["Ok"],
    },
  },
  { name: "not", re: /\((!)(?!=)/g, to: { "!": [""] } },
];

/** Every mutant of one file: where it is, what it changes, and the mutated source. */
export function findMutants(file, source) {
  const code = codeOnly(source);
  const mutants = [];
  const lineOf = (offset) => source.slice(0, offset).split("\n").length;
  const lines = source.split("\n");
  const add = (operator, start, original, replacement) => {
    const line = lineOf(start);
    // + on a line that builds text is concatenation: - would not compile.
    if (operator === "arithmetic" && /["'`]|toString\(/.test(lines[line - 1])) return;
    // The source's own text (the code-only copy has its strings blanked).
    mutants.push({ file, line, operator, start, original: source.slice(start, start + original.length), replacement });
  };
  for (const swap of SWAPS) {
    for (const m of code.matchAll(swap.re)) {
      const token = m[1];
      const start = m.index + m[0].indexOf(token, m[0].startsWith(" ") ? 1 : 0);
      for (const replacement of swap.to[token] ?? []) add(swap.name, start, token, replacement);
    }
  }
  // Integer literals (decimal, not part of a name, a float or a hex literal).
  for (const m of code.matchAll(/(?<![\w.])(\d+)(?![\w.])/g)) {
    const value = Number(m[1]);
    add("integer", m.index, m[1], String(value === 1 ? 0 : value + 1));
  }
  // A call on a line of its own, as a statement: removed.
  let offset = 0;
  for (const line of code.split("\n")) {
    const m = /^(\s*)((?:this\.)?[A-Za-z_][\w.]*(?:<[\w<>, ]*>)?\(.*\);)\s*$/.exec(line);
    if (m && !/^(return|throw|const|let|var|if|for|while|switch)\b/.test(m[2])) {
      add("call removed", offset + m[1].length, m[2], "");
    }
    offset += line.length + 1;
  }
  return mutants.sort((a, b) => a.start - b.start || a.replacement.localeCompare(b.replacement));
}

function apply(source, mutant) {
  return source.slice(0, mutant.start) + mutant.replacement + source.slice(mutant.start + mutant.original.length);
}

/** Files matching "dir/*.ts" patterns, relative to `root`, sorted. */
export function expand(root, patterns, exclude = []) {
  const files = new Set();
  for (const pattern of patterns) {
    if (!pattern.includes("*")) {
      files.add(pattern);
      continue;
    }
    const dir = dirname(pattern);
    const suffix = pattern.slice(dir.length + 2); // after "dir/*"
    let entries = [];
    try {
      entries = readdirSync(join(root, dir), { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (entry.isFile() && entry.name.endsWith(suffix)) files.add(`${dir}/${entry.name}`);
    }
  }
  return [...files].filter((f) => !exclude.includes(f)).sort();
}

// --- running them -----------------------------------------------------------------------------

function run(cmd, args, options) {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, { ...options, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let output = "";
    child.stdout.on("data", (d) => {
      output += d;
    });
    child.stderr.on("data", (d) => {
      output += d;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
    }, options.timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, output, timedOut });
    });
  });
}

const COMPILE_ERROR = /ERROR (TS|AS)\d+/;

/** Copies the tracked (and not ignored) files to a temporary folder beside a link to node_modules. */
function workCopy(sources = new Map()) {
  const dir = mkdtempSync(join(tmpdir(), "meshwasm-mutate-as-"));
  const tracked = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" });
  if (tracked.status !== 0) throw new Error(`git ls-files failed: ${tracked.stderr}`);
  for (const file of tracked.stdout.split("\0").filter(Boolean)) {
    // Only what tests can need: sources, tests, configs (not the bench peers or docs images).
    if (/^(bench\/peers|docs\/.*\.(svg|png))/.test(file)) continue;
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    try {
      cpSync(join(ROOT, file), join(dir, file));
    } catch {}
  }
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  // The mutants were found in these sources: a file edited while the copy was taken would
  // put every mutant of it in the wrong place (and fail the unmutated tests an hour later).
  for (const [file, source] of sources) {
    if (readFileSync(join(dir, file), "utf8") !== source) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`mutate:as: ${file} changed while the run started; start it again on an unchanging tree`);
    }
  }
  return dir;
}

async function judge(copy, group, options, timeoutMs) {
  const env = { ...process.env, CONFORMANCE_ONLY: "emulator", FORCE_COLOR: "0", NO_COLOR: "1" };
  const aspect = options.aspect ?? group.aspect;
  if (aspect.length > 0) {
    const entries = JSON.stringify(aspect);
    writeFileSync(
      join(copy, "as-pect.mutate.cjs"),
      `module.exports = { ...require("./as-pect.config.cjs"), entries: ${entries} };\n`,
    );
    const r = await run("npx", ["asp", "--config", "as-pect.mutate.cjs"], { cwd: copy, env, timeoutMs });
    if (r.timedOut) return { status: "timeout", by: "as-pect" };
    if (COMPILE_ERROR.test(r.output)) return { status: "invalid", by: "as-pect", output: r.output };
    if (r.code !== 0) return { status: "killed", by: "as-pect", output: r.output };
  }
  if (!options.aspectOnly && group.vitest.length > 0) {
    const files = group.vitest.flatMap((p) => (p.includes("*") ? expand(copy, [p]) : [p]));
    const r = await run("npx", ["vitest", "run", "--bail=1", ...files], { cwd: copy, env, timeoutMs });
    if (r.timedOut) return { status: "timeout", by: "vitest" };
    if (COMPILE_ERROR.test(r.output)) return { status: "invalid", by: "vitest", output: r.output };
    if (r.code !== 0) return { status: "killed", by: "vitest", output: r.output };
  }
  return { status: "survived" };
}

function parseArgs(argv) {
  const options = { aspectOnly: false, list: false, sample: 0, seed: Date.now() % 100000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--group") options.group = argv[++i];
    else if (a === "--sample") options.sample = Number(argv[++i]);
    else if (a === "--seed") options.seed = Number(argv[++i]);
    else if (a === "--aspect-only") options.aspectOnly = true;
    else if (a === "--aspect") options.aspect = argv[++i].split(",").filter(Boolean);
    else if (a === "--file") options.file = argv[++i].split(",");
    else if (a === "--files") options.files = argv[++i].split(",");
    else if (a === "--tests") options.tests = argv[++i].split(",");
    else if (a === "--line") options.line = Number(argv[++i]);
    else if (a === "--list") options.list = true;
    else if (a === "--out") options.out = argv[++i];
    else if (a === "--rebuild") options.rebuild = true;
    else if (a === "--resume") options.resume = true;
    else if (a === "--resume-from") {
      options.resume = true;
      options.resumeFrom = argv[++i].split(",").filter(Boolean);
    }
    else throw new Error(`mutate:as: unknown option "${a}"`);
  }
  return options;
}

/** A small deterministic generator, so a sampled run can be repeated with its seed. */
function random(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

function score(results) {
  const count = (status) => results.filter((r) => r.status === status).length;
  const killed = count("killed") + count("timeout");
  const scored = killed + count("survived");
  return {
    mutants: results.length,
    killed: count("killed"),
    timeout: count("timeout"),
    survived: count("survived"),
    invalid: count("invalid"),
    equivalent: count("equivalent"),
    score: scored === 0 ? null : Math.round((killed / scored) * 1000) / 10,
  };
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const equivalent = loadEquivalents(ROOT);
  for (const e of equivalent.stale) console.log(`listed equivalent no longer in the source (judged as any other): ${e.file}:${e.line} ${e.original} -> ${e.replacement}`);
  // --files (with --aspect) mutates files outside the groups, judged by the given specs alone.
  const groups = options.files
    ? [{ name: "custom", files: options.files, aspect: options.aspect ?? [], vitest: [], modules: [] }]
    : GROUPS.filter((g) => !options.group || options.group.split(",").some((part) => g.name.includes(part)));
  if (groups.length === 0) throw new Error(`mutate:as: no group matches "${options.group}"`);

  let planned = [];
  const sources = new Map();
  for (const group of groups) {
    for (const file of expand(ROOT, group.files, group.exclude)) {
      if (options.file && !options.file.includes(file)) continue;
      const source = readFileSync(join(ROOT, file), "utf8");
      sources.set(file, source);
      for (const m of findMutants(file, source)) {
        if (options.line && m.line !== options.line) continue;
        planned.push({ ...m, group: group.name });
      }
    }
  }
  if (options.sample > 0 && planned.length > options.sample) {
    const next = random(options.seed);
    const picked = new Set();
    while (picked.size < options.sample) picked.add(Math.floor(next() * planned.length));
    planned = [...picked].sort((a, b) => a - b).map((i) => planned[i]);
  }
  // The journal: one line per verdict, keyed by the mutant and its file's source, so a run that
  // stops half-way (or a rerun after new tests) need not judge again what was settled.
  const outDir = options.out ?? join(ROOT, "reports/mutation/as");
  mkdirSync(outDir, { recursive: true });
  const journal = resolve(outDir, "journal.jsonl");
  const hashes = new Map();
  const keyOf = (m) => {
    if (!hashes.has(m.file)) hashes.set(m.file, createHash("sha1").update(readFileSync(join(ROOT, m.file))).digest("hex").slice(0, 12));
    return `${m.file}@${hashes.get(m.file)}:${m.start}:${m.original}->${m.replacement}${options.aspectOnly ? ":aspect-only" : ""}`;
  };
  const reused = [];
  for (const f of options.resumeFrom ?? []) if (!existsSync(f)) throw new Error(`mutate:as: --resume-from: no file ${f}`);
  const journals = [...new Set([...(options.resumeFrom ?? []).map((f) => resolve(f)), journal])].filter((f) => existsSync(f));
  if (options.resume && journals.length > 0) {
    const settled = new Map();
    for (const f of journals) {
      for (const line of readFileSync(f, "utf8").split("\n").filter(Boolean)) {
        const entry = JSON.parse(line);
        if (["killed", "timeout", "invalid"].includes(entry.status)) settled.set(entry.key, { ...entry, from: f });
      }
    }
    planned = planned.filter((m) => {
      const known = settled.get(keyOf(m));
      if (known) reused.push({ ...m, status: known.status, by: known.by, reused: true });
      // A verdict kept from another journal is copied into this run's, so it holds them all.
      if (known && known.from !== journal) appendFileSync(journal, `${JSON.stringify({ key: known.key, status: known.status, by: known.by })}\n`);
      return !known;
    });
    console.log(`--resume: ${reused.length} verdicts kept from ${journals.join(", ")}, ${planned.length} mutants to judge`);
  }
  // Mutants whose schema did not compile, kept (by key) for the next run's first round.
  const outFile = join(outDir, "schema-out.json");
  const takenOut = new Set(existsSync(outFile) ? JSON.parse(readFileSync(outFile, "utf8")) : []);
  const knownOut = (m) => takenOut.has(keyOf(m));
  const onTakenOut = (list) => {
    for (const m of list) takenOut.add(keyOf(m));
    writeFileSync(outFile, `${JSON.stringify([...takenOut], null, 1)}\n`);
  };
  const record = (m, verdict) => appendFileSync(journal, `${JSON.stringify({ key: keyOf(m), status: verdict.status, by: verdict.by })}\n`);
  planned = planned.map((m, id) => ({ ...m, id }));
  if (options.list) {
    for (const m of planned) console.log(`${m.file}:${m.line} ${m.operator}: ${m.original} -> ${m.replacement}`);
    console.log(`${planned.length} mutants`);
    return 0;
  }

  // The coverage run goes through whole test files, some of which run the pinned Envoy:
  // installed first, as `npm test` does, so a fresh clone runs.
  const setup = spawnSync("npm", ["run", "--silent", "setup:envoy"], { cwd: ROOT, stdio: "inherit" });
  if (setup.status !== 0) throw new Error("mutate:as: the Envoy set-up failed (`npm run setup:envoy` says why)");
  const started = Date.now();
  const copies = [];
  let results;
  let stats = {};
  try {
    if (planned.length === 0) {
      results = [];
    } else if (options.rebuild) {
      results = await rebuildAll(groups, planned, options, equivalent, copies, record, sources);
    } else {
      const copy = workCopy(sources);
      copies.push(copy);
      for (const group of groups) {
        const vitest = options.tests ?? group.vitest;
        group.vitestFiles = options.aspectOnly ? [] : vitest.flatMap((p) => (p.includes("*") ? expand(copy, [p]) : [p]));
        group.modules = [...(group.modules ?? []), ...filtersRead(copy, group.vitestFiles)];
        if (options.aspect) group.aspect = options.aspect;
        group.aspect = group.aspect.flatMap((p) => (p.includes("*") ? expand(copy, [p]) : [p]));
      }
      ({ results, stats } = await runSchemata({ copy, groups, planned, options, equivalent, log: (line) => console.log(line), onVerdict: record, knownOut, onTakenOut }));
    }
  } finally {
    for (const copy of copies) rmSync(copy, { recursive: true, force: true });
  }
  results = [...reused, ...results].sort((a, b) => a.file.localeCompare(b.file) || a.start - b.start || a.replacement.localeCompare(b.replacement));
  stats.reused = reused.length;
  stats.seconds = Math.round((Date.now() - started) / 1000);
  stats.mutantsPerMinute ??= Math.round((results.length / Math.max(1, stats.seconds / 60)) * 10) / 10;
  writeReport(groups, results, options, stats);
  return 0;
}

/** "filter:<name>" for each project filter whose build/<name>.wasm the test files (or the
 *  helpers beside them) read, as filters/rate-limit/test does: `npm test` builds it first, a
 *  copy of the tree has none, so the run builds it with the test modules. */
export function filtersRead(root, files) {
  const out = new Set();
  for (const file of files) {
    const m = /^filters\/([\w-]+)\/test\//.exec(file);
    if (!m || !existsSync(join(root, "filters", m[1], "assembly", "index.ts"))) continue;
    const dir = join(root, "filters", m[1], "test");
    const wanted = `build/${m[1]}.wasm`;
    if (readdirSync(dir).some((name) => name.endsWith(".ts") && readFileSync(join(dir, name), "utf8").includes(wanted))) out.add(`filter:${m[1]}`);
  }
  return [...out];
}

/** One mutant applied to its file in `copy`, judged, and the file restored. */
async function judgeOne(copy, group, m, options, timeoutMs) {
  const path = join(copy, m.file);
  const original = readFileSync(path, "utf8");
  writeFileSync(path, apply(original, m));
  try {
    const { output: _output, ...verdict } = await judge(copy, group, options, timeoutMs);
    return verdict;
  } finally {
    writeFileSync(path, original);
  }
}

/** The slow way (--rebuild): every mutant rebuilt and judged by all of its group's tests. */
async function rebuildAll(groups, planned, options, equivalent, copies, record, sources) {
  const copy = workCopy(sources);
  copies.push(copy);
  // The unmutated tests must pass, and give the time limit per mutant.
  for (const group of groups.filter((g) => planned.some((m) => m.group === g.name))) {
    const t = Date.now();
    const base = await judge(copy, group, options, 1_800_000);
    if (base.status !== "survived") {
      throw new Error(`mutate:as: the unmutated ${group.name} tests do not pass (${base.by}):\n${base.output ?? ""}`);
    }
    group.timeoutMs = Math.max(120_000, 3 * (Date.now() - t));
  }
  const results = [];
  for (const [index, m] of planned.entries()) {
    const group = groups.find((g) => g.name === m.group);
    const known = equivalent.of(m);
    const verdict = known ? { status: "equivalent", reason: known.reason } : await judgeOne(copy, group, m, options, group.timeoutMs);
    results.push({ ...m, ...verdict });
    record(m, verdict);
    const shown = m.replacement === "" ? "(removed)" : m.replacement;
    console.log(`[${index + 1}/${planned.length}] ${verdict.status.padEnd(10)} ${m.file}:${m.line} ${m.operator}: ${m.original} -> ${shown}`);
  }
  return results;
}

function writeReport(groups, results, options, stats) {
  const byGroup = Object.fromEntries(groups.map((g) => [g.name, score(results.filter((r) => r.group === g.name))]));
  const report = { seed: options.seed, sample: options.sample, aspectOnly: options.aspectOnly, rebuild: !!options.rebuild, stats, byGroup, results };
  const outDir = options.out ?? join(ROOT, "reports/mutation/as");
  const tag = options.group ? `-${options.group.replace(/[^\w.-]+/g, "_")}` : "";
  writeFileSync(join(outDir, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
  if (tag) writeFileSync(join(outDir, `report${tag}.json`), `${JSON.stringify(report, null, 2)}\n`);
  const lines = ["| group | mutants | killed | timeout | survived | invalid | equivalent | score |", "|---|---:|---:|---:|---:|---:|---:|---:|"];
  for (const [name, s] of Object.entries(byGroup)) {
    lines.push(`| ${name} | ${s.mutants} | ${s.killed} | ${s.timeout} | ${s.survived} | ${s.invalid} | ${s.equivalent} | ${s.score ?? "-"}% |`);
  }
  lines.push("", `Run: ${stats.seconds} s, ${stats.mutantsPerMinute} mutants/minute${stats.placed !== undefined ? `, ${stats.placed} in schemata, ${stats.rebuilt} rebuilt` : ""}${stats.reused ? `, ${stats.reused} verdicts kept from the journal` : ""}.`);
  const survivors = results.filter((r) => r.status === "survived");
  lines.push(
    "",
    "Surviving mutants:",
    ...survivors.map((r) => `- ${r.file}:${r.line} ${r.operator}: \`${r.original}\` -> \`${r.replacement}\`${r.noCoverage ? " (reached by no test)" : ""}`),
  );
  writeFileSync(join(outDir, `summary${tag}.md`), `${lines.join("\n")}\n`);
  if (tag) writeFileSync(join(outDir, "summary.md"), `${lines.join("\n")}\n`);
  console.log(lines.join("\n"));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (error) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(2);
    },
  );
}

// The fast path of `npm run mutate:as`: mutant schemata (see schema.mjs). In a copy of the
// repository, every mutated file is replaced by its schema, every as-pect spec and test
// module is compiled once, a first run with no mutant on gives which specs and which tests
// reach each mutant, and then each mutant is switched on in turn and judged by only those:
// the specs first (in a worker thread, milliseconds each), then the test-host tests (one
// vitest kept alive, only the covering tests, stopping at the first failure). A mutant no
// spec or test reaches survives without a run. Mutants that cannot be placed in a schema
// (they need a constant, or their schema does not compile) are judged by a rebuild each.

import { fork, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { buildSchema, functionMutants, helperSource, offsetOf, spansAt } from "./schema.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const HELPER = "assembly/__mutant__.ts";
const PLACE = /(?:in |\b)((?:assembly|filters|test|examples)\/[\w./-]+\.ts)[(:](\d+)[,:](\d+)/g;

function sh(cmd, args, cwd, timeoutMs = 1_800_000) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const timer = setTimeout(() => process.kill(-child.pid, "SIGKILL"), timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      // Colour codes split what is parsed ("ERROR AS220", file:line:column); some tools turn
      // colours on when FORCE_COLOR is set at all, even to 0.
      resolve({ code, output: plain(output) });
    });
  });
}

/** `text` without terminal colour codes. */
function plain(text) {
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}

/** Compile-error places named in a compiler's output. */
function places(output) {
  return [...plain(output).matchAll(PLACE)].map((m) => ({ file: m[1], line: Number(m[2]), column: Number(m[3]) }));
}

/** A pool of one worker thread running compiled as-pect specs, restarted after a timeout. */
class AspectRunner {
  constructor(copy) {
    this.copy = copy;
    this.worker = null;
  }
  start() {
    this.worker = new Worker(join(HERE, "aspect-worker.mjs"));
    this.worker.unref();
  }
  run(spec, id, count, timeoutMs) {
    if (!this.worker) this.start();
    const wasm = join(this.copy, spec.replace(/\.ts$/, ".wasm"));
    return new Promise((resolve) => {
      const worker = this.worker;
      const timer = setTimeout(() => {
        worker.removeAllListeners("message");
        worker.terminate();
        this.worker = null;
        resolve({ pass: false, timeout: true, failed: ["timeout"], covered: [] });
      }, timeoutMs);
      worker.once("message", (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      worker.once("error", (error) => {
        clearTimeout(timer);
        this.worker = null;
        resolve({ pass: false, failed: [`worker: ${error?.message ?? error}`], covered: [] });
      });
      worker.postMessage({ wasm, fileName: spec, id, count });
    });
  }
  close() {
    this.worker?.terminate();
  }
}

/** The vitest session child (vitest-session.mjs), restarted after a timeout. */
class VitestRunner {
  constructor(copy) {
    this.copy = copy;
    this.child = null;
  }
  async start() {
    this.child = fork(join(HERE, "vitest-session.mjs"), [], {
      cwd: this.copy,
      env: { ...process.env, CONFORMANCE_ONLY: "emulator", FORCE_COLOR: "0", NO_COLOR: "1" },
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      detached: true,
    });
    this.child.stderr.on("data", () => {});
    await new Promise((resolve, reject) => {
      this.child.once("message", resolve);
      this.child.once("exit", (code) => reject(new Error(`vitest session exited (${code})`)));
    });
  }
  async send(message, timeoutMs) {
    if (!this.child) await this.start();
    const child = this.child;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        child.removeAllListeners("message");
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {}
        this.child = null;
        resolve({ ok: false, timeout: true, failed: ["timeout"], tests: [] });
      }, timeoutMs);
      child.once("message", (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      child.send(message);
    });
  }
  close() {
    if (this.child) {
      try {
        process.kill(-this.child.pid, "SIGKILL");
      } catch {}
    }
  }
}

/** Marks the built test modules newer than every source, so the suites take them as built
 *  (test/modules/build.ts rebuilds a module older than the SDK's sources). */
function touchModules(copy) {
  const now = new Date();
  for (const dir of ["build/test-modules", "test/.tmp/refused-modules"]) {
    if (!existsSync(join(copy, dir))) continue;
    for (const name of readdirSync(join(copy, dir))) utimesSync(join(copy, dir, name), now, now);
  }
}

/** Writes every file's schema into the copy; returns the ids left to a rebuild each. */
function writeSchemata(copy, byFile, count, skip) {
  writeFileSync(join(copy, HELPER), helperSource(count));
  const unplaced = new Set();
  const texts = new Map();
  for (const [file, mutants] of byFile) {
    let helper = relative(dirname(file), HELPER).replace(/\.ts$/, "");
    if (!helper.startsWith(".")) helper = `./${helper}`;
    const source = readFileSync(join(copy, `${file}.orig`), "utf8");
    const { text, unplaced: left } = buildSchema(file, source, mutants, helper, skip);
    for (const id of left) unplaced.add(id);
    texts.set(file, text);
    writeFileSync(join(copy, file), text);
  }
  return { unplaced, texts };
}

/** The ids to take out of the schemata for compile errors at `found` (an empty list when an
 *  error cannot be traced to a mutant). */
function culprits(found, texts) {
  const ids = new Set();
  let untraced = 0;
  for (const place of found) {
    const text = texts.get(place.file);
    if (!text) {
      untraced++;
      continue;
    }
    const offset = offsetOf(text, place.line, place.column);
    let here = spansAt(text, offset);
    if (here.length === 0) here = functionMutants(text, offset);
    if (here.length === 0) untraced++;
    for (const id of here) ids.add(id);
  }
  return { ids, untraced };
}

/** One mutant as plain text in the schema copy (the other files keep their schemata, all
 *  switched off), judged by `reached`; the file's schema is put back afterwards. */
async function rebuildOne(copy, m, reached, modules, vitest) {
  const path = join(copy, m.file);
  const schema = readFileSync(path, "utf8");
  const source = readFileSync(`${path}.orig`, "utf8");
  writeFileSync(path, source.slice(0, m.start) + m.replacement + source.slice(m.start + m.original.length));
  try {
    for (const spec of reached.specs) {
      writeFileSync(join(copy, "as-pect.mutate.cjs"), `module.exports = { ...require("./as-pect.config.cjs"), entries: ${JSON.stringify([spec])} };\n`);
      const r = await sh("npx", ["asp", "--config", "as-pect.mutate.cjs"], copy, 600_000);
      if (/ERROR (TS|AS)\d+/.test(r.output)) return { status: "invalid", by: spec };
      if (r.code !== 0) return { status: "killed", by: spec };
    }
    if (reached.tests.length > 0) {
      const b = await sh("npx", ["tsx", "scripts/mutate-as/build-modules.mjs", ...modules], copy);
      const line = b.output.split("\n").find((l) => l.startsWith("BUILD-RESULT "));
      if (!line || JSON.parse(line.slice(13)).length > 0) return { status: "invalid", by: "build" };
      const r = await vitest.send({ type: "run", id: -1, count: 0, tests: reached.tests }, 900_000);
      if (r.timeout) return { status: "timeout", by: "vitest" };
      if (!r.ok) return { status: "killed", by: r.failed[0] ?? "vitest" };
    }
    return reached.specs.length === 0 && reached.tests.length === 0 ? { status: "survived", noCoverage: true } : { status: "survived" };
  } finally {
    writeFileSync(path, schema);
  }
}

/**
 * Judges `planned` (each with `id` = its index) in `copy` by schemata. Returns the verdicts
 * in the order of `planned`, and figures on the run.
 */
export async function runSchemata({ copy, groups, planned, options, equivalent, log, onVerdict = () => {}, knownOut = () => false, onTakenOut = () => {} }) {
  const count = planned.length;
  const byFile = new Map();
  for (const m of planned) {
    if (!byFile.has(m.file)) byFile.set(m.file, []);
    byFile.get(m.file).push(m);
  }
  for (const file of byFile.keys()) writeFileSync(join(copy, `${file}.orig`), readFileSync(join(copy, file)));
  const specs = [...new Set(groups.flatMap((g) => options.aspect ?? g.aspect))];
  const modules = options.aspectOnly ? [] : [...new Set(groups.flatMap((g) => g.modules ?? []))];
  const vitestFiles = options.aspectOnly ? [] : [...new Set(groups.flatMap((g) => g.vitestFiles ?? []))];

  // 1. Schemata that compile: take out the mutants compile errors point at, and retry.
  // Mutants an earlier run had to take out of the schemata (same source) start out: a rerun
  // then usually compiles in one round.
  const skip = new Set(planned.filter((m) => knownOut(m)).map((m) => m.id));
  if (skip.size > 0) log(`${skip.size} mutants left out of the schemata as in an earlier run`);
  const aspect = new AspectRunner(copy);
  const vitest = new VitestRunner(copy);
  let dry = null;
  const errorLog = [];
  let texts;
  let unplaced;
  const started = Date.now();
  // An entry that built keeps its binary in later rounds: taking more mutants out of the
  // schemata never breaks it, and the mutants taken out are never switched on.
  let pendingModules = modules;
  let pendingSpecs = specs;
  for (let round = 1; ; round++) {
    ({ texts, unplaced } = writeSchemata(copy, byFile, count, skip));
    const found = [];
    let hard = "";
    if (pendingModules.length > 0) {
      const r = await sh("npx", ["tsx", "scripts/mutate-as/build-modules.mjs", ...pendingModules], copy);
      const line = r.output.split("\n").find((l) => l.startsWith("BUILD-RESULT "));
      if (!line) hard += r.output;
      const failed = line ? JSON.parse(line.slice(13)) : [];
      pendingModules = failed.map((e) => e.entry);
      for (const e of failed) {
        found.push(...e.places.filter((p) => p.file));
        if (e.places.length === 0) hard += `${e.entry}: ${e.message}\n`;
      }
    }
    touchModules(copy);
    const specsFailed = [];
    for (const spec of pendingSpecs) {
      writeFileSync(join(copy, "as-pect.mutate.cjs"), `module.exports = { ...require("./as-pect.config.cjs"), entries: ${JSON.stringify([spec])}, outputBinary: true };\n`);
      const r = await sh("npx", ["asp", "--config", "as-pect.mutate.cjs"], copy);
      if (/ERROR (TS|AS)\d+/.test(r.output)) {
        found.push(...places(r.output));
        specsFailed.push(spec);
      } else if (!existsSync(join(copy, spec.replace(/\.ts$/, ".wasm")))) hard += `${spec}: no binary\n${r.output.slice(-2000)}`;
      else if (r.code !== 0) hard += `${spec}: the unmutated spec fails\n${r.output.slice(-3000)}`;
    }
    pendingSpecs = specsFailed;
    // The coverage run of the test-host suites (it also builds what the suites build).
    if (found.length === 0 && hard === "" && vitestFiles.length > 0) {
      const t = Date.now();
      dry = await vitest.send({ type: "dry", files: vitestFiles, count }, 3_600_000);
      log(`coverage run: ${dry.tests.length} tests (${Math.round((Date.now() - t) / 1000)} s)`);
      if (!dry.ok) {
        const more = places(dry.failed.join("\n"));
        found.push(...more);
        if (more.length === 0) hard += `the unmutated test-host suites fail:\n${dry.failed.join("\n")}\n`;
      }
    }
    const { ids, untraced } = culprits(found, texts);
    for (const f of found) errorLog.push(`round ${round}: ${f.file}:${f.line}:${f.column}`);
    log(`schemata round ${round}: ${count - skip.size - unplaced.size} mutants placed, ${found.length} compile errors, ${ids.size} mutants taken out (${Math.round((Date.now() - started) / 1000)} s)`);
    if (found.length === 0 && hard === "") break;
    if (ids.size === 0 || untraced > 0 && round > 6) throw new Error(`mutate:as: the schemata do not build and the errors point at no mutant:\n${hard}${JSON.stringify(found.slice(0, 5))}`);
    if (hard !== "" && found.length === 0) throw new Error(`mutate:as: the unmutated build or specs fail:\n${hard}`);
    for (const id of ids) skip.add(id);
  }
  onTakenOut(planned.filter((m) => skip.has(m.id)));
  const slow = new Set([...skip, ...unplaced]);

  // 2. The coverage run: no mutant on; everything must pass.
  const reachedBy = new Map(); // id -> { specs: [], tests: [] }
  const reach = (id) => reachedBy.get(id) ?? reachedBy.set(id, { specs: [], tests: [] }).get(id);
  let specMs = 1000;
  for (const spec of specs) {
    const t = Date.now();
    const r = await aspect.run(spec, -1, count, 3_600_000);
    specMs = Math.max(specMs, Date.now() - t);
    if (!r.pass) throw new Error(`mutate:as: the unmutated ${spec} fails: ${r.failed.join("; ")}`);
    for (const id of r.covered) reach(id).specs.push(spec);
  }
  for (const test of dry?.tests ?? []) for (const id of test.mutants) reach(id).tests.push(test.id);

  // 3. Each mutant on its own: the ones in schemata, then the ones rebuilt each.
  const results = new Map();
  const runStarted = Date.now();
  const show = (m, verdict) => {
    results.set(m.id, { ...m, ...verdict });
    onVerdict(m, verdict);
    const shown = m.replacement === "" ? "(removed)" : m.replacement;
    log(`[${results.size}/${planned.length}] ${verdict.status.padEnd(10)} ${m.file}:${m.line} ${m.operator}: ${m.original} -> ${shown}${verdict.noCoverage ? " (reached by no test)" : ""}${verdict.via ? ` (${verdict.via})` : ""}`);
  };
  const slowOnes = [];
  try {
    for (const m of planned) {
      const known = equivalent.of(m);
      if (known) {
        show(m, { status: "equivalent", reason: known.reason });
        continue;
      }
      if (slow.has(m.id)) {
        slowOnes.push(m);
        continue;
      }
      const reached = reachedBy.get(m.id) ?? { specs: [], tests: [] };
      let verdict = null;
      for (const spec of reached.specs) {
        const r = await aspect.run(spec, m.id, count, Math.max(120_000, 10 * specMs));
        if (r.timeout) verdict = { status: "timeout", by: spec };
        else if (!r.pass) verdict = { status: "killed", by: `${spec}: ${r.failed[0] ?? ""}` };
        if (verdict) break;
      }
      if (!verdict && reached.tests.length > 0 && !options.aspectOnly) {
        const r = await vitest.send({ type: "run", id: m.id, count, tests: reached.tests }, 600_000);
        if (r.timeout) verdict = { status: "timeout", by: "vitest" };
        else if (!r.ok) verdict = { status: "killed", by: r.failed[0] ?? "vitest" };
      }
      if (!verdict) {
        verdict = { status: "survived", specs: reached.specs.length, tests: reached.tests.length };
        if (reached.specs.length === 0 && (options.aspectOnly || reached.tests.length === 0)) verdict.noCoverage = true;
      }
      show(m, verdict);
    }
    // The rebuilt ones: the mutant written into the schema copy as plain text, its place's
    // specs and modules rebuilt, and judged by the tests that reach the mutants placed on
    // the same lines (or near them); none near: every spec of its group and the tests that
    // reach any mutant of its file. A survivor there is judged again by the wider set.
    for (const m of slowOnes) {
      const near = [];
      for (const d of [0, 1, 2, 3, 5, 8]) {
        for (const other of planned) {
          if (other.file === m.file && Math.abs(other.line - m.line) <= d && reachedBy.has(other.id) && !slow.has(other.id)) near.push(reachedBy.get(other.id));
        }
        if (near.length > 0) break;
      }
      // None near (a top-level constant far from any code in a schema): the tests that reach
      // any mutant of its file, not none (the list sizes at the top of exports.ts are read by
      // every root the dispatcher makes).
      const noneNear = near.length === 0;
      if (noneNear) {
        for (const other of planned) if (other.file === m.file && reachedBy.has(other.id) && !slow.has(other.id)) near.push({ specs: [], tests: reachedBy.get(other.id).tests });
      }
      const groupSpecs = options.aspect ?? groups.find((g) => g.name === m.group)?.aspect ?? [];
      const reached = {
        specs: noneNear ? groupSpecs : [...new Set(near.flatMap((r) => r.specs))],
        tests: options.aspectOnly ? [] : [...new Set(near.flatMap((r) => r.tests))],
      };
      let verdict = await rebuildOne(copy, m, reached, modules, vitest);
      // The tests near a line are a guess at what reads it (a constant may be read far from
      // where it is written): a survivor is judged again by the rest of its group's specs and
      // the tests that reach any mutant of its file, so it is not reported alive while a test
      // elsewhere kills it.
      if (verdict.status === "survived" && !noneNear) {
        const fileTests = options.aspectOnly ? [] : [...new Set(planned.filter((o) => o.file === m.file && reachedBy.has(o.id) && !slow.has(o.id)).flatMap((o) => reachedBy.get(o.id).tests))];
        const wider = { specs: groupSpecs.filter((s) => !reached.specs.includes(s)), tests: fileTests.filter((t) => !reached.tests.includes(t)) };
        if (wider.specs.length > 0 || wider.tests.length > 0) {
          const again = await rebuildOne(copy, m, wider, modules, vitest);
          if (again.status !== "survived" || verdict.noCoverage) verdict = again;
        }
      }
      show(m, { ...verdict, via: "rebuild" });
    }
  } finally {
    aspect.close();
    vitest.close();
    if (errorLog.length > 0) log(`schemata compile errors:\n${errorLog.join("\n")}`);
  }
  const minutes = (Date.now() - runStarted) / 60_000;
  return { results: planned.map((m) => results.get(m.id)), stats: { placed: count - slow.size, rebuilt: slow.size, prepareSeconds: Math.round((runStarted - started) / 1000), mutantsPerMinute: minutes > 0 ? Math.round((results.size / minutes) * 10) / 10 : null } };
}

// vitest set-up file for `npm run mutate:as` (added by scripts/mutate-as/vitest-session.mjs):
// every WebAssembly module a test compiles gets the active mutant's id written into its
// switch cell (see schema.mjs), and in the coverage run each test records which mutants its
// modules reached. Modules without a switch cell are left as they are.
import { afterEach, inject } from "vitest";

const MAGIC = Buffer.from("MWMUTANT", "latin1");
const key = Symbol.for("meshwasm.mutate-as");
const state = globalThis[key] ?? (globalThis[key] = install());
state.active = inject("meshwasmMutant") ?? -1;
state.count = inject("meshwasmMutantCount") ?? 0;

function patch(bytes) {
  if (!(bytes instanceof Uint8Array) && !(bytes instanceof ArrayBuffer)) return bytes;
  const view = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes;
  const buffer = Buffer.from(view.buffer, view.byteOffset, view.byteLength);
  if (buffer.indexOf(MAGIC) < 0) return bytes;
  const out = Buffer.from(buffer);
  for (let at = out.indexOf(MAGIC); at >= 0; at = out.indexOf(MAGIC, at + MAGIC.length)) {
    out.writeInt32LE(state.active, at + MAGIC.length);
  }
  return new Uint8Array(out);
}

function install() {
  const s = { active: -1, count: 0, fresh: [], kept: new Set(), first: new WeakMap() };
  const WA = globalThis.WebAssembly;
  const record = (instance) => {
    const memory = instance?.exports?.memory;
    if (memory instanceof WA.Memory) s.fresh.push(memory);
    return instance;
  };
  const compile = WA.compile.bind(WA);
  WA.compile = (bytes, ...rest) => compile(patch(bytes), ...rest);
  const instantiate = WA.instantiate.bind(WA);
  WA.instantiate = async (source, ...rest) => {
    const result = await instantiate(source instanceof WA.Module ? source : patch(source), ...rest);
    record(result instanceof WA.Instance ? result : result.instance);
    return result;
  };
  WA.Module = new Proxy(WA.Module, { construct: (target, [bytes, ...rest]) => new target(patch(bytes), ...rest) });
  WA.Instance = new Proxy(WA.Instance, { construct: (target, args) => record(new target(...args)) });
  return s;
}

/** The mutant ids reached in each memory since the last call (their marks are cleared).
 *  A module's start-up (`_initialize`: top-level statements, the field initialisers of the
 *  objects it makes there) runs once, in whichever test or hook first creates the host, and
 *  a host made in `beforeAll` serves every test of its file: the ids of a memory's first
 *  collection (its start-up among them) count as reached by every later test that reaches
 *  anything in that memory, so a mutant of the start-up is judged by all the tests that use
 *  its host, not only by the first one. */
function reached() {
  const ids = new Set();
  for (const memory of state.fresh) state.kept.add(new WeakRef(memory));
  state.fresh = [];
  for (const ref of state.kept) {
    const memory = ref.deref();
    if (!memory) {
      state.kept.delete(ref);
      continue;
    }
    const bytes = Buffer.from(memory.buffer, 0, Math.min(memory.buffer.byteLength, 1 << 22));
    const at = bytes.indexOf(MAGIC);
    if (at < 0) {
      state.kept.delete(ref);
      continue;
    }
    const map = at + 16;
    const mine = [];
    for (let id = 0; id < state.count; id++) {
      if (bytes[map + id] !== 0) {
        mine.push(id);
        bytes[map + id] = 0;
      }
    }
    const first = state.first.get(memory);
    if (first === undefined) state.first.set(memory, mine);
    else if (mine.length > 0) for (const id of first) ids.add(id);
    for (const id of mine) ids.add(id);
  }
  return [...ids];
}

if (state.active < 0) {
  afterEach(({ task }) => {
    task.meta.mutants = reached();
  });
}

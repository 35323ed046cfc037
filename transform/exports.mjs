// An AssemblyScript compiler transform (`asc --transform`): a filter's module exports only the
// per-stream HTTP callbacks the filter uses.
//
// Envoy (proxy-wasm-cpp-host) looks up each `proxy_on_*` export once and, for a stream, calls
// only the ones the module exports: a missing request/response callback counts as Continue,
// a missing proxy_on_done as "done", a missing proxy_on_log as nothing to do. The SDK's
// dispatcher exports every callback, so without this transform every stream enters the VM
// for every callback even when the filter overrides none of them.
//
// After the program is compiled (before Binaryen's optimizer, so the dispatch code behind a
// removed export goes too), the transform collects the methods overridden by every class that
// extends the SDK's Context (a chain's members included: they are all in the program; the
// SDK's own generic classes do not count) and removes an SDK export only when its dispatch is
// a pure pass-through for this program:
//
// - proxy_on_request_headers / _body / _trailers: no class overrides onRequestHeaders /
//   onRequestBody / onRequestTrailers, and nothing outside the SDK mentions whole-body
//   buffering of the request (bufferRequestBody, bufferingRequest): buffering works in all
//   three. The same for the response. A chain keeps proxy_on_request_headers: that is where
//   it creates its members' contexts.
// - proxy_on_log / proxy_on_done: no class overrides onLog / onDone.
//
// - proxy_on_context_create, always: Envoy then skips that VM entry for every stream (and
//   root), and the SDK makes each context at the first callback naming it (assembly/
//   exports.ts says how it finds a stream's root).
//
// - The root's answers, each when the module never makes the call it answers (its import is
//   not in the module: the compiler imports only what the program calls): proxy_on_tick
//   without proxy_set_tick_period_milliseconds, proxy_on_queue_ready without
//   proxy_register_shared_queue (the host calls it for queues this VM registered),
//   proxy_on_http_call_response without proxy_http_call, the four proxy_on_grpc_* without
//   proxy_grpc_call and proxy_grpc_stream. Envoy cannot call them then, so their dispatch
//   (and what only it reaches: timers, the callout tables) is dead code in the module.
//
// Every other export stays: deletion (the SDK's context maps), the root's start and
// configuration, TCP, foreign functions. A program without the SDK is left as it is. `meshwasm build --export-all` builds without this transform, and so keeps
// proxy_on_context_create: Envoy then announces every context (see assembly/README.md for
// when that matters: several plugins with one root_id in one VM).
//
// A build for one configuration (`meshwasm build --for-config`) also removes the callbacks
// that configuration does not need: it compiles with `--use MESHWASM_PRUNED_CALLBACKS=<bits>`
// (bit i is the i-th of transform/callbacks.mjs' STREAM_CALLBACKS, as in assembly/callbacks.ts),
// which the SDK reads too, so the module refuses a later configuration that needs one of them. proxy_on_delete is
// left out only that way: for a configuration that keeps no stream state.

import { ElementKind } from "assemblyscript";
import { callbackNames, PRUNABLE, STREAM_CALLBACKS } from "./callbacks.mjs";

export { PRUNABLE };

/** Exports the build always leaves out of a program that uses the SDK. */
export const ALWAYS_DROPPED = Object.freeze(["proxy_on_context_create"]);

const REQUEST = ["proxy_on_request_headers", "proxy_on_request_body", "proxy_on_request_trailers"];
const RESPONSE = [
  "proxy_on_response_headers",
  "proxy_on_response_body",
  "proxy_on_response_trailers",
];

/** The SDK's classes whose callbacks only pass on (defaults, or a chain's fan-out). */
const PASS_THROUGH = {
  context: ["Context", "RootContext", "HttpContext", "StreamContext"],
  chain: ["ChainRoot", "ChainStream"],
};

const BUFFERS_REQUEST = /\b(bufferRequestBody|bufferingRequest)\b/;
const BUFFERS_RESPONSE = /\b(bufferResponseBody|bufferingResponse)\b/;

/** The root callbacks that answer a call of the module's own, each with the imports (any one)
 *  through which the module makes that call: without them the host never calls it. */
export const ANSWERS = Object.freeze({
  proxy_on_tick: ["proxy_set_tick_period_milliseconds"],
  proxy_on_queue_ready: ["proxy_register_shared_queue"],
  proxy_on_http_call_response: ["proxy_http_call"],
  proxy_on_grpc_receive_initial_metadata: ["proxy_grpc_call", "proxy_grpc_stream"],
  proxy_on_grpc_receive: ["proxy_grpc_call", "proxy_grpc_stream"],
  proxy_on_grpc_receive_trailing_metadata: ["proxy_grpc_call", "proxy_grpc_stream"],
  proxy_on_grpc_close: ["proxy_grpc_call", "proxy_grpc_stream"],
});

/**
 * The root callbacks a module importing `imports` can never be called with (see ANSWERS).
 * @param {Iterable<string>} imports the names of the module's function imports
 * @returns {string[]}
 */
export function unansweredCallbacks(imports) {
  const have = new Set(imports);
  return Object.entries(ANSWERS)
    .filter(([, calls]) => !calls.some((call) => have.has(call)))
    .map(([name]) => name);
}

/** The alias `meshwasm build --for-config` sets: the callbacks its configuration does not need. */
export const PRUNED_ALIAS = "MESHWASM_PRUNED_CALLBACKS";

/**
 * The exports named by the bits of a --use MESHWASM_PRUNED_CALLBACKS value (none when absent).
 * @param {string | undefined} value
 * @returns {string[]}
 */
export function prunedByConfiguration(value) {
  if (value === undefined) return [];
  const bits = Number(value);
  const max = (1 << STREAM_CALLBACKS.length) - 1;
  if (!Number.isInteger(bits) || bits < 0 || bits > max) {
    throw new Error(`--use ${PRUNED_ALIAS}=${value}: expected an integer from 0 to ${max}`);
  }
  return callbackNames(bits);
}

/**
 * The prunable exports a program does not need.
 * @param {{ overridden: Iterable<string>, buffersRequest: boolean, buffersResponse: boolean,
 *   chain: boolean }} uses
 * @returns {string[]}
 */
export function unusedCallbacks(uses) {
  const overridden = new Set(uses.overridden);
  const keep = new Set();
  for (const [name, method] of Object.entries(PRUNABLE)) {
    if (overridden.has(method)) keep.add(name);
  }
  if (uses.buffersRequest) for (const name of REQUEST) keep.add(name);
  if (uses.buffersResponse) for (const name of RESPONSE) keep.add(name);
  if (uses.chain) keep.add("proxy_on_request_headers");
  return Object.keys(PRUNABLE).filter((name) => !keep.has(name));
}

/** Every class prototype declared in the program (top level and in namespaces). */
function* classPrototypes(program) {
  const seen = new Set();
  function* walk(members) {
    if (!members) return;
    for (const element of members.values()) {
      if (seen.has(element)) continue;
      seen.add(element);
      if (element.kind === ElementKind.ClassPrototype) yield element;
      if (element.kind === ElementKind.Namespace) yield* walk(element.members);
    }
  }
  for (const file of program.filesByName.values()) yield* walk(file.members);
}

/** The file that declares the SDK's context classes, or null (a program without the SDK). */
function sdkContextFiles(program) {
  const found = [];
  for (const file of program.filesByName.values()) {
    const members = file.members;
    if (!members) continue;
    const all = ["Context", "RootContext", "HttpContext", "StreamContext", "ChainLink"].every(
      (name) => members.get(name)?.kind === ElementKind.ClassPrototype,
    );
    if (all) found.push(file);
  }
  return found;
}

/**
 * What the program uses: the context methods its classes override, whether anything outside
 * the SDK buffers bodies, whether it is a chain. Null when the program has no SDK.
 */
export function programUses(program, hasFunction) {
  const contextFiles = sdkContextFiles(program);
  if (contextFiles.length === 0) return null;
  const sdkDirs = contextFiles.map((file) => file.internalName.replace(/\/context$/, ""));
  const bases = new Set(contextFiles.map((file) => file.members.get("Context")));
  const passThrough = new Set();
  for (const dir of sdkDirs) {
    for (const [file, names] of Object.entries(PASS_THROUGH)) {
      const members = program.filesByName.get(`${dir}/${file}`)?.members;
      for (const name of names) {
        const element = members?.get(name);
        if (element) passThrough.add(element);
      }
    }
  }
  const overridden = new Set();
  for (const prototype of classPrototypes(program)) {
    if (passThrough.has(prototype) || !extendsContext(prototype, bases)) continue;
    for (const name of prototype.instanceMembers?.keys() ?? []) overridden.add(name);
  }
  // Whole-body buffering is switched on from user code (a method call or the public flag):
  // any mention outside the SDK's own definition keeps the direction's three callbacks.
  const sdkOwn = new Set(
    sdkDirs.flatMap((dir) => [`${dir}/context.ts`, `${dir}/internal/http-dispatch.ts`]),
  );
  let buffersRequest = false;
  let buffersResponse = false;
  for (const source of program.sources) {
    if (sdkOwn.has(source.normalizedPath)) continue;
    if (BUFFERS_REQUEST.test(source.text)) buffersRequest = true;
    if (BUFFERS_RESPONSE.test(source.text)) buffersResponse = true;
  }
  const chain = sdkDirs.some(
    (dir) => hasFunction(`${dir}/chain/registerChain`) || hasFunction(`${dir}/chain/ChainStream#`),
  );
  return { overridden, buffersRequest, buffersResponse, chain, sdkDirs };
}

/**
 * Whether a class extends the SDK's Context; a base that did not resolve counts as yes (the
 * safe answer: its overrides keep their callbacks).
 */
function extendsContext(prototype, bases) {
  let current = prototype;
  for (let depth = 0; current && depth < 1000; depth++) {
    if (bases.has(current)) return true;
    if (!current.basePrototype && current.extendsNode) return true;
    current = current.basePrototype;
  }
  return false;
}

/**
 * The transform: asc makes one instance per compilation, calls afterInitialize with the
 * program and afterCompile with the compiled (not yet optimized) module. asc also puts the
 * program on the class's prototype, shared by compilations running at the same time in one
 * process, so the transform keeps its own from afterInitialize.
 */
export default class PruneExports {
  afterInitialize(program) {
    this.ownProgram = program;
  }

  afterCompile(module) {
    const binaryen = this.binaryen;
    const functions = [];
    const imports = [];
    for (let i = 0, n = module.getNumFunctions(); i < n; i++) {
      const info = binaryen.getFunctionInfo(module.getFunctionByIndex(i));
      functions.push(info.name);
      if (info.module) imports.push(info.base);
    }
    const hasFunction = (prefix) => functions.some((name) => name.startsWith(prefix));
    const uses = programUses(this.ownProgram, hasFunction);
    if (uses === null) return;
    const aliases = this.ownProgram.options.globalAliases;
    const unused = new Set([
      ...unusedCallbacks(uses),
      ...ALWAYS_DROPPED,
      ...unansweredCallbacks(imports),
      ...prunedByConfiguration(aliases?.get(PRUNED_ALIAS)),
    ]);
    const sdkExports = new Set(
      uses.sdkDirs.flatMap((dir) => [...unused].map((name) => `${dir}/exports/${name}`)),
    );
    const remove = [];
    for (let i = 0, n = module.getNumExports(); i < n; i++) {
      const info = binaryen.getExportInfo(module.getExportByIndex(i));
      // Only the SDK dispatcher's own export goes; a callback the filter defines itself stays.
      if (unused.has(info.name) && sdkExports.has(info.value)) remove.push(info.name);
    }
    for (const name of remove) module.removeExport(name);
  }
}

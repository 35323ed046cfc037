// `npm run bench:guest-cpu -- --only REGEX [--baseline NAME=PATH.wasm]... [--rust] [--rounds N] [--requests N]`:
// the guest's own CPU per request of a meshwasm bench module, with the host's side taken out.
//
// The module the bench runs (built for its configuration, as bench:guest finds it) is
// instantiated in Node's V8 (the engine Envoy embeds) against a stub host that does only what
// the work needs: it hands over the plugin configuration the bench gives the work (`{}` when
// none), tells the time, answers Envoy's verify_signature with "valid", answers a whole-map read with the request map the bench's client sends
// (plus the entries Envoy adds), the request body read with the client's body, a shared-data
// read with an 8-byte counter, a property read with a value of the attribute's usual length
// (request.path, source.address, ...), takes every write without looking at it, and answers
// every other call "not found". Each request is the callbacks Envoy makes for a stream, in
// its order (context create, request headers, the request body, response headers and body,
// done, log, delete), each called when the module exports it. Rounds of each module alternate
// (interleaved, so a busy machine slows each alike); the figure is process CPU time per
// request, median and minimum over the rounds. A `--baseline` module (another checkout's
// build of the same work) runs in the same rounds, and with `--rust` so does the Rust peer's
// module of the work (the same stub host: its allocator is proxy_on_memory_allocate).
// The host's cost (Envoy's header map, the crossings) is what bench:profile measures; this is
// the part of the JIT share the SDK's code decides.

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { WA, type WasmImports, type WasmMemory } from "../src/testing/wasm-api.ts";
import { encodePairs } from "../src/testing/wire.ts";
import { benchArgs, numberOption, patternOption, refuse } from "./lib/cli.ts";
import { builders } from "./lib/peers.ts";
import { requestShape, scenarios } from "./scenarios.ts";

const me = import.meta.url;
const { values } = benchArgs(me, () =>
  parseArgs({
    options: {
      only: { type: "string" },
      baseline: { type: "string", multiple: true, default: [] },
      rounds: { type: "string" },
      requests: { type: "string" },
      rust: { type: "boolean", default: false },
    },
  }),
);
const only = patternOption(me, "only", values.only) ?? refuse(me, "--only REGEX is required");
const rounds = numberOption(me, "rounds", values.rounds, 11, { min: 1, integer: true });
const perRound = numberOption(me, "requests", values.requests, 4000, { min: 1, integer: true });

type Fn = (...a: number[]) => number;

const OK = 0;
const NOT_FOUND = 1;
const REQUEST_HEADERS = 0;
const REQUEST_BODY = 0; // proxy_buffer_type_t
const CAS = 7;
/** VerifySignatureResult { bool result = 1 } with result true. */
const VERIFIED = new Uint8Array([0x08, 1]);

// The attributes' values as Envoy gives them for the bench's requests.
const PROPERTIES: Record<string, string> = {
  "request\0path": "/bench",
  "request\0method": "GET",
  "request\0host": "bench",
  "request\0protocol": "HTTP/1.1",
  "source\0address": "127.0.0.1:40312",
};

/** A path's key in PROPERTIES without building a string (the stub's time counts too): its
 *  length without a closing NUL, and its first and last bytes, which tell those apart. */
function propertyKey(path: Uint8Array): number {
  const n = path.length > 0 && path[path.length - 1] === 0 ? path.length - 1 : path.length;
  return n === 0 ? 0 : (n << 16) | ((path[0] ?? 0) << 8) | (path[n - 1] ?? 0);
}

interface Guest {
  name: string;
  request: () => void;
}

async function guestOf(
  name: string,
  path: string,
  work: Parameters<typeof requestShape>[0],
  configuration: string | undefined,
): Promise<Guest> {
  const shape = requestShape(work);
  const map = encodePairs([
    [":authority", "bench"],
    [":path", "/bench"],
    [":method", shape.method],
    [":scheme", "http"],
    ["user-agent", "wrk"],
    ["x-forwarded-proto", "http"],
    ["x-request-id", "5f1d1a0e-5c1e-4a55-9d1f-2b8c4b0d7e11"],
    ...Object.entries(shape.headers),
  ]);
  const encoder = new TextEncoder();
  const config = encoder.encode(configuration ?? "{}");
  const body = shape.body === undefined ? undefined : encoder.encode(shape.body);
  const counter = new Uint8Array(8);
  const properties = new Map(
    Object.entries(PROPERTIES).map(([k, v]) => [propertyKey(encoder.encode(k)), encoder.encode(v)]),
  );
  const module = new WA.Module(readFileSync(path));
  let exports: Record<string, Fn | undefined> = {};
  let memory: WasmMemory = { buffer: new ArrayBuffer(0) };
  // Hands `bytes` over as Envoy does: the guest's malloc (Envoy looks for `malloc` first),
  // then the pointer and size written out.
  const handOver = (bytes: Uint8Array, ptrOut: number, sizeOut: number) => {
    const alloc = (exports.malloc ?? exports.proxy_on_memory_allocate) as Fn;
    const p = alloc(bytes.length) >>> 0;
    new Uint8Array(memory.buffer).set(bytes, p);
    const view = new DataView(memory.buffer);
    view.setUint32(ptrOut, p, true);
    view.setUint32(sizeOut, bytes.length, true);
    return 0;
  };
  const env: Record<string, Fn> = {
    proxy_get_header_map_pairs: (type, ptrOut, sizeOut) =>
      type === REQUEST_HEADERS ? handOver(map, ptrOut, sizeOut) : NOT_FOUND,
    proxy_set_header_map_pairs: () => 0,
    proxy_add_header_map_value: () => 0,
    proxy_remove_header_map_value: () => 0,
    proxy_replace_header_map_value: () => 0,
    proxy_get_buffer_bytes: (type, start, max, ptrOut, sizeOut) => {
      if (type !== REQUEST_BODY) return handOver(config, ptrOut, sizeOut);
      if (body === undefined) return NOT_FOUND;
      return handOver(body.subarray(start, start + max), ptrOut, sizeOut);
    },
    proxy_get_buffer_status: (type, sizeOut, flagsOut) => {
      const view = new DataView(memory.buffer);
      view.setUint32(sizeOut, type === REQUEST_BODY ? (body?.length ?? 0) : config.length, true);
      view.setUint32(flagsOut, 0, true);
      return OK;
    },
    proxy_set_buffer_bytes: () => OK,
    proxy_get_shared_data: (_key, _keySize, ptrOut, sizeOut, casOut) => {
      handOver(counter, ptrOut, sizeOut);
      new DataView(memory.buffer).setUint32(casOut, CAS, true);
      return OK;
    },
    proxy_set_shared_data: () => OK,
    proxy_get_property: (path, pathSize, ptrOut, sizeOut) => {
      const value = properties.get(propertyKey(new Uint8Array(memory.buffer, path, pathSize)));
      return value === undefined ? NOT_FOUND : handOver(value, ptrOut, sizeOut);
    },
    // The clock: a token's time claims are checked against it on every request.
    proxy_get_current_time_nanoseconds: (timeOut) => {
      const ns = BigInt(Date.now()) * 1_000_000n;
      new DataView(memory.buffer).setBigUint64(timeOut, ns, true);
      return OK;
    },
    // verify_signature's answer for the bench's tokens, which are all valid: { result: true }.
    // (Otherwise every request of an auth work would be refused and none cached.)
    proxy_call_foreign_function: (_name, _nameSize, _args, _argsSize, ptrOut, sizeOut) =>
      handOver(VERIFIED, ptrOut, sizeOut),
    proxy_get_log_level: (levelOut) => {
      new DataView(memory.buffer).setUint32(levelOut, 4, true); // error: no log line made
      return 0;
    },
    proxy_log: () => 0,
  };
  const imports: WasmImports = {};
  for (const imp of WA.Module.imports(module)) {
    if (imp.kind !== "function") continue;
    const table = imports[imp.module] ?? {};
    imports[imp.module] = table;
    table[imp.name] =
      env[imp.name] ?? (imp.name.startsWith("proxy_get") ? () => NOT_FOUND : () => 0);
  }
  const instance = new WA.Instance(module, imports);
  exports = instance.exports as typeof exports;
  memory = instance.exports.memory as WasmMemory;
  (exports._initialize ?? exports._start)?.();
  const root = 1;
  exports.proxy_on_context_create?.(root, 0);
  exports.proxy_on_vm_start?.(root, 0);
  exports.proxy_on_configure?.(root, config.length);
  const headerCount = new DataView(map.buffer).getUint32(0, true);
  const calls: (() => void)[] = [];
  let id = 2;
  const create = exports.proxy_on_context_create;
  if (create) calls.push(() => void create(id, root));
  const onHeaders = exports.proxy_on_request_headers;
  if (onHeaders) calls.push(() => void onHeaders(id, headerCount, body === undefined ? 1 : 0));
  const onBody = exports.proxy_on_request_body;
  if (onBody && body !== undefined) calls.push(() => void onBody(id, body.length, 1));
  // The answer: a few headers and a short body, as the bench's direct responses.
  const onResponseHeaders = exports.proxy_on_response_headers;
  if (onResponseHeaders) calls.push(() => void onResponseHeaders(id, 4, 0));
  const onResponseBody = exports.proxy_on_response_body;
  if (onResponseBody) calls.push(() => void onResponseBody(id, 3, 1));
  for (const end of ["proxy_on_done", "proxy_on_log", "proxy_on_delete"]) {
    const f = exports[end];
    if (f) calls.push(() => void f(id));
  }
  return {
    name,
    request: () => {
      for (const c of calls) c();
      id++;
    },
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (i: number) => s[i] ?? Number.NaN;
  return s.length % 2 ? at((s.length - 1) / 2) : (at(s.length / 2 - 1) + at(s.length / 2)) / 2;
};

for (const s of scenarios.filter((x) => x.peer === "meshwasm" && only.test(x.name))) {
  const built = (await builders.meshwasm([s.work], () => {})).get(s.work) as string;
  const guests = [await guestOf("this checkout", built, s.work, s.configuration)];
  if (values.rust && scenarios.some((x) => x.peer === "rust" && x.work === s.work)) {
    const rust = (await builders.rust([s.work], () => {})).get(s.work) as string;
    guests.push(await guestOf("rust", rust, s.work, s.configuration));
  }
  for (const b of values.baseline) {
    const cut = b.indexOf("=");
    guests.push(
      await guestOf(
        cut < 0 ? b : b.slice(0, cut),
        cut < 0 ? b : b.slice(cut + 1),
        s.work,
        s.configuration,
      ),
    );
  }
  for (const g of guests) for (let i = 0; i < 2000; i++) g.request(); // warm up (tiering)
  const times = guests.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    guests.forEach((g, k) => {
      const t0 = process.cpuUsage();
      for (let i = 0; i < perRound; i++) g.request();
      const t = process.cpuUsage(t0);
      times[k]?.push((t.user + t.system) / perRound);
    });
  }
  console.log(`${s.name}: guest CPU per request (µs), ${rounds} interleaved rounds of ${perRound}`);
  guests.forEach((g, k) => {
    const t = times[k] ?? [];
    console.log(
      `  ${g.name.padEnd(16)} median ${median(t).toFixed(2)}  min ${Math.min(...t).toFixed(2)}`,
    );
  });
}

// The module-surface check: would Envoy load this module as a proxy-wasm ABI 0.2.1 filter?
//
// Errors are what makes Envoy refuse the module (an import it does not link, an import or a
// looked-up export whose signature differs from Envoy's, a missing marker, allocator or
// memory) or what breaks the ABI contract silently. Warnings load but bite on some Envoy
// releases or at runtime. The rules come from the tables in ../wasm/abi.ts.

import {
  ABI_MARKER,
  ALLOCATOR_EXPORTS,
  ENVOY_ABI_MARKERS,
  findAbi010Function,
  findGuestExport,
  findHostFunction,
  GUEST_EXPORTS,
  HOST_FUNCTIONS,
  WASI_MODULES,
} from "../wasm/abi.ts";
import {
  type FuncType,
  formatFuncType,
  readWasmModule,
  sameFuncType,
  type WasmExport,
  WasmFormatError,
  type WasmImport,
  type WasmModuleInfo,
} from "../wasm/binary.ts";

export interface SurfaceReport {
  /** True when there are no errors (warnings allowed). */
  readonly ok: boolean;
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
  /** Empty when the bytes are not a readable module. */
  readonly imports: readonly WasmImport[];
  readonly exports: readonly WasmExport[];
}

/** Hints for env imports that AssemblyScript's standard library emits by default. */
const ASSEMBLYSCRIPT_IMPORTS: readonly (readonly [RegExp, string])[] = [
  [
    /^abort$/,
    "AssemblyScript's default abort (behind throw and assert); build with the SDK's asconfig, " +
      "which redirects it (use abort=...)",
  ],
  [
    /^seed$/,
    "AssemblyScript's Math.random seed; build with the SDK's asconfig, which redirects it " +
      "(use seed=...)",
  ],
  [
    /^trace$/,
    "AssemblyScript's trace(); log through the SDK instead, or build with the SDK's asconfig " +
      "(use trace=...)",
  ],
  [
    /^Date\./,
    "AssemblyScript's Date binding to JavaScript; read the clock through the SDK, or build with " +
      "the SDK's asconfig",
  ],
  [
    /^console\./,
    "AssemblyScript's console binding to JavaScript; log through the SDK, or build with the " +
      "SDK's asconfig",
  ],
  [/\./, "an AssemblyScript binding to JavaScript; Envoy has no JavaScript host"],
];

const ENV_NAMES = HOST_FUNCTIONS.filter((f) => f.module === "env").map((f) => f.name);
const WASI_NAMES = HOST_FUNCTIONS.filter((f) => f.module === WASI_MODULES[0]).map((f) => f.name);
const WASI_MODULE_NAMES = new Set<string>(WASI_MODULES);
const CALLBACK_NAMES = GUEST_EXPORTS.map((e) => e.name).filter((n) => n.startsWith("proxy_"));

/** Checks a compiled module against the ABI 0.2.1 surface Envoy links. Never throws. */
export function checkModule(bytes: Uint8Array): SurfaceReport {
  let module: WasmModuleInfo;
  try {
    module = readWasmModule(bytes);
  } catch (error) {
    const reason =
      error instanceof WasmFormatError
        ? error.message
        : `unreadable module (reader failure: ${String(error)})`;
    return { ok: false, errors: [reason], warnings: [], imports: [], exports: [] };
  }
  const errors: string[] = [];
  const warnings: string[] = [];
  for (const imp of module.imports) checkImport(imp, errors, warnings);
  checkAbiMarker(module.exports, errors, warnings);
  checkRequiredExports(module, errors);
  for (const exp of module.exports) checkExport(exp, errors, warnings);
  if (module.start !== null) {
    warnings.push(
      `start section: function ${module.start} runs while the module is instantiated, before ` +
        "Envoy has created any context (top-level statements); build with the SDK's asconfig " +
        '(exportStart: "_initialize") so it runs from _initialize',
    );
  }
  return {
    ok: errors.length === 0,
    errors,
    warnings,
    imports: module.imports,
    exports: module.exports,
  };
}

function checkImport(imp: WasmImport, errors: string[], warnings: string[]): void {
  const what = `import ${imp.module}.${imp.name}`;
  if (imp.kind === "memory" || imp.kind === "table") {
    // Envoy's runtime creates imported memories and tables, whatever their names.
    if (imp.kind === "memory") {
      warnings.push(`${what}: the memory is imported; the SDK's build exports its own memory`);
    }
    return;
  }
  if (imp.kind !== "function") {
    errors.push(`${what}: Envoy cannot link an imported ${imp.kind} ("missing import")`);
    return;
  }
  const type = imp.type as FuncType;
  const host = findHostFunction(imp.module, imp.name);
  if (host) {
    if (!sameFuncType(host.type, type)) {
      errors.push(
        `${what}: import type mismatch: Envoy links ${formatFuncType(host.type)}, ` +
          `the module imports ${formatFuncType(type)}`,
      );
    } else if (host.wasiTier === "2024-12") {
      warnings.push(
        `${what}: linked only by Envoy built with proxy-wasm-cpp-host from 2024-12 on (#427); ` +
          `older Envoy and Istio releases fail to load the module ("missing import")`,
      );
    } else if (host.wasiTier === "2026-04") {
      errors.push(
        `${what}: linked only by the newest Envoy (proxy-wasm-cpp-host #533, 2026-04); ` +
          `earlier Envoy and Istio releases fail to load the module ("missing import")`,
      );
    }
    return;
  }
  const missing = `${what}: Envoy does not provide it ("missing import")`;
  const removed = findAbi010Function(imp.module, imp.name);
  if (removed) {
    errors.push(
      `${what}: ABI 0.1.0 only, not linked for 0.2.1 ("missing import"); use ${removed.replacement}`,
    );
  } else if (imp.module === "env") {
    const hint = ASSEMBLYSCRIPT_IMPORTS.find(([pattern]) => pattern.test(imp.name))?.[1];
    const suggestion = imp.name.startsWith("proxy_") ? didYouMean(imp.name, ENV_NAMES) : "";
    const unknown = imp.name.startsWith("proxy_") ? "; not a proxy-wasm 0.2.1 host function" : "";
    errors.push(hint ? `${missing}; ${hint}` : `${missing}${unknown}${suggestion}`);
  } else if (WASI_MODULE_NAMES.has(imp.module)) {
    errors.push(
      `${missing}; not a WASI function in Envoy's shim${didYouMean(imp.name, WASI_NAMES)}`,
    );
  } else {
    errors.push(`${missing}; Envoy links only the modules env, ${WASI_MODULES.join(" and ")}`);
  }
}

function checkAbiMarker(
  exports: readonly WasmExport[],
  errors: string[],
  warnings: string[],
): void {
  const markers = exports.filter((e) => e.name.startsWith("proxy_abi_version_"));
  // Envoy takes the first *function* export whose name is a marker it knows.
  const known = markers.filter((e) => e.kind === "function" && e.name in ENVOY_ABI_MARKERS);
  const chosen = known[0];
  const others = markers.filter((e) => e !== chosen);
  if (!chosen) {
    const found = others.length
      ? `; it exports ${others.map((e) => `${e.name} (${e.kind})`).join(", ")}, which Envoy ignores`
      : "";
    errors.push(
      `missing export ${ABI_MARKER}: Envoy detects the ABI by this function export and refuses ` +
        `the module ("Missing or unknown Proxy-Wasm ABI version")${found}`,
    );
    return;
  }
  if (chosen.name !== ABI_MARKER) {
    errors.push(
      `export ${chosen.name}: Envoy would run the module as ABI ${ENVOY_ABI_MARKERS[chosen.name]}, ` +
        `which links other host functions; meshwasm modules export ${ABI_MARKER}`,
    );
  }
  for (const other of others) {
    if (known.includes(other)) {
      errors.push(
        `export ${other.name}: a second ABI marker; Envoy uses the first one exported (${chosen.name})`,
      );
    } else {
      warnings.push(`export ${other.name}: not an ABI marker Envoy knows; it is ignored`);
    }
  }
}

function checkRequiredExports(module: WasmModuleInfo, errors: string[]): void {
  const functions = new Set(module.exports.filter((e) => e.kind === "function").map((e) => e.name));
  if (!ALLOCATOR_EXPORTS.some((name) => functions.has(name))) {
    errors.push(
      `missing export ${ALLOCATOR_EXPORTS.join(" or ")} ((i32) -> i32): Envoy allocates the ` +
        `buffers it hands to the module through it ("Wasm module is missing malloc function")`,
    );
  }
  const memory = module.memories[0];
  if (!memory) {
    errors.push("missing memory: the module neither defines nor imports a linear memory");
  } else if (!module.exports.some((e) => e.kind === "memory") && !memory.imported) {
    errors.push("missing memory export: Envoy reads and writes the module's memory through it");
  }
}

function checkExport(exp: WasmExport, errors: string[], warnings: string[]): void {
  const known = findGuestExport(exp.name);
  if (!known) {
    if (exp.name.startsWith("proxy_") && !exp.name.startsWith("proxy_abi_version_")) {
      warnings.push(
        `export ${exp.name}: not a callback Envoy calls, so it never runs` +
          didYouMean(exp.name, CALLBACK_NAMES),
      );
    }
    return;
  }
  if (exp.kind !== "function") {
    if (known.role !== "marker") {
      errors.push(`export ${exp.name}: a ${exp.kind}, but Envoy calls it as a function`);
    }
    return;
  }
  const type = exp.type as FuncType;
  if (sameFuncType(known.type, type)) return;
  const mismatch =
    `export ${exp.name}: bad function signature: Envoy expects ${formatFuncType(known.type)}, ` +
    `the module exports ${formatFuncType(type)}`;
  // Envoy never calls the marker, so its signature does not stop the module from loading.
  if (known.role === "marker") warnings.push(mismatch);
  else errors.push(mismatch);
}

/** `; did you mean X?` for the closest candidate within a third of the name's length. */
function didYouMean(name: string, candidates: readonly string[]): string {
  // Stryker disable next-line StringLiteral: equivalent, every list of candidates has names and the first one always replaces it, and with none the distance stays infinite and no suggestion is made
  let best = "";
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const d = editDistance(name, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? `; did you mean ${best}?` : "";
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitute = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(substitute, (previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

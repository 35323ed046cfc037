// The slice of the WebAssembly JS API this host uses, typed locally (the project's TypeScript
// lib has no DOM, where these types live).

export interface WasmModule {
  readonly __wasmModule?: never;
}

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

export type WasmImports = Record<string, Record<string, unknown>>;

interface WasmApi {
  Module: {
    new (bytes: Uint8Array): WasmModule;
    imports(module: WasmModule): { module: string; name: string; kind: string }[];
  };
  Instance: new (module: WasmModule, imports: WasmImports) => WasmInstance;
  compile(bytes: Uint8Array): Promise<WasmModule>;
}

export const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export function isWasmModule(value: unknown): value is WasmModule {
  return value instanceof WA.Module;
}

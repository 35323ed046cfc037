// The AssemblyScript compiler, loaded with a type of our own.
//
// From 0.28 on, the compiler's bundled declarations also declare a global `console`
// namespace with only `log`, which hides Node's console in every file that imports them. So
// the module is imported through a specifier TypeScript does not resolve, and typed here with
// the part of its API meshwasm calls.

export interface OutputStream {
  write(chunk: string | Uint8Array): unknown;
}
export interface APIOptions {
  stdout?: OutputStream;
  stderr?: OutputStream;
  readFile?: (filename: string, baseDir: string) => string | null | Promise<string | null>;
  writeFile?: (
    filename: string,
    contents: Uint8Array | string,
    baseDir: string,
  ) => void | Promise<void>;
  listFiles?: (dirname: string, baseDir: string) => string[] | null | Promise<string[] | null>;
  /** Receives every diagnostic (errors, warnings) as it is reported. */
  reportDiagnostic?: (diagnostic: DiagnosticMessage) => void;
}
/** A compiler diagnostic as `reportDiagnostic` receives it (category 1 info, 2 warning,
 *  3 error; the range's source carries only its path). */
export interface DiagnosticMessage {
  code: number;
  category: number;
  message: string;
  range: { start: number; end: number; source: { normalizedPath: string } } | null;
}
export interface APIResult {
  error: Error | null;
  stdout: OutputStream;
  stderr: OutputStream;
}
export interface CompileStringResult {
  error: Error | null;
  binary: Uint8Array | null;
  text: string | null;
  stdout: OutputStream;
  stderr: OutputStream;
}
export interface Asc {
  main(argv: string[], options?: APIOptions): Promise<APIResult>;
  compileString(
    sources: string | Record<string, string>,
    options?: Record<string, unknown>,
  ): Promise<CompileStringResult>;
}

const specifier: string = "assemblyscript/asc";
const loaded = (await import(specifier)) as { default: Asc };

/** The compiler's API (`asc.main`, `asc.compileString`). */
export const asc: Asc = loaded.default;

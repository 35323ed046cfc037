// The part of the AssemblyScript compiler's API that meshwasm calls, typed here.
//
// From 0.28 on, the compiler's bundled declarations also declare a global `console`
// namespace with only `log`, which hides Node's console in every file that imports them.
// tsconfig.json maps "assemblyscript/asc" to this file instead; at run time Node loads the
// real module.

declare module "assemblyscript/asc" {
  interface OutputStream {
    write(chunk: string | Uint8Array): unknown;
  }
  interface APIOptions {
    stdout?: OutputStream;
    stderr?: OutputStream;
    readFile?: (filename: string, baseDir: string) => string | null | Promise<string | null>;
    writeFile?: (
      filename: string,
      contents: Uint8Array | string,
      baseDir: string,
    ) => void | Promise<void>;
    listFiles?: (dirname: string, baseDir: string) => string[] | null | Promise<string[] | null>;
  }
  interface APIResult {
    error: Error | null;
    stdout: OutputStream;
    stderr: OutputStream;
  }
  interface CompileStringResult {
    error: Error | null;
    binary: Uint8Array | null;
    text: string | null;
    stdout: OutputStream;
    stderr: OutputStream;
  }
  function main(argv: string[], options?: APIOptions): Promise<APIResult>;
  function compileString(
    sources: string | Record<string, string>,
    options?: Record<string, unknown>,
  ): Promise<CompileStringResult>;
  const asc: { main: typeof main; compileString: typeof compileString };
  export default asc;
}

// Types of transform/exports.mjs for the TypeScript that imports it (tests, tools).

export { PRUNABLE } from "./callbacks.mjs";

/** Exports the build always leaves out of a program that uses the SDK. */
export declare const ALWAYS_DROPPED: readonly string[];

/** What a program uses, as the transform finds it. */
export interface ProgramUses {
  /** Member names of every class that extends the SDK's Context (the SDK's own excepted). */
  overridden: Iterable<string>;
  /** Something outside the SDK turns on whole-body buffering of the request / response. */
  buffersRequest: boolean;
  buffersResponse: boolean;
  /** The program is a chain (registerChain). */
  chain: boolean;
}

/** The prunable exports a program with these uses does not need. */
export declare function unusedCallbacks(uses: ProgramUses): string[];

/** The root callbacks that answer a call of the module's own, each with the imports (any one)
 *  through which the module makes that call. */
export declare const ANSWERS: Readonly<Record<string, readonly string[]>>;

/** The root callbacks a module importing `imports` (function import names) can never be called
 *  with. */
export declare function unansweredCallbacks(imports: Iterable<string>): string[];

/** The --use alias `meshwasm build --for-config` compiles with. */
export declare const PRUNED_ALIAS: string;

/** The exports named by the bits of a MESHWASM_PRUNED_CALLBACKS value (none when undefined);
 *  throws naming a value that is not an integer from 0 to 511. */
export declare function prunedByConfiguration(value: string | undefined): string[];

/** The compiler transform (asc --transform). */
export default class PruneExports {
  afterInitialize(program: unknown): void;
  afterCompile(module: unknown): void;
}

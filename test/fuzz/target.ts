// What a fuzz target is: a module, the vocabulary its inputs are drawn from, and a plain
// TypeScript model of its decisions that the engine holds the module to.
//
// Adding a filter to `npm run fuzz` and to the short run in `npm test`: put a file
// `filters/<name>/test/fuzz.ts` whose default export is a FuzzTarget (found automatically),
// or add one line to test/fuzz/targets.ts.

import type { HeaderMap, LogEntry } from "../../src/testing/index.ts";
import type { FuzzCase } from "./case.ts";
import type { Decision } from "./config-model.ts";
import type { Vocabulary } from "./generate.ts";

/** One side of the exchange as it left the filter. */
export interface Message {
  headers: HeaderMap;
  body: Uint8Array;
  trailers: HeaderMap | null;
}

/** What happened to one input. */
export interface Observed {
  /** "exchange": request and response ran to the end; "reset": the client went away. */
  kind: "exchange" | "reset";
  /** The status the client got (0 after a reset). */
  status: number;
  /** What reached the upstream (null when nothing did, or the request never completed). */
  upstream: Message | null;
  /** What reached the client (null after a reset). */
  response: Message | null;
  /** The filter answered with a local reply. */
  localReply: boolean;
  /** The filter still holds the stream. */
  paused: boolean;
  /** How much each of the target's counters moved. */
  counters: Record<string, number>;
  /** Log lines the plugin wrote for this input. */
  logs: LogEntry[];
}

export interface FuzzTarget<C = unknown> {
  name: string;
  /** The compiled module's path (built when out of date). */
  module(): Promise<string>;
  /** The PluginConfig root_id the module registers. */
  rootId?: string;
  vocabulary: Vocabulary;
  /** Counters whose movement `check` reads. */
  counters?: string[];
  /** The start-up decision for these configuration bytes. */
  decide(config: Uint8Array): Decision<C>;
  /** Every way `seen` differs from the model; empty when they agree. `config` is the model's
   *  reading of the configuration, or null when the decision was "either". */
  check(config: C | null, input: FuzzCase, seen: Observed): string[];
}

/** The headers the test host's request() adds before the filter (as Envoy's connection
 *  manager does): a target's model needs them to know what the filter sees. */
export function headersSeenByFilter(input: FuzzCase): Array<[string, string]> {
  const r = input.request;
  const out: Array<[string, string]> = [
    [":authority", "example.com"],
    [":path", r.path],
    [":method", r.method],
    [":scheme", "http"],
    ...r.headers.map(([k, v]) => [k.toLowerCase(), v] as [string, string]),
  ];
  if (!out.some(([k]) => k === "x-forwarded-proto")) out.push(["x-forwarded-proto", "http"]);
  if (!out.some(([k]) => k === "x-request-id")) out.push(["x-request-id", "generated"]);
  const bodyBytes = r.chunks.reduce((n, c) => n + c.length, 0);
  if (r.chunks.length > 0 && r.trailers === null && r.resetAfterChunks === null) {
    if (!out.some(([k]) => k === "content-length")) out.push(["content-length", String(bodyBytes)]);
  }
  return out;
}

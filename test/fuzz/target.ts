// What a fuzz target is: a module, the vocabulary its inputs are drawn from, and a plain
// TypeScript model of its decisions that the engine holds the module to.
//
// Adding a filter to `npm run fuzz` and to the short run in `npm test`: put a file
// `filters/<name>/test/fuzz.ts` whose default export is a FuzzTarget (found automatically),
// or add one line to test/fuzz/targets.ts.

import { ENVOY_DEFAULT_LIMITS } from "../../src/connection-manager.ts";
import { normalizeRequestHeaders, refuseRequest } from "../../src/testing/hcm.ts";
import { HeaderMap, type LogEntry } from "../../src/testing/index.ts";
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
  /** Request headers the filter always overwrites (a hostile value there is its to fix). */
  writesRequestHeaders?: string[];
  /** Counters whose movement `check` reads. */
  counters?: string[];
  /** The start-up decision for these configuration bytes. */
  decide(config: Uint8Array): Decision<C>;
  /** Every way `seen` differs from the model; empty when they agree. `config` is the model's
   *  reading of the configuration, or null when the decision was "either". */
  check(config: C | null, input: FuzzCase, seen: Observed): string[];
}

/** What the filter is handed: the request after Envoy's connection manager (as the test host
 *  reproduces it: Host as :authority, Content-Length for a body, values trimmed, inline
 *  headers folded, hop-by-hop ones removed), or the status it refuses the request with. */
export interface FilterInput {
  refused: number | null;
  /** A header value holds CR, LF or NUL: Envoy never sends such a request upstream (its codec
   *  or router refuses it), so only the filter's own robustness is judged. */
  unroutable: boolean;
  headers: Array<[string, string]>;
}

/** The upstream's response headers as Envoy hands them on (to the filter and the client):
 *  repeats of a name Envoy keeps inline in response maps joined into one entry, as its codec
 *  joins what it parses (src/testing/inline-headers.ts). */
export function responseAsEnvoyForwardsIt(input: FuzzCase): Array<[string, string]> {
  return new HeaderMap(input.response.headers).asKind("response-headers").pairs();
}

export function requestAsFilterSeesIt(input: FuzzCase, overwritten: string[] = []): FilterInput {
  const r = input.request;
  const given = new HeaderMap(r.headers);
  const host = given.get("host");
  given.remove("host");
  const map = new HeaderMap([
    [":authority", host ?? "example.com"],
    [":path", r.path],
    [":method", r.method],
    [":scheme", "http"],
  ]);
  for (const [k, v] of given.pairs()) map.add(k, v);
  if (r.resetAfterChunks === null && r.chunks.length > 0 && r.trailers === null) {
    if (!map.has("content-length")) {
      map.add("content-length", String(r.chunks.reduce((n, c) => n + c.length, 0)));
    }
  }
  const refusal = refuseRequest(map, "HTTP/1.1", ENVOY_DEFAULT_LIMITS);
  if (refusal) return { refused: refusal.status, unroutable: false, headers: [] };
  const seen = normalizeRequestHeaders(map);
  if (!seen.has("x-forwarded-proto")) seen.add("x-forwarded-proto", "http");
  if (!seen.has("x-request-id")) seen.add("x-request-id", "generated");
  const unroutable = seen.pairs().some(([k, v]) => !overwritten.includes(k) && /[\r\n\0]/.test(v));
  return { refused: null, unroutable, headers: seen.pairs() };
}

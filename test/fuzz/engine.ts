// Runs fuzz inputs through the test host and judges them: a trap, an error of the host itself,
// a stream left hanging, or any disagreement with the target's model is a failure.
//
// Hosts are reused: one per configuration, kept while they serve (a VM that trapped is
// dropped), so most inputs cost one exchange, not a VM start. A failure seen on a reused host
// is replayed on a fresh one before it counts, so every reported failure reproduces from its
// input alone; one that does not is reported as depending on earlier inputs.

import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import {
  createHost,
  HeaderMap,
  type Host,
  type HostOptions,
  PluginStartError,
  type UpstreamResponse,
  WasmTrapError,
} from "../../src/testing/index.ts";
import type { FuzzCase, FuzzResponse } from "./case.ts";
import { type FuzzTarget, type Message, type Observed, requestAsFilterSeesIt } from "./target.ts";

export interface Verdict {
  ok: boolean;
  /** The failure's kind and place: stable across inputs that fail the same way. */
  signature: string;
  /** Everything known about the failure. */
  message: string;
  kind: "ok" | "trap" | "host error" | "disagreement";
}

/** A module compiled once per target (a path would be read and compiled per host). */
export type Module = HostOptions["module"];

/** Compiles the module at `path`. */
export async function compile(path: string): Promise<Module> {
  const api = (
    globalThis as unknown as { WebAssembly: { compile(b: Uint8Array): Promise<Module> } }
  ).WebAssembly;
  return api.compile(new Uint8Array(await readFile(path)));
}

const OK: Verdict = { ok: true, signature: "", message: "", kind: "ok" };

interface Started {
  host: Host | null;
  /** Why the plugin did not start (PluginStartError), when it did not. */
  refused: string | null;
  /** What the upstream answers to the current input. */
  response: FuzzResponse;
}

/** Reused hosts, by configuration; null disables reuse (every input gets a fresh host). */
export class HostPool {
  private readonly entries = new Map<string, Started>();
  constructor(private readonly capacity = 8) {}

  get(key: string): Started | undefined {
    const e = this.entries.get(key);
    if (e) {
      // Most recently used last.
      this.entries.delete(key);
      this.entries.set(key, e);
    }
    return e;
  }

  put(key: string, value: Started): void {
    this.entries.set(key, value);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  drop(key: string): void {
    this.entries.delete(key);
  }
}

function fail(kind: Verdict["kind"], signature: string, message: string): Verdict {
  return { ok: false, kind, signature: `${kind}: ${signature}`, message };
}

/** A trap's signature: where, and the engine's reason ("memory access out of bounds"). */
function trapVerdict(trap: WasmTrapError): Verdict {
  const reason = trap.reason.replace(/^Uncaught /, "").split("\n")[0] ?? "";
  return fail("trap", `in ${trap.callback}: ${reason}`, trap.message);
}

async function start(
  target: FuzzTarget,
  module: Module,
  input: FuzzCase,
): Promise<Started | Verdict> {
  const started: Started = { host: null, refused: null, response: input.response };
  try {
    started.host = await createHost({
      module,
      rootId: target.rootId ?? target.name,
      configuration: input.config,
      upstream: () => upstreamReply(started.response),
    });
  } catch (error) {
    if (error instanceof PluginStartError) started.refused = error.message;
    else if (error instanceof WasmTrapError) return trapVerdict(error);
    else return fail("host error", "at start", String((error as Error).stack ?? error));
  }
  return started;
}

function upstreamReply(r: FuzzResponse): UpstreamResponse {
  return {
    status: r.status,
    headers: r.headers,
    body: r.chunks.length === 0 ? undefined : r.chunks,
    trailers: r.trailers ?? undefined,
  };
}

function message(headers: HeaderMap | null, body: Uint8Array, trailers: HeaderMap | null): Message {
  return { headers: headers ?? new HeaderMap(), body, trailers };
}

/** Drives one input on `host`: a whole exchange, or a request the client abandons. */
async function drive(
  host: Host,
  input: FuzzCase,
): Promise<Omit<Observed, "counters" | "logs"> & { trap: WasmTrapError | null }> {
  const r = input.request;
  if (r.resetAfterChunks === null || requestAsFilterSeesIt(input).refused !== null) {
    const res = await host.request({
      method: r.method,
      path: r.path,
      headers: r.headers,
      body: r.chunks,
      trailers: r.trailers ?? undefined,
    });
    return {
      kind: "exchange",
      status: res.status,
      upstream: res.upstream
        ? message(res.upstream.headerMap, res.upstream.bodyBytes, res.upstream.trailers)
        : null,
      response: res.reset ? null : message(res.headerMap, res.bodyBytes, res.trailers),
      localReply: res.localReply !== null,
      paused: res.paused,
      trap: res.trap,
    };
  }
  const s = host.stream();
  const seen = requestAsFilterSeesIt(input);
  if (seen.refused !== null)
    throw new Error("a refused request cannot be reset (the model drops it)");
  const headers = new HeaderMap(seen.headers);
  if (headers.get("x-request-id") === "generated") headers.set("x-request-id", randomUUID());
  // The map is already what the filter sees (the model applied the connection manager).
  s.requestHeaders(headers, { endOfStream: false, envoyHeaders: false });
  for (const chunk of r.chunks.slice(0, r.resetAfterChunks)) {
    if (s.localReply || s.trap) break;
    s.requestBody(chunk, { endOfStream: false });
  }
  s.reset();
  const up = s.upstream;
  return {
    kind: "reset",
    status: 0,
    upstream: up.headers ? message(up.headers, up.body, up.trailers) : null,
    response: null,
    localReply: s.localReply !== null,
    paused: false,
    trap: s.trap,
  };
}

/** Runs one input and judges it against the target's model. */
export async function runCase(
  target: FuzzTarget,
  module: Module,
  input: FuzzCase,
  pool: HostPool | null,
): Promise<Verdict> {
  const key = Buffer.from(input.config).toString("hex");
  let started = pool?.get(key);
  if (!started) {
    const s = await start(target, module, input);
    if ("ok" in s) return s;
    started = s;
    pool?.put(key, started);
  }
  started.response = input.response;

  const decision = target.decide(input.config);
  if (decision !== "either") {
    if (decision.start && started.refused !== null) {
      return fail(
        "disagreement",
        "configuration refused",
        `the model starts with it; the plugin said: ${started.refused}`,
      );
    }
    if (!decision.start && started.refused === null) {
      return fail(
        "disagreement",
        "configuration accepted",
        `the model refuses it (${decision.why}); the plugin started`,
      );
    }
  }
  const host = started.host;
  if (host === null) return OK;

  const counters = target.counters ?? [];
  const before = counters.map((c) => host.counter(c));
  const logsBefore = host.logEntries.length;
  let seen: Awaited<ReturnType<typeof drive>>;
  try {
    seen = await drive(host, input);
  } catch (error) {
    pool?.drop(key);
    return fail("host error", "while driving", String((error as Error).stack ?? error));
  }
  if (seen.trap) {
    pool?.drop(key);
    return trapVerdict(seen.trap);
  }
  const observed: Observed = {
    ...seen,
    counters: Object.fromEntries(counters.map((c, i) => [c, host.counter(c) - (before[i] ?? 0)])),
    logs: host.logEntries.slice(logsBefore),
  };
  if (observed.paused)
    return fail("disagreement", "stream left paused", "the exchange never finished");
  // Refused by the connection manager (431): the filter never sees it.
  const filterInput = requestAsFilterSeesIt(input, target.writesRequestHeaders);
  const refused = filterInput.refused;
  if (filterInput.unroutable) {
    // Only robustness counts here (no trap, no host error, checked above); Envoy refuses it.
    if (observed.kind === "exchange" && observed.upstream !== null)
      return fail(
        "disagreement",
        "unroutable request",
        "a header value with CR, LF or NUL reached the upstream",
      );
    return OK;
  }
  if (refused !== null) {
    if (observed.status !== refused || observed.upstream !== null)
      return fail(
        "disagreement",
        "refusal",
        `status ${observed.status}, expected ${refused} before the filter`,
      );
    return OK;
  }
  const config = decision === "either" ? null : decision.start ? decision.config : null;
  const problems = target.check(config, input, observed);
  if (problems.length > 0) {
    // The first problem's field names the signature; the message lists every one.
    const field = (problems[0] ?? "").split(":")[0] ?? "";
    return fail("disagreement", field, problems.join("\n"));
  }
  return OK;
}

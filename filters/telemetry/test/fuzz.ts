// filters/telemetry under fuzz (found by test/fuzz/targets.ts). Model: the configuration
// starts the plugin exactly when schema.json accepts it (configurations are drawn from the
// fields whose rules the schema states whole); requests and responses pass unchanged except
// for the headers the filter owns, whose values follow a plain TypeScript reading of the W3C
// and B3 rules below; the status is the upstream's; each access-log line is a JSON object
// with that status, and secrets never reach the log.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import fc from "fast-check";
import { HeaderMap } from "../../../src/testing/index.ts";
import { type Decision, readConfigModel } from "../../../test/fuzz/config-model.ts";
import { sameBody, sameHeadersExcept } from "../../../test/fuzz/examples/checks.ts";
import {
  type FuzzTarget,
  requestAsFilterSeesIt,
  responseAsEnvoyForwardsIt,
} from "../../../test/fuzz/target.ts";
import { buildCheckedFilter } from "../../../test/modules/build.ts";
import { FILTER_DIR } from "./build.ts";

interface Config {
  tracing: boolean;
  b3: boolean;
  generate: string;
  echo: boolean;
  header: string;
  sampleNew: number;
}

const validate = new Ajv2020({ allErrors: false, strict: false }).compile(
  JSON.parse(readFileSync(join(FILTER_DIR, "schema.json"), "utf8")),
);

const HEX = /^[0-9a-f]+$/;

/** The trace id and sampled flag of a traceparent the W3C rules accept, else null. */
export function modelTraceparent(v: string): { traceId: string; sampled: boolean } | null {
  if (v.length < 55) return null;
  const version = v.slice(0, 2);
  if (!HEX.test(version) || version === "ff") return null;
  if (version === "00" && v.length !== 55) return null;
  if (v.length > 55 && v[55] !== "-") return null;
  const [traceId, parent, flags] = [v.slice(3, 35), v.slice(36, 52), v.slice(53, 55)];
  if (v[2] !== "-" || v[35] !== "-" || v[52] !== "-") return null;
  if (!HEX.test(traceId) || /^0+$/.test(traceId)) return null;
  if (!HEX.test(parent) || /^0+$/.test(parent)) return null;
  if (!HEX.test(flags)) return null;
  return { traceId, sampled: (Number.parseInt(flags, 16) & 1) === 1 };
}

/** The W3C trace id of a B3 single header, or null (malformed or sampling only). */
export function modelB3(v: string): { traceId: string; sampled: boolean | null } | null {
  const parts = v.split("-");
  if (parts.length < 2 || parts.length > 4) return null;
  const [t, s, sampling, parent] = parts as [string, string, string?, string?];
  const id16 = (x: string) => x.length === 16 && HEX.test(x) && !/^0+$/.test(x);
  const traceOk = (t.length === 32 || t.length === 16) && HEX.test(t) && !/^0+$/.test(t);
  if (!traceOk || !id16(s)) return null;
  if (sampling !== undefined && !["0", "1", "d"].includes(sampling)) return null;
  if (parent !== undefined && !id16(parent)) return null;
  return {
    traceId: t.padStart(32, "0"),
    sampled: sampling === undefined ? null : sampling !== "0",
  };
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/;
const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const OWNABLE = [
  "traceparent",
  "tracestate",
  "x-request-id",
  "x-trace-id",
  "b3",
  "x-b3-traceid",
  "x-b3-spanid",
  "x-b3-parentspanid",
  "x-b3-sampled",
  "x-b3-flags",
];
const B3_NAMES = [
  "b3",
  "x-b3-traceid",
  "x-b3-spanid",
  "x-b3-parentspanid",
  "x-b3-sampled",
  "x-b3-flags",
];

function hasAstral(value: unknown): boolean {
  return /[\ud800-\udfff]/.test(JSON.stringify(value) ?? "");
}

export default {
  name: "telemetry",
  rootId: "telemetry",
  module: () => buildCheckedFilter("telemetry"),
  // Headers the filter may write or remove: a hostile value there is judged by check().
  writesRequestHeaders: ["traceparent", "tracestate", "x-request-id", "x-trace-id", ...B3_NAMES],
  vocabulary: {
    presets: [
      {},
      { tracing: { accept_b3: true }, request_id: { echo: true } },
      { request_id: { generate: "always", header: "x-trace-id" }, tracing: { sample_percent: 0 } },
      { tracing: { enabled: false }, access_log: { enabled: false } },
    ],
    headerNames: ["traceparent", "tracestate", "b3", "x-b3-traceid", "x-b3-spanid", "x-request-id"],
    tokens: [
      TP,
      TP.toUpperCase(),
      TP.replace(/^00/, "01"),
      `${TP}-x`,
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
      "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1",
      "64fe8b2a57d3eff7-e457b5a2e4d86bd1",
      "vendor=1",
    ],
    configs: fc.record(
      {
        tracing: fc.record(
          {
            enabled: fc.oneof(fc.boolean(), fc.constant("yes")),
            accept_b3: fc.boolean(),
            sample_percent: fc.constantFrom(0, 50, 100, 101, -1, "5"),
          },
          { requiredKeys: [] },
        ),
        request_id: fc.record(
          {
            generate: fc.constantFrom("missing", "always", "never", "sometimes"),
            echo: fc.oneof(fc.boolean(), fc.constant(1)),
            header: fc.constantFrom("x-request-id", "x-trace-id", "host", ":path", "a b"),
          },
          { requiredKeys: [] },
        ),
        access_log: fc.record(
          {
            sample_percent: fc.constantFrom(0, 100, 200),
            statuses: fc.constantFrom(["5xx"], ["200"], ["6xx"], []),
            level: fc.constantFrom("info", "debug", "loud"),
          },
          { requiredKeys: [] },
        ),
        metrics: fc.record(
          {
            code: fc.constantFrom("code", "class", "status"),
            route_limit: fc.constantFrom(1, 100, 0),
          },
          { requiredKeys: [] },
        ),
        extra: fc.constant("unknown"),
      },
      { requiredKeys: [] },
    ),
  },

  decide(bytes): Decision<Config> {
    const obj = readConfigModel(bytes);
    if (obj === "either") return "either";
    if (typeof obj === "string") return { start: false, why: obj };
    // Code points (the schema) and UTF-16 units (the filter) count astral characters apart.
    if (hasAstral(obj)) return "either";
    if (!validate(obj)) return { start: false, why: JSON.stringify(validate.errors?.[0]) };
    // What the schema cannot state whole: repeats that differ only in case.
    const al = (obj.access_log ?? {}) as Record<string, unknown>;
    for (const list of [al.request_headers, al.response_headers, al.redact]) {
      if (Array.isArray(list)) {
        const lower = list.map((s) => String(s).toLowerCase());
        if (new Set(lower).size !== lower.length) return "either";
      }
    }
    const t = (obj.tracing ?? {}) as Record<string, unknown>;
    const r = (obj.request_id ?? {}) as Record<string, unknown>;
    return {
      start: true,
      config: {
        tracing: (t.enabled ?? true) as boolean,
        b3: (t.accept_b3 ?? false) as boolean,
        sampleNew: (t.sample_percent ?? 100) as number,
        generate: (r.generate ?? "missing") as string,
        echo: (r.echo ?? false) as boolean,
        header: String(r.header ?? "x-request-id").toLowerCase(),
      },
    };
  },

  check(config, input, seen) {
    const problems: string[] = [];
    for (const entry of seen.logs) {
      if (entry.message.includes("Bearer ") || /cookie[^:]*:\s*"[^[]/i.test(entry.message)) {
        problems.push(`log: a secret reached the log: ${entry.message.slice(0, 200)}`);
      }
      if (entry.message.startsWith("{")) {
        const line = JSON.parse(entry.message) as { status?: number };
        if (seen.kind === "exchange" && line.status !== seen.status) {
          problems.push(`log: status ${line.status}, the client got ${seen.status}`);
        }
      }
    }
    if (seen.kind === "reset" || config === null) return problems;
    // A CR, LF or NUL in a header the filter may keep: Envoy refuses the request if it stays,
    // so only robustness (no trap, checked by the engine) is judged.
    const raw = requestAsFilterSeesIt(input, [...OWNABLE]).headers;
    if (raw.some(([k, v]) => OWNABLE.includes(k) && /[\r\n\0]/.test(v))) return problems;
    if (seen.status !== input.response.status)
      problems.push(`status: ${seen.status}, the upstream answered ${input.response.status}`);
    const res = seen.response;
    if (res === null) return [...problems, "response: none"];
    const owned = [config.header, "traceparent", "tracestate", ...(config.b3 ? B3_NAMES : [])];
    if (seen.upstream === null) return [...problems, "upstream: the request never reached it"];
    const sent = requestAsFilterSeesIt(input, owned);
    const given = new HeaderMap(sent.headers);
    const up = seen.upstream.headers;
    problems.push(...sameHeadersExcept("upstream", sent.headers, up, owned));
    problems.push(...sameBody("upstream body", input.request.chunks, seen.upstream.body));
    // Request id.
    const incoming = given.get(config.header);
    const id = up.getAll(config.header);
    // The connection manager makes an x-request-id when the client sent none (any value).
    const clientSent = input.request.headers.some(([k]) => k.toLowerCase() === config.header);
    const hostMade = config.header === "x-request-id" && !clientSent;
    const fresh = config.generate === "always" || (config.generate === "missing" && !incoming);
    if (fresh && !(id.length === 1 && UUID4.test(id[0] as string)))
      problems.push(`upstream ${config.header}: ${JSON.stringify(id)}, expected a new UUID v4`);
    if (!fresh && !hostMade && JSON.stringify(id) !== JSON.stringify(given.getAll(config.header)))
      problems.push(`upstream ${config.header}: ${JSON.stringify(id)}, expected it untouched`);
    const echoed = res.headers.getAll(config.header);
    const forwarded = responseAsEnvoyForwardsIt(input);
    const respSent = forwarded.filter(([k]) => k.toLowerCase() === config.header);
    if (
      config.echo &&
      id.length > 0 &&
      (echoed.length !== 1 || echoed[0] !== up.get(config.header))
    )
      problems.push(
        `response ${config.header}: ${JSON.stringify(echoed)}, expected the request's id`,
      );
    if (!config.echo && echoed.length !== respSent.length)
      problems.push(`response ${config.header}: ${JSON.stringify(echoed)}, expected none added`);
    problems.push(...sameHeadersExcept("response", forwarded, res.headers, [config.header]));
    problems.push(...sameBody("response body", input.response.chunks, res.body));
    // Trace context.
    const parents = given.getAll("traceparent");
    const states = given.getAll("tracestate");
    const tp = up.getAll("traceparent");
    if (!config.tracing) {
      if (JSON.stringify(tp) !== JSON.stringify(parents))
        problems.push(`upstream traceparent: ${JSON.stringify(tp)}, expected it untouched`);
      return problems;
    }
    const m = tp.length === 1 ? TRACEPARENT.exec(tp[0] as string) : null;
    if (m === null)
      return [...problems, `upstream traceparent: ${JSON.stringify(tp)}, not one valid value`];
    const continued = parents.length === 1 ? modelTraceparent(parents[0] as string) : null;
    let expectTrace: string | null = null;
    let expectSampled: boolean | null = null;
    if (continued) {
      expectTrace = continued.traceId;
      expectSampled = continued.sampled;
      if (JSON.stringify(up.getAll("tracestate")) !== JSON.stringify(states))
        problems.push(
          `upstream tracestate: ${JSON.stringify(up.getAll("tracestate"))}, expected it passed on`,
        );
    } else {
      if (up.getAll("tracestate").length > 0)
        problems.push("upstream tracestate: kept with a new trace");
      const single = given.get("b3");
      const b3 =
        parents.length === 0 && config.b3 && typeof single === "string" ? modelB3(single) : null;
      if (b3) {
        expectTrace = b3.traceId;
        expectSampled = b3.sampled;
      } else if (parents.length === 0 && config.b3 && given.has("x-b3-traceid")) {
        return problems; // multi-header B3: accepted or not by its own rules (emulator tests)
      } else if (config.sampleNew === 0) expectSampled = false;
      else if (config.sampleNew === 100) expectSampled = true;
    }
    if (expectTrace !== null && m[1] !== expectTrace)
      problems.push(`upstream traceparent: trace id ${m[1]}, expected ${expectTrace}`);
    if (expectTrace === null && parents.some((p) => p.toLowerCase().includes(m[1] as string)))
      problems.push("upstream traceparent: a refused trace id was propagated");
    if (expectSampled !== null && (m[3] === "01") !== expectSampled)
      problems.push(`upstream traceparent: flags ${m[3]}, expected sampled=${expectSampled}`);
    return problems;
  },
} satisfies FuzzTarget<Config> as FuzzTarget<Config>;

// examples/hello under fuzz. Model: a configuration with a header name (a token, not one Envoy
// owns) and a value (no CR, LF or NUL) starts the plugin; every response then carries exactly
// one `header: value`, everything else passes untouched, and each request counts once.

import fc from "fast-check";
import { buildExample } from "../../modules/build.ts";
import {
  type Decision,
  isSafeHeaderValue,
  isToken,
  RESERVED_HEADERS,
  readConfigModel,
  stringField,
  unknownKeys,
} from "../config-model.ts";
import { type FuzzTarget, requestAsFilterSeesIt, responseAsEnvoyForwardsIt } from "../target.ts";
import { sameBody, sameHeadersExcept } from "./checks.ts";

interface Config {
  header: string;
  value: string;
}

const NAMES = ["x-hello", "X-Hello", "x-a", "content-type"];

/** Control characters other than HTAB, CR, LF and NUL (those are refused outright). */
function hasControl(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0) || c === 0x7f) return true;
  }
  return false;
}

export const hello: FuzzTarget<Config> = {
  name: "hello",
  rootId: "hello",
  module: () => buildExample("hello"),
  counters: ["hello_requests"],
  vocabulary: {
    presets: [
      {},
      { header: "x-hello", value: "world" },
      { header: "X-A", value: "\u00e9t\u00e9 1" },
      { value: "" },
    ],
    headerNames: NAMES,
    tokens: ["world", "hello", "from meshwasm"],
    configs: fc.record(
      {
        header: fc.oneof(
          fc.constantFrom(...NAMES),
          fc.constantFrom(
            "",
            ":status",
            "content-length",
            "Host",
            "x-a\r\nx-injected",
            "x a",
            "\u00e9",
          ),
          fc.string({ maxLength: 12 }),
          fc.constant(42),
          fc.constant(null),
        ),
        value: fc.oneof(
          fc.constantFrom("world", "", "a\r\nx-injected: 1", "\0", "\u00e9t\u00e9"),
          fc.string({ maxLength: 20 }),
          fc.constant(true),
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
    if (unknownKeys(obj, ["header", "value"]).length > 0)
      return { start: false, why: "unknown key" };
    const header = stringField(obj, "header", "x-hello");
    const value = stringField(obj, "value", "world");
    if (header === null || value === null) return { start: false, why: "not a string" };
    if (!isToken(header)) return { start: false, why: "header is not a token" };
    if (RESERVED_HEADERS.has(header.toLowerCase())) return { start: false, why: "reserved header" };
    if (!isSafeHeaderValue(value)) return { start: false, why: "unsafe value" };
    // Other control bytes in a value: the SDK's header rules decide.
    if (hasControl(value)) return "either";
    return { start: true, config: { header: header.toLowerCase(), value } };
  },

  check(config, input, seen) {
    const problems: string[] = [];
    if (seen.counters.hello_requests !== 1)
      problems.push(`hello_requests: moved by ${seen.counters.hello_requests}, expected 1`);
    if (seen.kind === "reset" || config === null) return problems;
    const res = seen.response;
    if (seen.status !== input.response.status)
      problems.push(`status: ${seen.status}, the upstream answered ${input.response.status}`);
    if (res === null) return [...problems, "response: none"];
    const values = res.headers.getAll(config.header);
    if (values.length !== 1 || values[0] !== config.value)
      problems.push(
        `response header ${config.header}: ${JSON.stringify(values)}, expected [${JSON.stringify(config.value)}]`,
      );
    problems.push(
      ...sameHeadersExcept("response", responseAsEnvoyForwardsIt(input), res.headers, [
        config.header,
      ]),
    );
    problems.push(...sameBody("response body", input.response.chunks, res.body));
    if (seen.upstream === null) return [...problems, "upstream: the request never reached it"];
    problems.push(
      ...sameHeadersExcept(
        "upstream",
        requestAsFilterSeesIt(input).headers,
        seen.upstream.headers,
        [],
      ),
    );
    problems.push(...sameBody("upstream body", input.request.chunks, seen.upstream.body));
    return problems;
  },
};

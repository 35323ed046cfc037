// examples/require-header under fuzz. Model: a configuration naming a header (a token) starts
// the plugin; a request that carries that header (any value, even empty) reaches the upstream
// with exactly one `x-checked-by: meshwasm` and nothing else changed; one that lacks it gets
// 401 "missing <name>\n" and never reaches the upstream.

import fc from "fast-check";
import { buildExample } from "../../modules/build.ts";
import {
  type Decision,
  isToken,
  readConfigModel,
  stringField,
  unknownKeys,
} from "../config-model.ts";
import { type FuzzTarget, requestAsFilterSeesIt } from "../target.ts";
import { sameBody, sameHeadersExcept } from "./checks.ts";

interface Config {
  header: string;
}

const NAMES = ["x-api-key", "X-Api-Key", "authorization", "x-a"];

export const requireHeader: FuzzTarget<Config> = {
  name: "require-header",
  module: () => buildExample("require-header"),
  writesRequestHeaders: ["x-checked-by"],
  vocabulary: {
    presets: [{}, { header: "X-Api-Key" }, { header: "authorization" }, { header: "x-a" }],
    headerNames: NAMES,
    tokens: ["k1", "Bearer abc", " "],
    configs: fc.record(
      {
        header: fc.oneof(
          fc.constantFrom(...NAMES),
          fc.constantFrom("", "x-a\r\n", "x a", "\u00e9", ":authority", "x-request-id"),
          fc.string({ maxLength: 12 }),
          fc.constant(7),
          fc.constant(null),
        ),
        other: fc.constant(1),
      },
      { requiredKeys: [] },
    ),
  },

  decide(bytes): Decision<Config> {
    const obj = readConfigModel(bytes);
    if (obj === "either") return "either";
    if (typeof obj === "string") return { start: false, why: obj };
    if (unknownKeys(obj, ["header"]).length > 0) return { start: false, why: "unknown key" };
    const header = stringField(obj, "header", "x-api-key");
    if (header === null) return { start: false, why: "not a string" };
    // A pseudo-header (":authority") is a name a request carries; the SDK decides.
    if (header.startsWith(":")) return "either";
    if (!isToken(header)) return { start: false, why: "header is not a token" };
    return { start: true, config: { header: header.toLowerCase() } };
  },

  check(config, input, seen) {
    if (config === null) return [];
    const problems: string[] = [];
    const present = requestAsFilterSeesIt(input).headers.some(([k]) => k === config.header);
    if (!present) {
      if (!seen.localReply) problems.push("local reply: none, expected 401");
      if (seen.upstream !== null) problems.push("upstream: reached without the header");
      if (seen.kind === "exchange") {
        if (seen.status !== 401) problems.push(`status: ${seen.status}, expected 401`);
        const body = Buffer.from(seen.response?.body ?? []).toString("latin1");
        if (body !== `missing ${config.header}\n`)
          problems.push(`reply body: ${JSON.stringify(body)}`);
      }
      return problems;
    }
    if (seen.localReply) return ["local reply: sent, but the request carries the header"];
    const up = seen.upstream;
    if (up === null) return ["upstream: the request never reached it"];
    const tag = up.headers.getAll("x-checked-by");
    if (tag.length !== 1 || tag[0] !== "meshwasm")
      problems.push(`upstream header x-checked-by: ${JSON.stringify(tag)}`);
    problems.push(
      ...sameHeadersExcept("upstream", requestAsFilterSeesIt(input).headers, up.headers, [
        "x-checked-by",
      ]),
    );
    if (seen.kind === "exchange") {
      problems.push(...sameBody("upstream body", input.request.chunks, up.body));
      if (seen.status !== input.response.status)
        problems.push(`status: ${seen.status}, the upstream answered ${input.response.status}`);
      problems.push(
        ...sameBody(
          "response body",
          input.response.chunks,
          seen.response?.body ?? new Uint8Array(),
        ),
      );
    }
    return problems;
  },
};

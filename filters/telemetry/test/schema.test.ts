// schema.json and the filter's own parser agree: every example (the README's and the
// schema's) passes both; every bad configuration of the corpus is refused by both, the filter
// naming the field in one log line.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { neededCallbacks } from "../../../src/build/for-config.ts";
import { createHost } from "../../../src/testing/index.ts";
import { buildTelemetry, FILTER_DIR } from "./build.ts";
import { ROOT_ID } from "./helpers.ts";

const schema = JSON.parse(readFileSync(join(FILTER_DIR, "schema.json"), "utf8"));
const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
const corpus = JSON.parse(
  readFileSync(join(FILTER_DIR, "test", "bad-configs.json"), "utf8"),
) as Array<{
  why: string;
  field: string;
  config: unknown;
}>;

/** The JSON blocks of the README's configuration reference (each a whole configuration). */
function readmeExamples(): unknown[] {
  const readme = readFileSync(join(FILTER_DIR, "README.md"), "utf8");
  return [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1] as string));
}

/** The filter's start-up verdict: null when it starts, else the error it logged. */
async function start(config: unknown): Promise<string | null> {
  try {
    const host = await createHost({
      module: await buildTelemetry(),
      rootId: ROOT_ID,
      configuration: config as object,
    });
    host.close();
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

describe("schema.json", () => {
  it("is a valid 2020-12 schema with examples", () => {
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.examples.length).toBeGreaterThan(3);
  });

  it("accepts, like the filter, every example in the README and the schema", async () => {
    const examples = [...readmeExamples(), ...schema.examples];
    expect(readmeExamples().length).toBeGreaterThanOrEqual(6);
    for (const example of examples) {
      expect(validate(example), JSON.stringify(validate.errors)).toBe(true);
      expect(await start(example), JSON.stringify(example)).toBeNull();
    }
  });

  it("has at least 30 bad configurations", () => {
    expect(corpus.length).toBeGreaterThanOrEqual(30);
  });

  it.each(corpus.map((c) => [c.why, c] as const))("refuses %s, in both", async (_why, c) => {
    expect(validate(c.config), `the schema accepts ${JSON.stringify(c.config)}`).toBe(false);
    const error = await start(c.config);
    expect(error, "the filter starts").not.toBeNull();
    expect(error).toContain(`invalid configuration: field "${c.field}`);
  });

  it("refuses text that is not JSON, naming where", async () => {
    expect(await start('{"metrics": {')).toMatch(/invalid configuration: .*line 1/);
  });
});

// What `meshwasm build --for-config` asks the module: the response's headers only to echo the
// request id, the log only for the metrics or the access log.
describe("the callbacks a configuration needs", () => {
  it("needs the response's headers for request_id.echo and the log for metrics or the access log", async () => {
    const module = readFileSync(await buildTelemetry());
    const headers = "proxy_on_request_headers";
    // Each keeps its stream's context to the end: its log when it needs the log (the SDK ends
    // the stream there), else proxy_on_delete.
    const del = "proxy_on_delete";
    expect(await neededCallbacks(module, {})).toEqual([headers, "proxy_on_log"]);
    const quiet = { metrics: { enabled: false }, access_log: { enabled: false } };
    expect(await neededCallbacks(module, quiet)).toEqual([headers, del]);
    expect(await neededCallbacks(module, { ...quiet, access_log: { enabled: true } })).toEqual([
      headers,
      "proxy_on_log",
    ]);
    expect(await neededCallbacks(module, { ...quiet, request_id: { echo: true } })).toEqual([
      headers,
      "proxy_on_response_headers",
      del,
    ]);
  });
});

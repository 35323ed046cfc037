// schema.json and the module's configuration parser agree: every configuration in the README
// (and config.example.json, the one envoy.yaml runs) is accepted by both; every case of the
// bad-configuration corpus is refused by both, the module naming the field. The few checks
// JSON Schema cannot state are refused by the module and accepted by the schema, each listed
// with its reason.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { neededCallbacks } from "../../../src/build/for-config.ts";
import { RegexDriver } from "../../lib/test/regex-driver.ts";
import { BAD_CASES } from "./corpus.ts";
import { refusal } from "./host.ts";
import { FILTER_DIR, headerRouterModule } from "./module.ts";

const schema = JSON.parse(readFileSync(join(FILTER_DIR, "schema.json"), "utf8"));
const example = JSON.parse(readFileSync(join(FILTER_DIR, "config.example.json"), "utf8"));

/** Every ```json block of the README that is a whole configuration (has "rules"). */
function readmeConfigs(): Array<{ at: number; config: unknown }> {
  const text = readFileSync(join(FILTER_DIR, "README.md"), "utf8");
  const out: Array<{ at: number; config: unknown }> = [];
  for (const m of text.matchAll(/```json\n([\s\S]*?)```/g)) {
    const body = m[1] ?? "";
    const config = JSON.parse(body) as Record<string, unknown>;
    if (typeof config === "object" && config !== null && "rules" in config) {
      out.push({ at: text.slice(0, m.index).split("\n").length, config });
    }
  }
  return out;
}

let validate: (data: unknown) => boolean;
let schemaErrors: () => string;

beforeAll(async () => {
  await headerRouterModule(); // compiled when build/ is stale: minutes on a loaded machine
  // "format": "regex" means RE2 syntax here: the engine the module compiles with decides.
  const engine = await RegexDriver.load();
  const ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: false });
  ajv.addFormat("regex", { type: "string", validate: (p: string) => engine.compile(p) === null });
  const check = ajv.compile(schema);
  validate = (data) => check(data) as boolean;
  schemaErrors = () => ajv.errorsText(check.errors);
}, 300_000);

describe("header-router configuration: schema.json and the parser agree", () => {
  it("accept config.example.json, which envoy.yaml carries verbatim", async () => {
    expect(validate(example), schemaErrors()).toBe(true);
    expect(await refusal(example)).toBeNull();
    const yaml = parse(readFileSync(join(FILTER_DIR, "envoy.yaml"), "utf8"));
    const filter =
      yaml.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[0];
    expect(JSON.parse(filter.typed_config.config.configuration.value)).toEqual(example);
  });

  it("accept every configuration in the README", async () => {
    const configs = readmeConfigs();
    expect(configs.length).toBeGreaterThanOrEqual(8);
    for (const { at, config } of configs) {
      expect(validate(config), `README line ${at}: ${schemaErrors()}`).toBe(true);
      expect(await refusal(config), `README line ${at}`).toBeNull();
    }
  });

  it(`refuse each of the ${BAD_CASES.length} bad configurations, the module naming the field`, async () => {
    expect(BAD_CASES.length).toBeGreaterThanOrEqual(30);
    const disagreements: string[] = [];
    for (const c of BAD_CASES) {
      const line = await refusal(c.config);
      if (line === null) {
        disagreements.push(`${c.name}: the module accepted it`);
        continue;
      }
      expect(line, c.name).toContain("invalid configuration: ");
      if (c.field !== "") expect(line, c.name).toContain(`field "${c.field}": `);
      const schemaAccepts = validate(c.config);
      if (c.parserOnly === undefined && schemaAccepts)
        disagreements.push(`${c.name}: the schema accepted it`);
      if (c.parserOnly !== undefined && !schemaAccepts) {
        disagreements.push(
          `${c.name}: marked parser-only, but the schema refuses it (${schemaErrors()})`,
        );
      }
    }
    expect(disagreements).toEqual([]);
  });

  it("list in the README each check only the module makes", () => {
    const readme = readFileSync(join(FILTER_DIR, "README.md"), "utf8");
    for (const c of BAD_CASES.filter((b) => b.parserOnly !== undefined)) {
      expect(readme, c.name).toContain(c.parserOnly);
    }
  });
});

// What `meshwasm build --for-config` asks the module: the response's headers only when a rule
// (or the default) has response actions.
describe("the callbacks a configuration needs", () => {
  const match = { from: "header:x-a", present: true };
  it("needs the request's headers, and the response's only for response actions", async () => {
    const module = readFileSync(await headerRouterModule());
    const request = {
      rules: [{ name: "a", match, request_headers: [{ set: "x-b", value: "1" }] }],
    };
    expect(await neededCallbacks(module, request)).toEqual([
      "proxy_on_request_headers",
      "proxy_on_delete",
    ]);
    const both = ["proxy_on_request_headers", "proxy_on_response_headers", "proxy_on_delete"];
    expect(await neededCallbacks(module, example)).toEqual(both);
    const byDefault = { ...request, default: { response_headers: [{ set: "x-c", value: "1" }] } };
    expect(await neededCallbacks(module, byDefault)).toEqual(both);
  });
});

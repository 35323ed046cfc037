// A chain's plan before its compile: the list `--chain` names, the filters it resolves to, the
// configuration's sections checked against each filter's schema, the generated entry file;
// and compileChain on a stand-in SDK of two files (a fraction of a second).
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  type ChainFilter,
  ChainSpecError,
  chainEntrySource,
  chainOfConfiguration,
  checkChainConfiguration,
  compileChain,
  parseChainList,
  resolveChain,
} from "../../src/build/chain.ts";
import { readWasmModule } from "../../src/wasm/binary.ts";

const scratch = mkdtempSync(join(tmpdir(), "meshwasm-chain-plan-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function refusal(fn: () => unknown): { problem: string; message: string } {
  try {
    fn();
  } catch (error) {
    if (error instanceof ChainSpecError) {
      expect(error.name).toBe("ChainSpecError");
      return { problem: error.problem, message: error.message };
    }
    throw error;
  }
  throw new Error("expected a ChainSpecError");
}

const write = (path: string, text: string) => {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
  return path;
};

const schema = write(
  join(scratch, "schemas", "limit.json"),
  JSON.stringify({
    type: "object",
    // A keyword Ajv does not know: a strict Ajv would refuse the schema itself.
    "x-note": "limits",
    additionalProperties: false,
    properties: {
      rules: { type: "array" },
      window: { type: "object", properties: { ms: { type: "integer" } } },
    },
  }),
);
const filters: ChainFilter[] = [
  { name: "auth", entry: "/p/filters/auth/assembly/index.ts" },
  { name: "limit", entry: "/p/filters/limit/assembly/index.ts", schema },
  { name: "tag", entry: "/p/filters/tag/assembly/index.ts", schema: join(scratch, "none.json") },
];

describe("parseChainList", () => {
  it("reads names in order, trimmed", () => {
    expect(parseChainList(" tag, auth ,limit")).toStrictEqual(["tag", "auth", "limit"]);
    expect(parseChainList("auth")).toStrictEqual(["auth"]);
  });

  it("refuses a list of no names, and names the blank one by position", () => {
    for (const text of ["", " ", " , "]) {
      expect(refusal(() => parseChainList(text))).toStrictEqual({
        problem: "empty-chain",
        message: "--chain: the chain names no filters",
      });
    }
    expect(refusal(() => parseChainList("auth,,tag"))).toStrictEqual({
      problem: "empty-chain",
      message: '--chain "auth,,tag": filter 2 is empty (a stray comma?)',
    });
    expect(refusal(() => parseChainList(" ,auth")).message).toBe(
      '--chain " ,auth": filter 1 is empty (a stray comma?)',
    );
  });
});

describe("resolveChain", () => {
  it("gives the filters in the chain's order", () => {
    expect(resolveChain(["tag", "auth"], filters)).toStrictEqual([filters[2], filters[0]]);
  });

  it("refuses no names, a name twice and an unknown name, each by name", () => {
    expect(refusal(() => resolveChain([], filters))).toStrictEqual({
      problem: "empty-chain",
      message: "the chain names no filters",
    });
    expect(refusal(() => resolveChain(["auth", "tag", "auth"], filters))).toStrictEqual({
      problem: "duplicate-filter",
      message:
        'filter "auth" appears twice in the chain (auth, tag, auth); a filter runs once per chain',
    });
    expect(refusal(() => resolveChain(["auth", "cors"], filters))).toStrictEqual({
      problem: "unknown-filter",
      message: 'unknown filter "cors" in the chain; known filters: auth, limit, tag',
    });
    expect(refusal(() => resolveChain(["cors"], [])).message).toBe(
      'unknown filter "cors" in the chain; known filters: none',
    );
  });
});

describe("a chain's configuration", () => {
  it("names the chain by its sections, in order", () => {
    expect(chainOfConfiguration({ tag: {}, auth: 1 }, "c.json")).toStrictEqual(["tag", "auth"]);
    expect(refusal(() => chainOfConfiguration({}, "c.json"))).toStrictEqual({
      problem: "empty-chain",
      message: "c.json: the configuration has no filter sections",
    });
  });

  it("refuses what is not an object of sections, saying what it is", () => {
    const got = (config: unknown) => refusal(() => chainOfConfiguration(config, "c.json"));
    expect(got([])).toStrictEqual({
      problem: "invalid-configuration",
      message:
        "c.json: a chain's configuration is a JSON object with a section per filter, got an array",
    });
    expect(got(null).message).toMatch(/, got object$/);
    expect(got("auth").message).toMatch(/, got string$/);
    expect(got(3).message).toMatch(/, got number$/);
  });

  it("takes one section per filter, each valid against its schema where there is one", () => {
    expect(() =>
      checkChainConfiguration(filters, { auth: "anything", limit: { rules: [] }, tag: 7 }),
    ).not.toThrow();
  });

  it("names a section of no filter and a missing section, with the chain", () => {
    expect(
      refusal(() => checkChainConfiguration(filters, { auth: {}, limit: {}, tag: {}, cors: {} })),
    ).toStrictEqual({
      problem: "unknown-section",
      message: `the chain's configuration: section "cors" names no filter of the chain (auth, limit, tag)`,
    });
    expect(
      refusal(() => checkChainConfiguration(filters, { auth: {}, tag: {} }, "c.json")),
    ).toStrictEqual({
      problem: "missing-section",
      message:
        'c.json: section "limit" is missing; the chain needs one per filter (auth, limit, tag)',
    });
    expect(refusal(() => checkChainConfiguration(filters, [], "c.json")).problem).toBe(
      "invalid-configuration",
    );
  });

  it("names the field the schema refuses, the extra property, or the section itself", () => {
    const section = (limit: unknown) =>
      refusal(() => checkChainConfiguration(filters, { auth: {}, limit, tag: {} }, "c.json"));
    expect(section({ rules: "all" })).toStrictEqual({
      problem: "invalid-section",
      message: 'c.json: section "limit": rules must be array',
    });
    expect(section({ window: { ms: "x" } }).message).toBe(
      'c.json: section "limit": window.ms must be integer',
    );
    expect(section({ colour: 1 }).message).toBe(
      'c.json: section "limit": (the section) must NOT have additional properties ("colour")',
    );
    expect(section(5).message).toBe('c.json: section "limit": (the section) must be object');
  });
});

describe("chainEntrySource", () => {
  it("imports each filter in order, relative to the entry, and registers the chain", () => {
    const text = chainEntrySource(
      filters.slice(0, 2),
      "/p/build/.chain/chain.ts",
      "meshwasm/assembly",
    );
    expect(text).toBe(
      [
        "// Generated by `meshwasm build --chain auth,limit`: the filters",
        "// in request order, each registering its own root; registerChain runs them in one HTTP",
        "// context with a configuration section per filter. Do not edit: it is rewritten each build.",
        'import "../../filters/auth/assembly/index";',
        'import "../../filters/limit/assembly/index";',
        'import { registerChain } from "meshwasm/assembly";',
        'export * from "meshwasm/assembly/exports";',
        "",
        'registerChain(["auth", "limit"]);',
        "",
      ].join("\n"),
    );
  });

  it("imports an SDK folder by relative path, ./ for one below the entry, / for \\", () => {
    const text = chainEntrySource(
      [
        { name: "a", entry: "/p/build/.chain/a\\b/index.ts" },
        { name: "b", entry: "/p/build/.chain/v1.tsx/index.ts" },
      ],
      "/p/build/.chain/x.ts",
      "/p/sdk/assembly",
    );
    expect(text).toContain('\nimport "./a/b/index";\n');
    // Only the last .ts goes.
    expect(text).toContain('\nimport "./v1.tsx/index";\n');
    expect(text).toContain('\nimport { registerChain } from "../../sdk/assembly";\n');
    expect(text).toContain('\nexport * from "../../sdk/assembly/exports";\n');
  });
});

describe("compileChain", () => {
  it("writes the entry beside the module under .chain/ and compiles it", async () => {
    const dir = join(scratch, "project");
    const panic = relative(join(dir, "sdk"), resolve("assembly", "internal", "panic"));
    write(
      join(dir, "sdk", "index.ts"),
      `import "${panic}";\nexport function registerChain(names: string[]): void {}\n`,
    );
    write(join(dir, "sdk", "exports.ts"), "export function chain_marker(): i32 { return 1; }\n");
    const chain = ["one", "two"].map((name) => ({
      name,
      entry: write(join(dir, "filters", name, "index.ts"), `export function ${name}(): void {}\n`),
    }));
    const result = await compileChain({
      chain,
      sdk: join(dir, "sdk"),
      outFile: "out/both.wasm",
      baseDir: dir,
      optimize: "none",
      exportAll: true,
      text: true,
    });
    const entry = join(dir, "out", ".chain", "both.ts");
    expect(readFileSync(entry, "utf8")).toBe(chainEntrySource(chain, entry, join(dir, "sdk")));
    expect(readdirSync(join(dir, "out", ".chain"))).toStrictEqual(["both.ts"]);
    expect(result.outFile).toBe("out/both.wasm");
    const exports = readWasmModule(readFileSync(join(dir, "out", "both.wasm"))).exports.map(
      (e) => e.name,
    );
    expect(exports).toContain("chain_marker");
    expect(existsSync(join(dir, "out", "both.wat"))).toBe(true);
  });
});

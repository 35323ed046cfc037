// The build leaves out the per-stream HTTP callbacks a filter does not use (transform/
// exports.mjs): which exports a set of context classes yields, a chain's union, the opt-out,
// and, for every example and filter the project builds, the same answer as a plain reading of
// its sources.

import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileFilter } from "../../src/build/compile.ts";
import { Project } from "../../src/cli/project.ts";
import { createHost } from "../../src/testing/index.ts";
import { readWasmModule } from "../../src/wasm/binary.ts";
import { STREAM_CALLBACKS } from "../../transform/callbacks.mjs";
import {
  ALWAYS_DROPPED,
  ANSWERS,
  PRUNABLE,
  prunedByConfiguration,
  unansweredCallbacks,
  unusedCallbacks,
} from "../../transform/exports.mjs";

const ALL = Object.keys(PRUNABLE);
const ANSWER_NAMES = Object.keys(ANSWERS);
const project = mkdtempSync(join(tmpdir(), "meshwasm-prune-"));
afterAll(() => rmSync(project, { recursive: true, force: true }));
mkdirSync(join(project, "node_modules"));
symlinkSync(resolve("."), join(project, "node_modules", "meshwasm"), "dir");

function exportNames(wasm: string): string[] {
  return readWasmModule(readFileSync(wasm)).exports.map((e) => e.name);
}

function answerExports(wasm: string): string[] {
  const names = new Set(exportNames(wasm));
  return ANSWER_NAMES.filter((name) => names.has(name));
}

function prunableExports(wasm: string): string[] {
  const names = new Set(exportNames(wasm));
  return ALL.filter((name) => names.has(name));
}

/** Compiles `files` (the first is the entry) without optimization; returns the module path. */
async function build(name: string, files: Record<string, string>, exportAll = false) {
  const dir = join(project, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  const outFile = join(dir, "out.wasm");
  const entry = `${name}/${Object.keys(files)[0]}`;
  await compileFilter({ entry, outFile, baseDir: project, optimize: "none", exportAll });
  return outFile;
}

const SDK = `import { Action, HttpContext, RootContext, StreamContext, registerRootContext } from "meshwasm/assembly";
export * from "meshwasm/assembly/exports";
`;

describe("unusedCallbacks", () => {
  const none = { overridden: [], buffersRequest: false, buffersResponse: false, chain: false };

  it("prunes every per-stream callback when nothing is overridden", () => {
    expect(unusedCallbacks(none)).toEqual(ALL);
  });

  it("keeps the callback of each overridden method, and only those", () => {
    expect(
      unusedCallbacks({ ...none, overridden: ["onResponseBody", "onLog", "unrelated"] }),
    ).toEqual(ALL.filter((n) => n !== "proxy_on_response_body" && n !== "proxy_on_log"));
  });

  it("keeps a direction's headers, body and trailers when its body is buffered", () => {
    const unused = unusedCallbacks({ ...none, buffersRequest: true });
    expect(unused).not.toContain("proxy_on_request_headers");
    expect(unused).not.toContain("proxy_on_request_body");
    expect(unused).not.toContain("proxy_on_request_trailers");
    expect(unused).toContain("proxy_on_response_body");
    expect(unusedCallbacks({ ...none, buffersResponse: true })).toEqual([
      "proxy_on_request_headers",
      "proxy_on_request_body",
      "proxy_on_request_trailers",
      "proxy_on_log",
      "proxy_on_done",
    ]);
  });

  it("keeps the request headers of a chain (its members' contexts are made there)", () => {
    expect(unusedCallbacks({ ...none, chain: true })).not.toContain("proxy_on_request_headers");
  });
});

describe("unansweredCallbacks (the root's answers to calls the module never makes)", () => {
  const GRPC = [
    "proxy_on_grpc_receive_initial_metadata",
    "proxy_on_grpc_receive",
    "proxy_on_grpc_receive_trailing_metadata",
    "proxy_on_grpc_close",
  ];

  it("leaves out all seven when the module makes none of the calls", () => {
    expect(unansweredCallbacks(["proxy_log", "proxy_get_property"])).toEqual([
      "proxy_on_tick",
      "proxy_on_queue_ready",
      "proxy_on_http_call_response",
      ...GRPC,
    ]);
  });

  it("keeps each answer with its call, and only it", () => {
    const kept = (imports: string[]) =>
      ANSWER_NAMES.filter((name) => !unansweredCallbacks(imports).includes(name));
    expect(kept(["proxy_set_tick_period_milliseconds"])).toEqual(["proxy_on_tick"]);
    expect(kept(["proxy_register_shared_queue"])).toEqual(["proxy_on_queue_ready"]);
    expect(kept(["proxy_http_call"])).toEqual(["proxy_on_http_call_response"]);
    expect(kept(["proxy_grpc_call"])).toEqual(GRPC);
    expect(kept(["proxy_grpc_stream"])).toEqual(GRPC);
  });
});

// Compiles without optimization (seconds each); the transform runs before the optimizer anyway.
// The four compile at the same time in this process, as `meshwasm demo` builds a chain and its
// filters: each compilation must see its own program.
const NOTHING = {
  "index.ts": `${SDK}
class Nothing extends HttpContext {}
class Root extends RootContext {
  createHttpContext(id: u32): HttpContext | null { return new Nothing(id, this); }
}
registerRootContext((id: u32): RootContext => new Root(id));
`,
};

// Makes each call whose answer the host would send: a tick, a queue, a callout, a gRPC call.
const CALLS = {
  "index.ts": `import { Header, HttpContext, RootContext, registerRootContext, registerSharedQueue } from "meshwasm/assembly";
export * from "meshwasm/assembly/exports";
class Root extends RootContext {
  onConfigure(size: u32): bool {
    this.setTickPeriod(1000);
    registerSharedQueue("q");
    this.dispatchHttpCall("c", [new Header(":path", "/")], null, [], 100);
    this.dispatchGrpcCall("c", "s", "m", [], new ArrayBuffer(0), 100);
    return true;
  }
}
registerRootContext((id: u32): RootContext => new Root(id));
`,
};

const MIXED = {
  "index.ts": `${SDK}
import { Base } from "./base";
class Leaf extends Base {
  constructor(id: u32, root: RootContext) { super(id, root); this.bufferResponseBody(); }
}
namespace inner {
  export class Trailing extends HttpContext {
    onRequestTrailers(n: u32): Action { return Action.Continue; }
  }
}
class Tcp extends StreamContext {
  onLog(): void {}
}
class Root extends RootContext {
  createHttpContext(id: u32): HttpContext | null {
    return id % 2 == 0 ? new Leaf(id, this) : new inner.Trailing(id, this);
  }
  createStreamContext(id: u32): StreamContext | null { return new Tcp(id, this); }
  onDone(): bool { return true; }
}
registerRootContext((id: u32): RootContext => new Root(id));
`,
  "base.ts": `import { Action, HttpContext } from "meshwasm/assembly";
export class Base extends HttpContext {
  onResponseBody(size: u32, end: bool): Action { return Action.Continue; }
}
`,
};

const member = (
  name: string,
  body: string,
) => `import { Action, HttpContext, RootContext, registerRootContext } from "meshwasm/assembly";
class Ctx extends HttpContext {
${body}
}
class Root extends RootContext {
  createHttpContext(id: u32): HttpContext | null { return new Ctx(id, this); }
}
registerRootContext((id: u32): RootContext => new Root(id), "${name}");
`;

const CHAIN = {
  "index.ts": `import "./a";
import "./b";
import { registerChain } from "meshwasm/assembly";
export * from "meshwasm/assembly/exports";
registerChain(["a", "b"]);
`,
  "a.ts": member(
    "a",
    `  onResponseHeaders(n: u32, end: bool): Action {
    this.response.headers.set("x-a", "1");
    return Action.Continue;
  }`,
  ),
  "b.ts": member("b", "  onDone(): bool { return true; }"),
};

describe("prunedByConfiguration (the bits --for-config compiles with)", () => {
  it("names the export of each bit, in the SDK's StreamCallbacks order", () => {
    expect(prunedByConfiguration(undefined)).toEqual([]);
    expect(prunedByConfiguration("0")).toEqual([]);
    expect(prunedByConfiguration("8")).toEqual(["proxy_on_response_headers"]);
    expect(prunedByConfiguration("198")).toEqual([
      "proxy_on_request_body",
      "proxy_on_request_trailers",
      "proxy_on_log",
      "proxy_on_done",
    ]);
    expect(prunedByConfiguration("255")).toEqual(ALL);
    // proxy_on_delete: only a configuration that keeps no stream state lets it go.
    expect(prunedByConfiguration("256")).toEqual(["proxy_on_delete"]);
    expect(prunedByConfiguration("511")).toEqual([...ALL, "proxy_on_delete"]);
    // The SDK's bit order (assembly/callbacks.ts, read as source) is the build's.
    expect([...STREAM_CALLBACKS]).toEqual([...ALL, "proxy_on_delete"]);
    const sdk = readFileSync("assembly/callbacks.ts", "utf8");
    const list = /STREAM_CALLBACK_EXPORTS: string\[\] = \[([^\]]*)\]/.exec(sdk)?.[1] ?? "";
    expect([...list.matchAll(/"([a-z_]+)"/g)].map((m) => m[1])).toEqual([...STREAM_CALLBACKS]);
    STREAM_CALLBACKS.forEach((name, i) => {
      const bit = name
        .replace("proxy_on_", "")
        .replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());
      expect(sdk).toContain(`export const ${bit}: u32 = 1 << ${i};`);
    });
  });

  it("refuses a value that is not 0 to 511, naming it", () => {
    for (const bad of ["512", "-1", "1.5", "x"]) {
      expect(() => prunedByConfiguration(bad)).toThrow(`MESHWASM_PRUNED_CALLBACKS=${bad}`);
    }
  });
});

describe("the build's exports", { timeout: 300_000 }, () => {
  let built: Record<"nothing" | "all" | "mixed" | "chain" | "calls", string>;
  beforeAll(async () => {
    const [nothing, all, mixed, chain, calls] = await Promise.all([
      build("nothing", NOTHING),
      build("nothing-all", NOTHING, true),
      build("mixed", MIXED),
      build("chain", CHAIN),
      build("calls", CALLS),
    ]);
    built = { nothing, all, mixed, chain, calls } as typeof built;
  }, 300_000);

  it("leaves out the root's answers to calls the module never makes; --export-all keeps them", () => {
    for (const wasm of [built.nothing, built.mixed, built.chain]) {
      expect(answerExports(wasm)).toEqual([]);
    }
    expect(answerExports(built.all)).toEqual(ANSWER_NAMES);
    expect(answerExports(built.calls)).toEqual(ANSWER_NAMES);
  });

  it("a filter overriding nothing exports none of them; --export-all exports all", () => {
    expect(prunableExports(built.nothing)).toEqual([]);
    expect(prunableExports(built.all)).toEqual(ALL);
  });

  it("leaves proxy_on_context_create out of every build but --export-all's", () => {
    for (const wasm of [built.nothing, built.mixed, built.chain]) {
      expect(exportNames(wasm)).not.toContain(ALWAYS_DROPPED[0]);
    }
    expect(exportNames(built.all)).toContain("proxy_on_context_create");
    expect(ALWAYS_DROPPED).toEqual(["proxy_on_context_create"]);
  });

  it("counts inherited overrides, namespaced classes, TCP and root contexts, and buffering", async () => {
    expect(prunableExports(built.mixed)).toEqual([
      "proxy_on_request_trailers",
      "proxy_on_response_headers",
      "proxy_on_response_body",
      "proxy_on_response_trailers",
      "proxy_on_log",
      "proxy_on_done",
    ]);
    // Buffering still works with the kept callbacks: the body arrives whole.
    const host = await createHost({ module: built.mixed });
    const res = await host.request({ path: "/x", method: "POST", body: "abc" });
    expect(res.status).toBe(200);
  });

  it("a chain exports the union of its members' callbacks, not its own generic ones", async () => {
    expect(prunableExports(built.chain)).toEqual([
      "proxy_on_request_headers",
      "proxy_on_response_headers",
      "proxy_on_done",
    ]);
    const host = await createHost({ module: built.chain, configuration: '{"a": {}, "b": {}}' });
    const res = await host.request({ path: "/" });
    expect(res.headers["x-a"]).toBe("1");
  });
});

/** What a plain reading of a filter's sources says it needs (the transform reads the program). */
function expectedFromSources(folder: string): string[] {
  const texts: string[] = [];
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === "__tests__" || entry.name === "test") continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.name.endsWith(".ts")) texts.push(readFileSync(path, "utf8"));
    }
  };
  visit(join(folder, "assembly"));
  const text = texts.join("\n");
  const declared = (method: string) => new RegExp(`^\\s+${method}\\(`, "m").test(text);
  const keep = new Set(ALL.filter((name) => declared(PRUNABLE[name] as string)));
  if (/\bbufferRequestBody\b/.test(text)) {
    for (const n of ALL.filter((n) => n.startsWith("proxy_on_request_"))) keep.add(n);
  }
  if (/\bbufferResponseBody\b/.test(text)) {
    for (const n of ALL.filter((n) => n.startsWith("proxy_on_response_"))) keep.add(n);
  }
  return ALL.filter((name) => keep.has(name));
}

describe("every example and filter of the project", () => {
  const root = resolve(".");
  const proj = Project.find(root);
  for (const filter of proj.filters()) {
    it(`${filter.name} exports the callbacks its sources use`, () => {
      const wasm = proj.wasmPath(filter.name);
      // test/build-modules.setup.ts builds them before any test runs.
      expect(existsSync(wasm)).toBe(true);
      expect(prunableExports(wasm)).toEqual(expectedFromSources(filter.folder));
      expect(exportNames(wasm)).not.toContain("proxy_on_context_create");
    });
  }
});

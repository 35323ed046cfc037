/**
 * The files `meshwasm new <name>` writes: a filter that builds and passes its tests as
 * written. Inside the meshwasm repository the filter imports the SDK by relative path; in a
 * user's project it imports `meshwasm/assembly` from node_modules.
 */

export interface ScaffoldInput {
  /** Filter name: folder, module (build/<name>.wasm), root_id and metric prefix. */
  name: string;
  /** Import specifier of the SDK from the filter's assembly/ folder. */
  sdk: string;
  /** Path from the filter's test/ folder to the project's build/<name>.wasm. */
  wasmFromTest: string;
  /** Path of the module relative to the project root (for envoy.yaml and the README). */
  wasmFromRoot: string;
  /** Folder of the filter relative to the project root. */
  folder: string;
  /** How the README tells the user to run the CLI (`npx meshwasm` or `npm run meshwasm --`). */
  cli: string;
}

/** Valid filter names: a lower-case letter, then lower-case letters, digits and dashes. */
export const FILTER_NAME = /^[a-z][a-z0-9-]{0,62}$/;

/** The filter's metric prefix: `my-filter` → `my_filter`. */
export function metricPrefix(name: string): string {
  return name.replace(/-/g, "_");
}

/** Every file of a new filter, by path relative to the filter's folder. */
export function filterFiles(input: ScaffoldInput): Record<string, string> {
  return {
    "assembly/index.ts": filterSource(input),
    "assembly/tsconfig.json": `${JSON.stringify({ extends: "assemblyscript/std/assembly.json", include: ["./**/*.ts"] }, null, 2)}\n`,
    [`test/${input.name}.test.ts`]: filterTest(input),
    "schema.json": `${JSON.stringify(schema(input), null, 2)}\n`,
    "envoy.yaml": envoyYaml(input),
    "README.md": readme(input),
  };
}

function filterSource({ name, sdk }: ScaffoldInput): string {
  const metric = `${metricPrefix(name)}_requests`;
  return `// ${name}: adds a response header named by its configuration, and counts requests.
//
// Configuration (JSON, every field optional): {"header": "x-${name}", "value": "on"}

import { Action, Counter, HttpContext, RootContext, log, readConfig, registerRootContext } from "${sdk}";

export * from "${sdk}/exports"; // the host's entry points: always re-export them

/** Prometheus shows it as \`${metric}\`. */
const requests = new Counter("${metric}");

class Root extends RootContext {
  header: string = "x-${name}";
  value: string = "on";

  // Runs once per (re)configuration: parse and check everything here, never per request.
  onConfigure(configurationSize: u32): bool {
    const config = readConfig(this.pluginConfiguration());
    // Refused here: names that are empty, not tokens or protected (host, content-length,
    // pseudo-headers), and CR, LF or NUL anywhere; the header setter would refuse them anyway.
    const header = config.headerName("header", "x-${name}");
    const value = config.headerValue("value", "on");
    config.unknownKeys(["header", "value"]);
    if (!config.ok) {
      log.error(config.firstError); // names the field and the value
      return false; // the proxy refuses the configuration
    }
    this.header = header;
    this.value = value;
    log.info("${name} configured: {}: {}", this.header, this.value);
    return true;
  }

  createHttpContext(contextId: u32): HttpContext | null {
    return new Filter(contextId, this);
  }
}

class Filter extends HttpContext {
  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    requests.increment();
    return Action.Continue;
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    const root = this.root as Root;
    this.response.headers.set(root.header, root.value);
    return Action.Continue;
  }
}

registerRootContext((id: u32): RootContext => new Root(id), "${name}");
`;
}

function filterTest({ name, wasmFromTest }: ScaffoldInput): string {
  const metric = `${metricPrefix(name)}_requests`;
  return `// ${name} on the meshwasm test host: the real module, run the way Envoy runs it.
// \`meshwasm test\` builds the module first (or run \`meshwasm build\`).
import { fileURLToPath } from "node:url";
import { createHost, PluginStartError } from "meshwasm/testing";
import { describe, expect, it } from "vitest";

const wasm = fileURLToPath(new URL("${wasmFromTest}", import.meta.url));

describe("${name}", () => {
  it("adds the configured header to every response", async () => {
    const host = await createHost({
      module: wasm,
      rootId: "${name}",
      configuration: { header: "x-greeting", value: "hello" },
    });

    const res = await host.request({ path: "/orders/42" });

    expect(res.status).toBe(200);
    expect(res.headers["x-greeting"]).toBe("hello");
    expect(res.upstream?.path).toBe("/orders/42");
    expect(host.counter("${metric}")).toBe(1);
  });

  it("sets x-${name}: on when there is no configuration", async () => {
    const host = await createHost({ module: wasm, rootId: "${name}" });
    const res = await host.request({ path: "/" });
    expect(res.headers["x-${name}"]).toBe("on");
  });

  it("refuses a configuration with an unknown field, naming it", async () => {
    const start = createHost({ module: wasm, rootId: "${name}", configuration: { colour: "red" } });
    await expect(start).rejects.toBeInstanceOf(PluginStartError);
    await expect(start).rejects.toThrow(/colour/);
  });
});
`;
}

function schema({ name }: ScaffoldInput): object {
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: `${name} configuration`,
    type: "object",
    additionalProperties: false,
    properties: {
      header: {
        type: "string",
        minLength: 1,
        default: `x-${name}`,
        description: "Response header to set (lower-cased).",
        examples: ["x-greeting"],
      },
      value: {
        type: "string",
        default: "on",
        description: "Its value.",
        examples: ["hello"],
      },
    },
    examples: [{ header: "x-greeting", value: "hello" }],
  };
}

function envoyYaml({ name, wasmFromRoot, folder }: ScaffoldInput): string {
  return `# Envoy running ${name} on 127.0.0.1:10000 (admin on 9901); the route answers directly, so
# nothing else needs to run. Start it from the project root (the module path is relative):
#   "$(npx meshwasm envoy path)" -c ${folder}/envoy.yaml
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: 9901 } }
static_resources:
  listeners:
    - name: main
      address: { socket_address: { address: 127.0.0.1, port_value: 10000 } }
      filter_chains:
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: ingress_http
                route_config:
                  virtual_hosts:
                    - name: all
                      domains: ["*"]
                      routes:
                        - match: { prefix: "/" }
                          direct_response: { status: 200, body: { inline_string: "hello from Envoy\\n" } }
                http_filters:
                  - name: ${name}
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
                      config:
                        name: ${name}
                        root_id: ${name}
                        failure_policy: FAIL_CLOSED
                        configuration:
                          "@type": type.googleapis.com/google.protobuf.StringValue
                          value: '{"header": "x-${name}", "value": "on"}'
                        vm_config:
                          vm_id: ${name}
                          runtime: envoy.wasm.runtime.v8
                          code: { local: { filename: ${wasmFromRoot} } }
                  - name: envoy.filters.http.router
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
`;
}

function readme({ name, folder, wasmFromRoot, cli }: ScaffoldInput): string {
  const metric = `${metricPrefix(name)}_requests`;
  return `# ${name}

Adds a response header named by its configuration to every response, and counts requests in
the metric \`${metric}\`.

## Configuration

| field | type | default | meaning |
|---|---|---|---|
| \`header\` | string, not empty | \`"x-${name}"\` | response header to set (lower-cased) |
| \`value\` | string | \`"on"\` | its value |

Any other field is refused: the plugin does not start, and Envoy's log names the field, e.g.
\`invalid configuration: field "colour": unknown field\`. \`schema.json\` describes the same shape.

## Build and test

\`\`\`sh
${cli} build ${name}     # → ${wasmFromRoot}, with its size and the module check
${cli} test              # builds, then runs ${folder}/test on the meshwasm test host
\`\`\`

## Run it

\`\`\`sh
${cli} run ${name}                                     # real Envoy, an echo upstream, the filter log
${cli} run ${name} --config '{"header":"x-greeting","value":"hello"}'
\`\`\`

or with this folder's Envoy config (the route answers directly, no upstream needed):

\`\`\`sh
"$(${cli} envoy path)" -c ${folder}/envoy.yaml
\`\`\`

## Try it

\`\`\`sh
curl -si 127.0.0.1:10000/
\`\`\`

## What you should see

\`\`\`
HTTP/1.1 200 OK
x-${name}: on
...
\`\`\`

and \`curl -s 127.0.0.1:9901/stats/prometheus | grep ${metric}\` counts the requests.

## Failure behaviour

\`envoy.yaml\` sets \`failure_policy: FAIL_CLOSED\`: if the module traps, requests get a 503
instead of bypassing the filter. A bad configuration keeps the listener from serving with a
half-configured filter.
`;
}

/** The vitest config `meshwasm new` writes into a project that has none. The `.mts` extension
 *  makes it an ES module whatever the package's "type" says: `npm init` writes
 *  `"type": "commonjs"`, and Vite warns on every run about a `.ts` config with ES module syntax
 *  in such a package. */
export const VITEST_CONFIG_FILE = "vitest.config.mts";

/** Its contents. */
export const VITEST_CONFIG = `import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Each filter keeps its tests in <filter>/test/.
    include: ["**/test/**/*.test.ts"],
    exclude: ["**/node_modules/**", "build/**"],
    testTimeout: 30_000,
  },
});
`;

export const GITIGNORE = "node_modules/\nbuild/\n";

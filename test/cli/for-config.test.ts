// `meshwasm build --for-config`: a module built for one configuration leaves out the per-stream
// callbacks that configuration does not need (its root says which in neededCallbacks), serves
// it in the test host and in real Envoy, and refuses, loudly and by field, a configuration that
// needs a callback it was built without; the same for a chain built from its configuration.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildBootstrap, type EnvoyProcess, startEnvoy } from "../../src/envoy/index.ts";
import { createHost, PluginStartError } from "../../src/testing/index.ts";
import { readWasmModule } from "../../src/wasm/binary.ts";
import { cli, tempProject } from "./helpers.ts";

// Needs the response's headers only with {"tag": true}; denies /deny in the request's headers.
const TAG = `import { Action, CallbackNeeds, HttpContext, RootContext, StreamCallbacks, log, readConfig, registerRootContext } from "meshwasm/assembly";
export * from "meshwasm/assembly/exports";

class Root extends RootContext {
  tag: bool = false;
  onConfigure(size: u32): bool {
    const cfg = readConfig(this.pluginConfiguration());
    this.tag = cfg.bool("tag", false);
    if (!cfg.ok) {
      log.error(cfg.firstError);
      return false;
    }
    return true;
  }
  neededCallbacks(needs: CallbackNeeds): void {
    needs.need(StreamCallbacks.RequestHeaders, "every request");
    if (this.tag) needs.need(StreamCallbacks.ResponseHeaders, "tag: true");
  }
  createHttpContext(id: u32): HttpContext | null {
    return new Tag(id, this);
  }
}

class Tag extends HttpContext {
  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    const path = this.request.headers.get(":path");
    if (path !== null && path == "/deny") {
      this.sendLocalResponse(403, "denied\\n", [], "tag_denied");
      return Action.Pause;
    }
    return Action.Continue;
  }
  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    if ((this.root as Root).tag) this.response.headers.set("x-tag", "1");
    return Action.Continue;
  }
}

registerRootContext((id: u32): RootContext => new Root(id));
`;

// Needs the log only with {"log": true}.
const LOGGER = `import { CallbackNeeds, HttpContext, RootContext, StreamCallbacks, log, readConfig, registerRootContext } from "meshwasm/assembly";
export * from "meshwasm/assembly/exports";

class Root extends RootContext {
  logs: bool = false;
  onConfigure(size: u32): bool {
    const cfg = readConfig(this.pluginConfiguration());
    this.logs = cfg.bool("log", false);
    return cfg.ok;
  }
  neededCallbacks(needs: CallbackNeeds): void {
    if (this.logs) needs.need(StreamCallbacks.Log, "log: true");
  }
  createHttpContext(id: u32): HttpContext | null {
    return new Logger(id, this);
  }
}

class Logger extends HttpContext {
  onLog(): void {
    log.info("logged");
  }
}

registerRootContext((id: u32): RootContext => new Root(id));
`;

// Says nothing: it keeps every callback it implements.
const SILENT = `import { Action, HttpContext, RootContext, registerRootContext } from "meshwasm/assembly";
export * from "meshwasm/assembly/exports";

class Root extends RootContext {
  createHttpContext(id: u32): HttpContext | null {
    return new Silent(id, this);
  }
}

class Silent extends HttpContext {
  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    return Action.Continue;
  }
}

registerRootContext((id: u32): RootContext => new Root(id));
`;

const project = tempProject({
  "filters/tag/assembly/index.ts": TAG,
  "filters/logger/assembly/index.ts": LOGGER,
  "filters/silent/assembly/index.ts": SILENT,
});
afterAll(() => project.remove());

function exportsOf(path: string): string[] {
  return readWasmModule(readFileSync(path)).exports.map((e) => e.name);
}

const REFUSAL =
  /invalid configuration: tag: true needs the callback proxy_on_response_headers, which this module was built without/;

describe("meshwasm build --for-config", { timeout: 300_000 }, () => {
  const built = join(project.dir, "build", "tag.wasm");

  it("leaves out what the configuration does not need and says so", async () => {
    writeFileSync(join(project.dir, "plain.json"), JSON.stringify({ tag: false }));
    const run = await cli(["build", "tag", "-O", "none", "--for-config", "plain.json", "--json"], {
      cwd: project.dir,
    });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as {
      filters: Array<{ ok: boolean; needed: string[]; removed: string[] }>;
    };
    expect(result.filters[0]).toMatchObject({
      ok: true,
      // proxy_on_delete too: a filter keeps stream state unless its root says otherwise.
      needed: ["proxy_on_request_headers", "proxy_on_delete"],
      removed: ["proxy_on_response_headers"],
    });
    const names = exportsOf(built);
    expect(names).toContain("proxy_on_request_headers");
    expect(names).toContain("proxy_on_delete");
    expect(names).not.toContain("proxy_on_response_headers");
    const read = await cli(["build", "tag", "-O", "none", "--for-config", "plain.json"], {
      cwd: project.dir,
    });
    expect(read.code).toBe(0);
    expect(read.stdout).toContain(
      "\n        for its configuration: left out proxy_on_response_headers\n",
    );
  });

  it("serves its configuration in the test host, entering the VM for the request only", async () => {
    const host = await createHost({ module: built, configuration: { tag: false } });
    const ok = await host.request({ path: "/" });
    expect(ok.status).toBe(200);
    expect(ok.headers["x-tag"]).toBeUndefined();
    expect((await host.request({ path: "/deny" })).status).toBe(403);
    const calls = host.world.coverage.callbacks;
    expect(calls.get("proxy_on_request_headers")).toBe(2);
    expect(calls.get("proxy_on_response_headers") ?? 0).toBe(0);
  });

  it("refuses a configuration that needs a callback it was built without, naming the field", async () => {
    const start = createHost({ module: built, configuration: { tag: true } });
    await expect(start).rejects.toThrow(PluginStartError);
    await expect(start).rejects.toThrow(REFUSAL);
  });

  it("leaves out nothing when the configuration needs everything, or the filter does not say", async () => {
    const tagged = await cli(["build", "tag", "-O", "none", "--for-config", '{"tag": true}'], {
      cwd: project.dir,
    });
    expect(tagged.code, tagged.stdout + tagged.stderr).toBe(0);
    expect(tagged.stdout).toMatch(/for its configuration: nothing to leave out/);
    expect(exportsOf(built)).toContain("proxy_on_response_headers");
    const silent = await cli(["build", "silent", "-O", "none", "--for-config", "{}"], {
      cwd: project.dir,
    });
    expect(silent.code, silent.stdout + silent.stderr).toBe(0);
    expect(exportsOf(join(project.dir, "build", "silent.wasm"))).toContain(
      "proxy_on_response_headers",
    );
  });

  it("fails on a configuration the filter refuses, with the filter's own log line", async () => {
    const run = await cli(["build", "tag", "-O", "none", "--for-config", '{"tag": 3}'], {
      cwd: project.dir,
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/--for-config \{"tag": 3\}: the filter refused this configuration/);
    expect(run.stdout).toMatch(/"tag"/);
  });

  it("refuses usage it cannot honour (exit 2)", async () => {
    const two = await cli(["build", "tag", "logger", "--for-config", "{}"], { cwd: project.dir });
    expect(two.code).toBe(2);
    expect(two.stderr).toMatch(/a configuration is one filter's/);
    const all = await cli(["build", "tag", "--export-all", "--for-config", "{}"], {
      cwd: project.dir,
    });
    expect(all.code).toBe(2);
    const missing = await cli(["build", "tag", "--for-config", "nope.json"], { cwd: project.dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--for-config nope\.json: no such file/);
  });

  it("builds a chain for its configuration, and the chain names the section that needs more", async () => {
    const config = { tag: { tag: false }, logger: { log: false } };
    writeFileSync(join(project.dir, "chain.json"), JSON.stringify(config));
    const out = join(project.dir, "build", "chain.wasm");
    const run = await cli(
      [
        "build",
        "--chain",
        "tag,logger",
        "-O",
        "none",
        "--for-config",
        "chain.json",
        "-o",
        "build/chain.wasm",
        "--json",
      ],
      { cwd: project.dir },
    );
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      ok: true,
      chain: ["tag", "logger"],
      removed: ["proxy_on_response_headers", "proxy_on_log"],
    });
    const names = exportsOf(out);
    expect(names).toContain("proxy_on_request_headers");
    expect(names).not.toContain("proxy_on_log");
    const host = await createHost({ module: out, configuration: config });
    expect((await host.request({ path: "/deny" })).status).toBe(403);
    const start = createHost({
      module: out,
      configuration: { tag: { tag: false }, logger: { log: true } },
    });
    await expect(start).rejects.toThrow(
      /section "logger": log: true needs the callback proxy_on_log, which this module was built without/,
    );
  });
});

describe("a module built for its configuration in real Envoy", { timeout: 120_000 }, () => {
  const built = join(project.dir, "build", "pruned", "tag.wasm");
  const envoy = (configuration: object) =>
    startEnvoy({
      componentLogLevel: "wasm:info",
      config: buildBootstrap({
        upstream: { kind: "direct", status: 200, body: "ok" },
        wasmFilters: [
          {
            name: "tag",
            rootId: "tag",
            vmId: "tag",
            wasmPath: built,
            configuration: JSON.stringify(configuration),
          },
        ],
      }),
    });

  it("serves the configuration it was built for, and Envoy refuses one needing more", async () => {
    const run = await cli(
      ["build", "tag", "-O", "none", "--out", "build/pruned", "--for-config", '{"tag": false}'],
      { cwd: project.dir },
    );
    expect(run.code, run.stdout + run.stderr).toBe(0);
    let proxy: EnvoyProcess | undefined;
    try {
      proxy = await envoy({ tag: false });
      const ok = await fetch(`${proxy.listenerUrl}/`);
      expect(ok.status).toBe(200);
      expect(ok.headers.get("x-tag")).toBeNull();
      expect(await ok.text()).toBe("ok");
      const denied = await fetch(`${proxy.listenerUrl}/deny`);
      expect(denied.status).toBe(403);
      expect(await denied.text()).toBe("denied\n");
    } finally {
      await proxy?.stop();
    }
    await expect(envoy({ tag: true })).rejects.toThrow(REFUSAL);
  });
});

// The docker-compose harness (envoy/docker-compose.yaml), without a Docker engine: Debian's
// docker-compose parses it, every mounted file exists, its Envoy config is the one the CLI
// generates and passes `envoy --mode validate`, and the same config, with the container's names
// mapped to this machine, serves a request through the module in real Envoy.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { compileFilter } from "../../src/build/compile.ts";
import { envoyBinary, pinnedEnvoyVersion, startEnvoy } from "../../src/envoy/index.ts";
import { COMPOSE_FILTERS, COMPOSE_MODULES, composeEnvoyConfig } from "../../src/ship/generated.ts";

const run = promisify(execFile);
const root = resolve(".");
const work = mkdtempSync(join(tmpdir(), "meshwasm-compose-"));

interface Service {
  image: string;
  volumes?: string[];
  command?: string[];
  ports?: { published: number; target: number }[];
}
let services: Record<string, Service>;
/** container path → host path, from every service's volumes. */
const mounts = new Map<string, string>();

beforeAll(async () => {
  await run("bash", ["scripts/setup-ship.sh"], { timeout: 300_000 });
  for (const name of COMPOSE_FILTERS) {
    const wasm = join(root, "build", `${name}.wasm`);
    if (!existsSync(wasm))
      await compileFilter({ entry: resolve(`examples/${name}/assembly/index.ts`), outFile: wasm });
  }
  const { stdout } = await run("docker-compose", ["-f", "envoy/docker-compose.yaml", "config"], {
    timeout: 60_000,
  });
  services = (parse(stdout) as { services: Record<string, Service> }).services;
  for (const service of Object.values(services)) {
    for (const volume of service.volumes ?? []) {
      const [host, container] = volume.split(":");
      if (host && container) mounts.set(container, host);
    }
  }
}, 600_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The compose Envoy config with container paths replaced by the host paths mounted there. */
function hostConfig(): string {
  let text = readFileSync(join(root, "envoy", "compose", "envoy.yaml"), "utf8");
  for (const [container, host] of mounts) text = text.split(`${container}/`).join(`${host}/`);
  return text;
}

describe("envoy/docker-compose.yaml", () => {
  it("parses with docker-compose: Envoy at the pinned version, an echo upstream, Prometheus", () => {
    expect(Object.keys(services).sort()).toEqual(["echo", "envoy", "prometheus"]);
    expect(services.envoy?.image).toBe(`envoyproxy/envoy:v${pinnedEnvoyVersion()}`);
    const config = parse(readFileSync(join(root, "envoy", "compose", "envoy.yaml"), "utf8"));
    const served = [
      config.admin.address.socket_address.port_value,
      config.static_resources.listeners[0].address.socket_address.port_value,
    ];
    expect(services.envoy?.ports?.map((p) => p.target).sort((a, b) => a - b)).toEqual(
      served.sort((a, b) => a - b),
    );
  });

  it("mounts only paths that exist, the modules among them", () => {
    expect(mounts.size).toBeGreaterThanOrEqual(4);
    for (const host of mounts.values()) expect(existsSync(host), host).toBe(true);
    expect(mounts.get(COMPOSE_MODULES)).toBe(join(root, "build"));
  });

  it("runs the Envoy config the CLI generates (meshwasm envoy-config --compose), unedited", () => {
    expect(readFileSync(join(root, "envoy", "compose", "envoy.yaml"), "utf8")).toBe(
      composeEnvoyConfig(),
    );
  });

  it("every module the Envoy config loads is mounted and built", () => {
    const files = [
      ...readFileSync(join(root, "envoy", "compose", "envoy.yaml"), "utf8").matchAll(
        /filename: (\S+)/g,
      ),
    ];
    expect(files.length).toBe(COMPOSE_FILTERS.length);
    for (const [, file] of files) {
      expect(file?.startsWith(`${COMPOSE_MODULES}/`)).toBe(true);
      expect(existsSync(join(root, "build", (file as string).slice(COMPOSE_MODULES.length)))).toBe(
        true,
      );
    }
  });

  it("its Envoy config passes envoy --mode validate", async () => {
    const file = join(work, "validate.yaml");
    writeFileSync(file, hostConfig());
    const { stdout } = await run(envoyBinary(), ["--mode", "validate", "-c", file], {
      timeout: 60_000,
    });
    expect(stdout).toMatch(/OK/);
  });

  it("a config that does not pass is refused by the same check", async () => {
    const file = join(work, "broken.yaml");
    writeFileSync(file, hostConfig().replace("envoy.wasm.runtime.v8", "envoy.wasm.runtime.nope"));
    await expect(
      run(envoyBinary(), ["--mode", "validate", "-c", file], { timeout: 60_000 }),
    ).rejects.toThrow();
  });

  it("Prometheus scrapes the admin port and path the Envoy config serves", () => {
    const prom = parse(
      readFileSync(mounts.get("/etc/prometheus/prometheus.yml") as string, "utf8"),
    );
    const job = prom.scrape_configs[0];
    expect(job.metrics_path).toBe("/stats/prometheus");
    const envoyConfig = parse(readFileSync(join(root, "envoy", "compose", "envoy.yaml"), "utf8"));
    expect(job.static_configs[0].targets).toEqual([
      `envoy:${envoyConfig.admin.address.socket_address.port_value}`,
    ]);
  });

  it("the same config, mapped to this machine, serves a request through the module to the echo upstream", async () => {
    const echoScript = mounts.get("/srv/echo.mjs") as string;
    const echo: ChildProcess = spawn(process.execPath, [echoScript], {
      env: { ...process.env, HOST: "127.0.0.1", PORT: "0" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      const port = await new Promise<number>((done, fail) => {
        echo.stdout?.on("data", (d: Buffer) => {
          const m = /listening on (\d+)/.exec(d.toString());
          if (m) done(Number(m[1]));
        });
        echo.once("exit", (code) => fail(new Error(`echo.mjs exited with ${code}`)));
      });
      const config = parse(hostConfig());
      const resources = config.static_resources;
      resources.listeners[0].address.socket_address = { address: "127.0.0.1", port_value: 0 };
      config.admin.address.socket_address = { address: "127.0.0.1", port_value: 0 };
      const upstream = resources.clusters.find((c: { name: string }) => c.name === "upstream");
      expect(
        upstream.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address
          .address,
      ).toBe("echo");
      upstream.type = "STATIC";
      upstream.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address = {
        address: "127.0.0.1",
        port_value: port,
      };
      const envoy = await startEnvoy({ config });
      try {
        const res = await envoy.request("/compose?x=1");
        expect(res.status).toBe(200);
        expect(res.headers.get("x-hello")).toBe("from meshwasm");
        const echoed = (await res.json()) as { path: string; method: string };
        expect(echoed).toMatchObject({ path: "/compose?x=1", method: "GET" });
        expect(await envoy.prometheus()).toMatch(/hello_requests\S* 1\b/);
      } finally {
        await envoy.stop();
      }
    } finally {
      echo.kill("SIGTERM");
    }
  });
});

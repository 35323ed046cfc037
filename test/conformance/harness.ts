// The conformance harness: one scenario, two hosts. Each scenario gets a fresh target (the
// emulator, or a real Envoy with its own process) built from the same Setup, runs the same
// steps, and checks the same assertions. Servers the targets talk to (echo upstream, callout
// echo, gRPC echo, a refused port) are started once per file; they hold no per-test state the
// assertions read.

import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type {
  HostMetadata,
  HttpLimits,
  NodeInfo,
  RouteNames,
} from "../../src/connection-manager.ts";
import {
  buildBootstrap,
  type EchoUpstream,
  EnvoyStartError,
  startEchoUpstream,
  startEnvoy,
} from "../../src/envoy/index.ts";
import type { PluginSettings, StatsTag } from "../../src/plugin.ts";
import {
  type Coverage,
  createHost,
  type Host,
  type SharedPlugin,
} from "../../src/testing/index.ts";
import { utf8 } from "../../src/testing/wire.ts";
import { buildTestModule } from "../modules/build.ts";
import { type RawRequest, type RawResponse, rawRequest } from "./h1client.ts";
import { h2Request } from "./h2client.ts";
import {
  type GrpcServer,
  refusedPort,
  startGrpcEchoServer,
  startH1TrailerServer,
  startTrailerServer,
  trailerUpstream,
} from "./servers.ts";

/** A scenario's plugin (the one settings shape both hosts take; name defaults to "conf") and
 *  the world around it. */
export interface Setup extends Partial<PluginSettings> {
  /** Test module under test/modules (default "conformance"). */
  module?: string;
  statsTags?: StatsTag[];
  /** Worker threads (Envoy --concurrency), each with its own VM. Default 1. */
  workers?: number;
  /** The route's upstream: the JSON echo (default), an h2c server that sends trailers, or an
   *  HTTP/1.1 server that ends its chunked response with trailers. */
  upstream?: "echo" | "trailers" | "h1-trailers";
  /** The connection manager's limits (Envoy's defaults unless given). */
  limits?: HttpLimits;
  /** Names of the upstream cluster, the route and its virtual host. */
  route?: RouteNames;
  /** The bootstrap's node, and the upstream endpoint's metadata. */
  node?: NodeInfo;
  upstreamHostMetadata?: HostMetadata;
  /** More plugins sharing the scenario's VM (same module and VM settings, their own name,
   *  root_id and configuration). A request under `/plugin/<name>/` passes that plugin's
   *  filter only; any other request the scenario's own plugin's only (on Envoy: every wasm
   *  filter is in the chain, each route enables one). */
  sharedVm?: SharedPlugin[];
}

export interface Response {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The echo upstream's report of what it received, when the body is its JSON. */
  upstream: { method: string; path: string; headers: Record<string, string>; body: string } | null;
  /** The stream was reset (the client saw no response). */
  reset: boolean;
  /** Response trailers (requests sent with trailers use HTTP/2). */
  trailers: Record<string, string>;
  /** Emulator only: each stream callback and the action the host took from it. */
  steps?: Array<{ callback: string; action: string }>;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Request trailers; the Envoy side then speaks HTTP/2 (h2c) to the listener. */
  trailers?: Record<string, string>;
  /** The client gives up after this long (real time on Envoy; at once if the emulator's
   *  stream is left paused). */
  abortAfterMs?: number;
}

export interface LogLine {
  level: string;
  message: string;
}

export interface Target {
  readonly kind: "emulator" | "envoy";
  request(path: string, init?: RequestOptions): Promise<Response>;
  /** proxy_log messages (and WASI output) seen so far. */
  logs(): LogLine[];
  /** Waits until a log message matches (Envoy logs after the response may lag). */
  waitForLog(re: RegExp): Promise<void>;
  counter(name: string): Promise<number>;
  gauge(name: string): Promise<number>;
  prometheus(): Promise<string>;
  /** Lets time pass: virtual time in the emulator, real time for Envoy. */
  wait(ms: number): Promise<void>;
  /** A byte-exact HTTP/1 exchange: the request as written (repeats, spacing, version,
   *  chunked framing), the response as the client reads it. */
  raw(req: RawRequest): Promise<RawResponse>;
  /** The client goes away mid-request: during the request headers (no filter has seen the
   *  stream) or during a body announced longer than what it sent. */
  abandon(path: string, during: "headers" | "body"): Promise<void>;
  /** Emulator only: the host calls proxy_on_foreign_function. */
  callForeignFunction?(functionId: number, args: string): void;
}

export interface Scenario {
  name: string;
  /** The Envoy behaviour the emulator reproduces, when the scenario pins a quirk. */
  quirk?: string;
  setup?: Setup;
  /** Why the scenario cannot run on Envoy (it is then skipped there, with this reason). */
  emulatorOnly?: string;
  /** The plugin must fail to start; the error (or its logs) must match. */
  startFails?: RegExp;
  run?(t: Target): Promise<void>;
}

export interface Servers {
  echo: EchoUpstream;
  callout: EchoUpstream;
  grpc: GrpcServer;
  trailers: GrpcServer;
  h1Trailers: GrpcServer;
  refused: number;
}

export async function startServers(): Promise<Servers> {
  const echo = await startEchoUpstream();
  const callout = await startEchoUpstream({ routes: { "/slow": { delayMs: 1500 } } });
  const grpc = await startGrpcEchoServer();
  const trailers = await startTrailerServer();
  const h1Trailers = await startH1TrailerServer();
  return { echo, callout, grpc, trailers, h1Trailers, refused: await refusedPort() };
}

export async function stopServers(s: Servers | undefined): Promise<void> {
  if (!s) return;
  await Promise.all([
    s.echo.close(),
    s.callout.close(),
    s.grpc.close(),
    s.trailers.close(),
    s.h1Trailers.close(),
  ]);
}

function parseUpstream(body: string): Response["upstream"] {
  try {
    const parsed = JSON.parse(body) as Response["upstream"];
    return parsed && typeof parsed === "object" && "headers" in parsed ? parsed : null;
  } catch {
    return null;
  }
}

const PLUGIN_NAME = "conf";

/** Bytes as a binary string (one character per byte), the way header values travel here. */
function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("latin1");
}

/** The scenario's plugin settings, the same object for both hosts. */
function pluginOf(setup: Setup): PluginSettings {
  const {
    module: _module,
    statsTags: _tags,
    workers: _workers,
    upstream: _upstream,
    limits: _limits,
    route: _route,
    node: _node,
    upstreamHostMetadata: _hostMetadata,
    sharedVm: _sharedVm,
    ...plugin
  } = setup;
  return { ...plugin, name: setup.name ?? PLUGIN_NAME, configuration: setup.configuration ?? "" };
}

/** Builds the emulator target for a scenario. */
export async function emulatorTarget(
  setup: Setup,
  servers: Servers,
  coverage: Coverage,
): Promise<{ target: Target; close(): void }> {
  const module = await buildTestModule(setup.module ?? "conformance");
  const host: Host = await createHost({
    ...pluginOf(setup),
    module,
    statsTags: setup.statsTags,
    workers: setup.workers,
    logLevel: "debug",
    clusters: {
      callout: servers.callout.url,
      refused: `http://127.0.0.1:${servers.refused}`,
    },
    // The same gRPC server Envoy talks to (host.test.ts covers handler-answered gRPC).
    grpcClusters: {
      grpc: `http://127.0.0.1:${servers.grpc.port}`,
      grpc_refused: `http://127.0.0.1:${servers.refused}`,
    },
    upstream:
      setup.upstream === "trailers" || setup.upstream === "h1-trailers"
        ? trailerUpstream
        : undefined,
    upstreamHttp2: setup.upstream === "trailers",
    limits: setup.limits,
    route: setup.route,
    node: setup.node,
    upstreamHostMetadata: setup.upstreamHostMetadata,
    sharedVm: setup.sharedVm,
    coverage,
  });
  const pluginFor = (path: string) =>
    setup.sharedVm?.find((p) => path.startsWith(`/plugin/${p.name}/`))?.name;
  const target: Target = {
    kind: "emulator",
    async request(path, init = {}) {
      const res = await host.request({
        path,
        authority: "127.0.0.1:10000",
        method: init.method,
        headers: init.headers,
        body: init.body,
        trailers: init.trailers,
        plugin: pluginFor(path),
      });
      if (init.abortAfterMs !== undefined && res.paused) {
        res.stream.resetByClient();
        return { status: 0, headers: {}, body: "", upstream: null, reset: true, trailers: {} };
      }
      return {
        status: res.status,
        headers: res.headers,
        body: res.body,
        upstream: parseUpstream(res.body),
        reset: res.reset,
        trailers: res.trailers?.toObject() ?? {},
        steps: res.stream.steps.map((s) => ({ ...s })),
      };
    },
    async raw(req) {
      const res = await host.request({
        method: req.method,
        path: req.path,
        version: req.version === "HTTP/1.0" ? "HTTP/1.0" : "HTTP/1.1",
        // Bytes as the raw client writes them: strings are binary (one character per byte).
        headers: req.headers.map(([k, v]): [string, Uint8Array] => [
          k,
          typeof v === "string" ? Buffer.from(v, "latin1") : v,
        ]),
        body: req.body,
        chunked: req.chunked,
      });
      return {
        status: res.status,
        headers: res.headerMap
          .pairs()
          .filter(([k]) => !k.startsWith(":"))
          .map(([k, v]): [string, string] => [k, latin1(utf8(v))]),
        body: res.bodyBytes,
        reset: res.reset,
      };
    },
    logs: () =>
      host.logEntries
        .filter((l) => l.source === "wasm")
        .map(({ level, message }) => ({ level, message })),
    async waitForLog(re) {
      if (!host.logs().some((m) => re.test(m))) throw new Error(`no log line matched ${re}`);
    },
    counter: async (name) => host.counter(name),
    gauge: async (name) => host.gauge(name),
    prometheus: async () => host.prometheus(),
    wait: async (ms) => host.advance(ms),
    async abandon(path, during) {
      const s = host.stream({ plugin: pluginFor(path) });
      if (during === "body") {
        // A client gone mid-body: neither part ends the request.
        s.requestHeaders(
          {
            ":method": "POST",
            ":path": path,
            ":authority": "127.0.0.1:10000",
            "content-length": "100",
          },
          { endOfStream: false },
        );
        s.requestBody("abc", { endOfStream: false });
      }
      s.reset();
    },
    callForeignFunction: (id, args) => host.callForeignFunction(id, new TextEncoder().encode(args)),
  };
  return { target, close: () => host.close() };
}

const LOG_LINE = /^\[(\w+)\]\[wasm\] wasm log[^:]*: (.*)$/;

/** Builds the real-Envoy target for a scenario. */
export async function envoyTarget(
  setup: Setup,
  servers: Servers,
): Promise<{ target: Target; close(): Promise<void> }> {
  const module = await buildTestModule(setup.module ?? "conformance");
  const main = { ...pluginOf(setup), wasmPath: module };
  const shared = (setup.sharedVm ?? []).map((p) => ({
    ...main,
    name: p.name,
    rootId: p.rootId,
    configuration: p.configuration ?? "",
    failurePolicy: p.failurePolicy ?? main.failurePolicy,
    allowOnHeadersStopIteration: p.allowOnHeadersStopIteration,
  }));
  const config = buildBootstrap({
    wasmFilters: [main, ...shared],
    upstream:
      setup.upstream === "trailers"
        ? { kind: "cluster", port: servers.trailers.port, http2: true }
        : setup.upstream === "h1-trailers"
          ? { kind: "cluster", port: servers.h1Trailers.port }
          : { kind: "cluster", port: servers.echo.port, hostMetadata: setup.upstreamHostMetadata },
    extraClusters: [
      { name: "callout", port: servers.callout.port },
      { name: "refused", port: servers.refused },
      { name: "grpc", port: servers.grpc.port, http2: true },
      { name: "grpc_refused", port: servers.refused, http2: true },
    ],
    statsTags: setup.statsTags,
    limits: setup.limits,
    route: setup.route,
    node: setup.node,
  });
  if (shared.length > 0)
    routeToOnePlugin(
      config,
      main.name,
      shared.map((p) => p.name),
    );
  const envoy = await startEnvoy({ config, concurrency: setup.workers ?? 1 });
  const logs = (): LogLine[] =>
    envoy
      .logs()
      .split("\n")
      .map((line) => LOG_LINE.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ level: m[1] === "warning" ? "warn" : (m[1] ?? ""), message: m[2] ?? "" }));
  const target: Target = {
    kind: "envoy",
    async request(path, init = {}) {
      if (init.trailers) {
        const r = await h2Request(envoy.listenerUrl, path, init);
        return { ...r, upstream: parseUpstream(r.body), reset: false };
      }
      try {
        const res = await envoy.request(path, {
          method: init.method ?? (init.body !== undefined ? "POST" : "GET"),
          headers: init.headers,
          body: init.body,
          signal: AbortSignal.timeout(init.abortAfterMs ?? 10_000),
        });
        const body = await res.text();
        const headers: Record<string, string> = {};
        res.headers.forEach((v, k) => {
          headers[k] = v;
        });
        return {
          status: res.status,
          headers,
          body,
          upstream: parseUpstream(body),
          reset: false,
          trailers: {},
        };
      } catch (error) {
        if ((error as Error).name === "TimeoutError" && init.abortAfterMs === undefined)
          throw error;
        return { status: 0, headers: {}, body: "", upstream: null, reset: true, trailers: {} };
      }
    },
    raw: (req) => rawRequest(Number(new URL(envoy.listenerUrl).port), req),
    logs,
    async waitForLog(re) {
      const deadline = Date.now() + 5_000;
      while (!logs().some((l) => re.test(l.message))) {
        if (Date.now() > deadline) throw new Error(`no Envoy log line matched ${re}`);
        await sleep(20);
      }
    },
    async counter(name) {
      return (await envoy.stats())[`wasmcustom.${name}`] ?? 0;
    },
    async gauge(name) {
      return (await envoy.stats())[`wasmcustom.${name}`] ?? 0;
    },
    prometheus: () => envoy.prometheus(),
    wait: (ms) => sleep(ms),
    async abandon(path, during) {
      const socket = connect(Number(new URL(envoy.listenerUrl).port), "127.0.0.1");
      socket.on("error", () => {});
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
      socket.write(
        during === "headers"
          ? `GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\nx-partial: `
          : `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 100\r\n\r\nabc`,
      );
      // Long enough for Envoy to read what was sent (and start the stream for a body).
      await sleep(300);
      socket.destroy();
      await sleep(100);
    },
  };
  return { target, close: () => envoy.stop() };
}

const FILTER_CONFIG = "type.googleapis.com/envoy.config.route.v3.FilterConfig";

/**
 * Every wasm filter stays in the chain; each route disables all but one: `/plugin/<name>/`
 * keeps that plugin's filter, every other path the main plugin's.
 */
function routeToOnePlugin(config: Record<string, unknown>, main: string, shared: string[]): void {
  // biome-ignore lint/suspicious/noExplicitAny: the bootstrap is plain JSON built above.
  const hcm = (config as any).static_resources.listeners[0].filter_chains[0].filters[0]
    .typed_config;
  const all = [main, ...shared];
  const host = hcm.route_config.virtual_hosts[0];
  const fallback = host.routes[0] as Record<string, unknown>;
  const onlyFilter = (name: string) =>
    Object.fromEntries(
      all.filter((n) => n !== name).map((n) => [n, { "@type": FILTER_CONFIG, disabled: true }]),
    );
  host.routes = [
    ...shared.map((name) => ({
      ...fallback,
      match: { prefix: `/plugin/${name}/` },
      typed_per_filter_config: onlyFilter(name),
    })),
    { ...fallback, typed_per_filter_config: onlyFilter(main) },
  ];
}

/** Runs a scenario's start-failure expectation against one host kind. */
export async function expectStartFailure(
  kind: "emulator" | "envoy",
  scenario: Scenario,
  servers: Servers,
  coverage: Coverage,
): Promise<string> {
  try {
    if (kind === "emulator") {
      const t = await emulatorTarget(scenario.setup ?? {}, servers, coverage);
      t.close();
    } else {
      const t = await envoyTarget(scenario.setup ?? {}, servers);
      await t.close();
    }
  } catch (error) {
    const logs = error instanceof EnvoyStartError ? error.logs : "";
    return `${(error as Error).message}\n${logs}`;
  }
  throw new Error(
    `${kind}: the plugin started, but scenario "${scenario.name}" expects it to fail`,
  );
}

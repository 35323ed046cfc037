// The test host: loads a compiled filter like Envoy does (one VM per worker, all sharing one
// vm_id's shared data and queues) and drives requests, responses and TCP connections through it.
//
//   const host = await createHost({ module: "build/hello.wasm", configuration: { header: "x-hi" } });
//   const res = await host.request({ path: "/" });
//   expect(res.headers["x-hi"]).toBe("world");

import { readFile } from "node:fs/promises";
import {
  type HostMetadata,
  type HttpLimits,
  type NodeInfo,
  type RouteNames,
  resolveLimits,
  resolveRouteNames,
} from "../connection-manager.ts";
import {
  type PluginSettings,
  type ResolvedPluginSettings,
  resolvePluginSettings,
  type StatsTag,
} from "../plugin.ts";
import type { GrpcCall, GrpcHandler, HttpCall, HttpCallHandler } from "./callouts.ts";
import type { Coverage } from "./coverage.ts";
import type { ArmedFailure, HostCallFailure } from "./failures.ts";
import { type Admission, admitRequest, needsZeroContentLength } from "./hcm.ts";
import { HeaderMap, type HeadersInit, toHeaderMap } from "./headers.ts";
import { type ConnectionInfo, HttpStream, type PassedMessage, type Step } from "./http.ts";
import { metadataMessage, nodeMessage } from "./proto.ts";
import {
  type ActionName,
  type LogLevelName,
  PluginStartError,
  WasmLoadError,
  type WasmTrapError,
} from "./status.ts";
import { TcpConnection } from "./tcp.ts";
import { type LocalReply, linkCheck, RootContextState, Vm } from "./vm.ts";
import { isWasmModule, WA, type WasmModule } from "./wasm-api.ts";
import { text, utf8 } from "./wire.ts";
import { type LogEntry, type PropertyValue, World } from "./world.ts";

/** The plugin's settings (the shape the Envoy runner takes too) and the test host's own. */
export interface HostOptions extends Omit<PluginSettings, "name"> {
  /** The compiled filter: a path, the bytes, or a compiled WebAssembly.Module. */
  module: string | Uint8Array | WasmModule;
  /** PluginConfig name (plugin_name). Default "test". */
  name?: string;
  /** Worker threads, each with its own VM instance. Default 1. */
  workers?: number;
  /** Envoy's wasm log level; messages below it are dropped. Default "info", like Envoy. */
  logLevel?: LogLevelName;
  /** Properties by dotted path ("source.address"); they override the host's values. */
  properties?: Record<string, PropertyValue>;
  /** Bootstrap stats_tags, for prometheus(). */
  statsTags?: StatsTag[];
  /** Callout clusters: a base URL (a real server) or a handler. */
  clusters?: Record<string, string | HttpCallHandler>;
  /** gRPC clusters: a handler, or a real h2c server's base URL. */
  grpcClusters?: Record<string, string | GrpcHandler>;
  /** Where request() sends what passes the filter: a handler or a real server's base URL.
   *  Default: an echo that answers with a JSON description of the request. */
  upstream?: string | UpstreamHandler;
  /** Host-side foreign functions (in addition to Envoy's). */
  foreignFunctions?: Record<string, (args: Uint8Array) => Uint8Array | number>;
  /** Virtual clock start (ms since the epoch). Default: now. */
  startTimeMs?: number;
  /** Record host calls and callbacks here (the conformance suite shares one). */
  coverage?: Coverage;
  /** The names of the route requests take (xds.cluster_name, xds.route_name,
   *  xds.virtual_host_name); default cluster "upstream", an unnamed route, virtual host "all". */
  route?: RouteNames;
  /** The connection manager's limits (431, 426, 413); Envoy's defaults unless given. */
  limits?: HttpLimits;
  /** The bootstrap's node (`xds.node`): id, cluster, metadata. Default: none set. */
  node?: NodeInfo;
  /** The upstream endpoint's metadata by filter namespace (`xds.upstream_host_metadata`). */
  upstreamHostMetadata?: HostMetadata;
  /** The upstream speaks HTTP/2 (its response trailers reach the filter). Default false:
   *  HTTP/1.1, whose trailers Envoy drops. */
  upstreamHttp2?: boolean;
  /** Host calls that fail on purpose with a chosen status instead of running (from the VM's
   *  start on): to test what the filter does when Envoy refuses a call. See HostCallFailure;
   *  Host.failHostCalls arms more later. */
  failHostCalls?: HostCallFailure[];
  /** More plugins in the same VM, as Envoy runs plugins whose VM settings (vm_id, code, VM
   *  configuration) are the same: each gets its own root context, started as Envoy starts
   *  every plugin (proxy_on_vm_start, then proxy_on_configure). A stream or connection names
   *  its plugin (`plugin`); the default is the host's own. */
  sharedVm?: SharedPlugin[];
}

/** A plugin sharing the host's VM: its own name, root_id and configuration. */
export type SharedPlugin = Pick<
  PluginSettings,
  "name" | "rootId" | "configuration" | "failurePolicy" | "allowOnHeadersStopIteration"
>;

/** A request as the client sends it. */
export interface RequestInit {
  method?: string;
  path?: string;
  authority?: string;
  headers?: HeadersInit;
  /** The body, or its chunks (each delivered as one onRequestBody). */
  body?: string | Uint8Array | Array<string | Uint8Array>;
  trailers?: HeadersInit;
  /** Worker to run on; default round robin. */
  worker?: number;
  /** The plugin (by name) whose filter the request passes: one of `sharedVm`, or the host's
   *  own (the default). */
  plugin?: string;
  /** Apply what Envoy's connection manager does before the filter: refusals (431, 426), header
   *  normalisation (trimmed values, folded inline headers, no hop-by-hop headers) and the
   *  headers it adds (x-forwarded-proto, x-request-id). Default true. */
  envoyHeaders?: boolean;
  /** The client's protocol; "HTTP/1.0" is refused with 426 unless `limits.acceptHttp10`. */
  version?: "HTTP/1.0" | "HTTP/1.1";
  /** Send the body chunked (no content-length reaches the filter or the upstream). */
  chunked?: boolean;
}

/** What reached the upstream, as the echo upstream reports it. */
export interface UpstreamRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  headerMap: HeaderMap;
  body: string;
  bodyBytes: Uint8Array;
  trailers: HeaderMap | null;
}

export interface UpstreamResponse {
  status?: number;
  headers?: HeadersInit;
  body?: string | Uint8Array | Array<string | Uint8Array>;
  trailers?: HeadersInit;
}

export type UpstreamHandler = (
  req: UpstreamRequest,
) => UpstreamResponse | Promise<UpstreamResponse>;

/** The outcome of one exchange. */
export interface Exchange {
  /** Response status the client got (0 when the stream was reset or is still paused). */
  status: number;
  /** Response headers the client got (names lower-case, repeats joined with ", "). */
  headers: Record<string, string>;
  headerMap: HeaderMap;
  body: string;
  bodyBytes: Uint8Array;
  trailers: HeaderMap | null;
  /** What the upstream received, or null when the request never got there. */
  upstream: UpstreamRequest | null;
  localReply: LocalReply | null;
  reset: boolean;
  /** True when the filter still holds the stream (e.g. waiting for a callout nobody answered). */
  paused: boolean;
  /** Each callback the filter ran, with what it returned. */
  steps: Step[];
  trap: WasmTrapError | null;
  stream: HttpStream;
}

/** Envoy's FAIL_RELOAD backoff base interval (PluginConfig reload_config default). Envoy draws
 *  each wait between this and 1.5 times it (a jittered lower bound); the test host takes the
 *  lower bound. */
const RELOAD_BACKOFF_MS = 1000;

/** How much virtual time request() lets pass while a stream waits for a tick or timeout. */
const MAX_VIRTUAL_WAIT_MS = 60_000;

const echoUpstream: UpstreamHandler = (req) => {
  const payload = JSON.stringify({
    method: req.method,
    path: req.path,
    headers: req.headers,
    body: req.body,
    bodyBase64: Buffer.from(req.bodyBytes).toString("base64"),
  });
  return { status: 200, headers: { "content-type": "application/json" }, body: payload };
};

function bytesOf(v: string | Uint8Array): Uint8Array {
  return typeof v === "string" ? utf8(v) : v;
}

function chunksOf(body: RequestInit["body"]): Uint8Array[] {
  if (body === undefined) return [];
  if (Array.isArray(body)) return body.map(bytesOf);
  const b = bytesOf(body);
  return b.length === 0 ? [] : [b];
}

async function loadModule(
  source: HostOptions["module"],
): Promise<{ module: WasmModule; bytes: Uint8Array | null }> {
  if (isWasmModule(source)) return { module: source, bytes: null };
  const bytes = typeof source === "string" ? new Uint8Array(await readFile(source)) : source;
  try {
    return { module: await WA.compile(bytes), bytes };
  } catch (error) {
    throw new WasmLoadError(`Failed to load Wasm code: ${(error as Error).message}`);
  }
}

/** Loads a filter and starts its VMs and root contexts, like Envoy at startup. */
export async function createHost(options: HostOptions): Promise<Host> {
  const { module, bytes } = await loadModule(options.module);
  if (bytes) linkCheck(bytes);
  return new Host(options, module);
}

export class Host {
  readonly world: World;
  readonly vms: Vm[] = [];
  readonly roots: RootContextState[] = [];
  readonly plugin: ResolvedPluginSettings;
  /** The plugins sharing the VM (`sharedVm`), and each worker's root context for each. */
  readonly sharedPlugins: ResolvedPluginSettings[];
  private readonly sharedRoots: Array<Map<string, RootContextState>> = [];
  private readonly upstream: UpstreamHandler;
  private readonly limits: Required<HttpLimits>;
  private readonly routeNames: Required<RouteNames>;
  private readonly upstreamHttp2: boolean;
  private readonly node: Uint8Array;
  private readonly hostMetadata: Uint8Array | null;
  private readonly nextIds: number[] = [];
  /** When each worker's VM was last loaded (started, or a reload tried): virtual ms. */
  private readonly lastLoadMs: number[] = [];
  private nextWorker = 0;
  private nextConnection = 1;
  private nextPort = 40000;

  constructor(
    private readonly options: HostOptions,
    private readonly module: WasmModule,
  ) {
    this.world = new World({
      logLevel: options.logLevel ?? "info",
      coverage: options.coverage,
      startTimeMs: options.startTimeMs,
    });
    this.plugin = resolvePluginSettings({ ...options, name: options.name ?? "test" });
    this.sharedPlugins = (options.sharedVm ?? []).map((shared, i) => {
      const names = [this.plugin.name, ...(options.sharedVm ?? []).slice(0, i).map((p) => p.name)];
      if (names.includes(shared.name)) {
        throw new Error(`sharedVm[${i}].name: "${shared.name}" is already a plugin of this host`);
      }
      // The VM's settings are the host's; the plugin's own come from its entry.
      return resolvePluginSettings({
        name: shared.name,
        rootId: shared.rootId,
        configuration: shared.configuration,
        failurePolicy: shared.failurePolicy,
        allowOnHeadersStopIteration: shared.allowOnHeadersStopIteration,
        vmId: options.vmId,
        vmConfiguration: options.vmConfiguration,
        environment: options.environment,
      });
    });
    this.limits = resolveLimits(options.limits);
    this.routeNames = resolveRouteNames(options.route);
    this.upstreamHttp2 = options.upstreamHttp2 ?? false;
    this.node = nodeMessage(options.node ?? {});
    const hostMetadata = options.upstreamHostMetadata;
    this.hostMetadata =
      hostMetadata && Object.keys(hostMetadata).length > 0 ? metadataMessage(hostMetadata) : null;
    for (const [k, v] of Object.entries(options.properties ?? {})) this.world.setProperty(k, v);
    for (const [name, target] of Object.entries(options.clusters ?? {})) {
      if (typeof target === "string") this.world.callouts.clusterUrls.set(name, target);
      else this.world.callouts.httpHandlers.set(name, target);
    }
    for (const [name, target] of Object.entries(options.grpcClusters ?? {})) {
      if (typeof target === "string") this.world.callouts.grpcUrls.set(name, target);
      else this.world.callouts.grpcHandlers.set(name, target);
    }
    for (const [name, fn] of Object.entries(options.foreignFunctions ?? {})) {
      this.world.foreignFunctions.set(name, fn);
    }
    const up = options.upstream;
    this.upstream = typeof up === "string" ? forwardTo(up) : (up ?? echoUpstream);
    if (options.failHostCalls !== undefined) {
      this.world.failures.add(options.failHostCalls, "failHostCalls");
    }
    for (let w = 0; w < (options.workers ?? 1); w++) this.startWorker(w);
  }

  private startWorker(worker: number): void {
    this.lastLoadMs[worker] = this.world.clock.nowMs();
    const vm = new Vm(this.world, this.plugin, worker, this.module);
    this.vms[worker] = vm;
    vm.start();
    this.nextIds[worker] = 1;
    this.roots[worker] = this.startRoot(vm, worker, this.plugin);
    const shared = new Map<string, RootContextState>();
    this.sharedRoots[worker] = shared;
    for (const plugin of this.sharedPlugins) {
      shared.set(plugin.name, this.startRoot(vm, worker, plugin));
    }
    this.world.drain();
  }

  /** Envoy's start of one plugin in a VM: its root context (announced if the module exports
   *  proxy_on_context_create), proxy_on_vm_start, proxy_on_configure. */
  private startRoot(vm: Vm, worker: number, plugin: ResolvedPluginSettings): RootContextState {
    const root = new RootContextState(vm, this.nextId(worker), plugin);
    vm.contexts.set(root.id, root);
    vm.call("proxy_on_context_create", root, root.id, 0);
    const logsBefore = this.world.logs.length;
    if (
      !vm.call("proxy_on_vm_start", root, root.id, plugin.vmConfiguration.length) &&
      vm.has("proxy_on_vm_start")
    ) {
      throw new PluginStartError("proxy_on_vm_start", this.logSince(logsBefore));
    }
    root.configuring = plugin.configuration;
    try {
      if (
        !vm.call("proxy_on_configure", root, root.id, plugin.configuration.length) &&
        vm.has("proxy_on_configure")
      ) {
        throw new PluginStartError("proxy_on_configure", this.logSince(logsBefore));
      }
    } finally {
      root.configuring = null;
    }
    return root;
  }

  /** The root context of `plugin` (a name; default the host's own) on `worker`. */
  private rootFor(worker: number, plugin?: string): RootContextState {
    if (plugin === undefined || plugin === this.plugin.name) {
      return this.roots[worker] as RootContextState;
    }
    const root = this.sharedRoots[worker]?.get(plugin);
    if (!root) {
      const known = [this.plugin.name, ...this.sharedPlugins.map((p) => p.name)];
      throw new Error(`plugin: no plugin "${plugin}" in this host (plugins: ${known.join(", ")})`);
    }
    return root;
  }

  private logSince(index: number): string[] {
    return this.world.logs.slice(index).map((l) => `${l.level}: ${l.message}`);
  }

  private nextId(worker: number): number {
    const id = this.nextIds[worker] ?? 1;
    this.nextIds[worker] = id + 1;
    return id;
  }

  private pickWorker(worker?: number): number {
    if (worker !== undefined) return worker;
    const w = this.nextWorker;
    this.nextWorker = (this.nextWorker + 1) % this.vms.length;
    return w;
  }

  /** The VM serving `worker`; under FAIL_RELOAD a failed VM is replaced once Envoy's reload
   *  backoff (its base interval, 1 s) has passed since the VM was last loaded (not since it
   *  failed: a VM that ran for a while is replaced by the first stream after its trap); until
   *  then streams get the failed VM's 503. */
  private vmFor(worker: number): Vm {
    const vm = this.vms[worker] as Vm;
    if (
      vm.failed &&
      this.plugin.failurePolicy === "FAIL_RELOAD" &&
      this.world.clock.nowMs() >= (this.lastLoadMs[worker] ?? 0) + RELOAD_BACKOFF_MS
    ) {
      this.startWorker(worker);
      return this.vms[worker] as Vm;
    }
    return vm;
  }

  // ---- HTTP ----------------------------------------------------------------------------------

  /** A stream to drive step by step (requestHeaders, requestBody, ..., complete). */
  stream(opts: { worker?: number; plugin?: string } = {}): TestStream {
    const worker = this.pickWorker(opts.worker);
    const vm = this.vmFor(worker);
    const root = this.rootFor(worker, opts.plugin);
    const port = this.nextPort++;
    const info: ConnectionInfo = {
      sourceAddress: `127.0.0.1:${port}`,
      destinationAddress: "127.0.0.1:10000",
      connectionId: this.nextConnection++,
      upstreamAddress: "127.0.0.1:8080",
      ...this.routeNames,
      node: this.node,
      upstreamHostMetadata: this.hostMetadata,
    };
    const passthrough = vm.failed !== null && this.plugin.failurePolicy === "FAIL_OPEN";
    return new TestStream(
      new HttpStream(
        vm,
        this.nextId(worker),
        root,
        info,
        passthrough,
        this.limits.bufferLimitBytes,
      ),
      this.world,
      this.limits,
    );
  }

  /**
   * One whole exchange: the request goes through the filter, what passes reaches the upstream
   * (the echo by default), and its response comes back through the filter. Callouts answered
   * by handlers or real servers are awaited; a stream left paused resolves with `paused: true`.
   */
  async request(init: RequestInit = {}): Promise<Exchange> {
    const s = this.stream({ worker: init.worker, plugin: init.plugin });
    const st = s.raw;
    const given = toHeaderMap(init.headers);
    // The HTTP/1 codec turns Host into :authority.
    const host = given.get("host");
    given.remove("host");
    const headers = new HeaderMap([
      [":authority", host ?? init.authority ?? "example.com"],
      [":path", init.path ?? "/"],
      [":method", init.method ?? (init.body !== undefined ? "POST" : "GET")],
      [":scheme", "http"],
    ]);
    for (const [k, v] of given.pairs()) headers.add(k, v);
    const chunks = chunksOf(init.body);
    const hasTrailers = init.trailers !== undefined;
    if (chunks.length > 0 && !headers.has("content-length") && !hasTrailers && !init.chunked) {
      headers.add("content-length", String(chunks.reduce((n, c) => n + c.length, 0)));
    }
    const action = s.requestHeaders(headers, {
      endOfStream: chunks.length === 0 && !hasTrailers,
      envoyHeaders: init.envoyHeaders,
      version: init.version,
    });
    if (action === "Refused") return this.finish(s, null, init);
    this.sendBody(chunks, hasTrailers, (chunk, eos) => s.requestBody(chunk, { endOfStream: eos }));
    if (hasTrailers) s.requestTrailers(init.trailers as HeadersInit);
    await this.until(() => st.request.passed.complete || st.localReply !== null || st.reset);
    let upstream: UpstreamRequest | null = null;
    if (st.request.passed.complete && !st.reset && !st.localReply) {
      upstream = upstreamRequest(st.request.passed);
      const res = await this.upstream(upstream);
      if (!st.localReply && !st.reset) {
        const rh = toHeaderMap(res.headers);
        rh.set(":status", String(res.status ?? 200));
        const body = chunksOf(res.body);
        const total = body.reduce((n, c) => n + c.length, 0);
        if (!rh.has("content-length") && res.trailers === undefined)
          rh.add("content-length", String(total));
        rh.add("x-envoy-upstream-service-time", "0");
        // An HTTP/1.1 upstream's trailers end at Envoy's codec: the response ends with its body.
        const resTrailers = res.trailers !== undefined && this.upstreamHttp2;
        s.responseHeaders(rh, { endOfStream: body.length === 0 && !resTrailers });
        this.sendBody(body, resTrailers, (chunk, eos) =>
          s.responseBody(chunk, { endOfStream: eos }),
        );
        if (resTrailers) s.responseTrailers(res.trailers as HeadersInit);
      }
    }
    return this.finish(s, upstream, init);
  }

  /** Waits for the response to pass the filter, ends the stream and reports the exchange. */
  private async finish(
    s: TestStream,
    upstream: UpstreamRequest | null,
    init: RequestInit,
  ): Promise<Exchange> {
    const st = s.raw;
    await this.until(() => st.response.passed.complete || st.reset);
    const paused = !st.response.passed.complete && !st.reset;
    if (!paused) s.complete();
    this.world.drain();
    const passed = st.response.passed;
    const headerMap = passed.headers ? onTheWire(passed.headers) : new HeaderMap();
    if (passed.headers) {
      headerMap.add("server", "envoy");
      if (passed.complete && needsZeroLength(headerMap, passed.body, init.method)) {
        // Envoy's HTTP/1 codec frames a response that ends at its headers with a zero length.
        headerMap.add("content-length", "0");
      }
    }
    return {
      status: st.reset || !passed.headers ? 0 : Number(passed.headers.get(":status") ?? 0),
      headers: Object.fromEntries(
        Object.entries(headerMap.toObject()).filter(([k]) => !k.startsWith(":")),
      ),
      headerMap,
      body: text(passed.body),
      bodyBytes: passed.body,
      trailers: passed.trailers,
      upstream,
      localReply: st.localReply,
      reset: st.reset,
      paused,
      steps: st.steps,
      trap: st.trap,
      stream: st,
    };
  }

  /**
   * Body chunks as Envoy's HTTP/1 codec delivers them: each chunk without end of stream, then
   * the end of the message as an empty chunk with end_of_stream (unless trailers end it).
   */
  private sendBody(
    chunks: Uint8Array[],
    trailers: boolean,
    send: (chunk: Uint8Array, endOfStream: boolean) => void,
  ): void {
    if (chunks.length === 0) return;
    for (const chunk of chunks) send(chunk, false);
    if (!trailers) send(new Uint8Array(0), true);
  }

  /** Waits, delivering callout answers, until `done` or nothing is left in flight. */
  private async until(done: () => boolean): Promise<void> {
    this.world.drain();
    let waitedMs = 0;
    while (!done()) {
      if (this.world.callouts.busy) {
        await this.world.callouts.settle();
        this.world.drain();
        continue;
      }
      // Nothing in flight: time passes while the client waits, up to the next tick or
      // callout timeout (at most a minute of virtual time).
      const next = this.world.nextEventAt();
      if (
        next === undefined ||
        waitedMs + (next - this.world.clock.nowMs()) > MAX_VIRTUAL_WAIT_MS
      ) {
        return;
      }
      const step = Math.max(0, next - this.world.clock.nowMs());
      waitedMs += step;
      this.world.advance(step);
    }
  }

  /** Waits for every callout answer in flight and delivers it. */
  async settle(): Promise<void> {
    this.world.drain();
    while (this.world.callouts.busy) {
      await this.world.callouts.settle();
      this.world.drain();
    }
  }

  // ---- TCP -----------------------------------------------------------------------------------

  /** A new downstream connection through the filter (a network filter). */
  connect(opts: { worker?: number; plugin?: string } = {}): TcpConnection {
    const worker = this.pickWorker(opts.worker);
    const vm = this.vmFor(worker);
    const conn = new TcpConnection(vm, this.nextId(worker), this.rootFor(worker, opts.plugin));
    conn.open();
    this.world.drain();
    return conn;
  }

  // ---- time, callouts, queues -----------------------------------------------------------------

  /** Makes host calls fail on purpose from now on (see HostCallFailure), after the rules armed
   *  before. Returns the armed rules: each counts the calls it `matched` and `failed`.
   *  Example: `host.failHostCalls([{ call: "proxy_set_shared_data", status: "CasMismatch", times: 1 }])` */
  failHostCalls(rules: HostCallFailure[]): ArmedFailure[] {
    return this.world.failures.add(rules, "failHostCalls");
  }

  /** Disarms every rule of failHostCalls (and of the option): host calls run normally again. */
  clearHostCallFailures(): void {
    this.world.failures.clear();
  }

  /** Advances the virtual clock, firing ticks and callout timeouts that fall due. */
  advance(ms: number): void {
    this.world.advance(ms);
  }

  /** The linear memory of a worker's VM in bytes. Wasm memory never shrinks, so a filter
   *  that leaks shows it here: compare after a warm-up and after many requests. */
  memoryBytes(worker = 0): number {
    const vm = this.vms[worker];
    if (vm === undefined) throw new Error(`no worker ${worker}: the host has ${this.vms.length}`);
    return vm.memoryBytes;
  }

  /** The tick period the plugin set (ms; 0 when none). */
  tickPeriod(worker = 0): number {
    return this.roots[worker]?.tickPeriodMs ?? 0;
  }

  /** Every HTTP callout made so far (answered or pending). */
  get httpCalls(): readonly HttpCall[] {
    return this.world.callouts.http;
  }

  get pendingHttpCalls(): HttpCall[] {
    return this.world.callouts.http.filter((c) => !c.done);
  }

  get grpcCalls(): readonly GrpcCall[] {
    return this.world.callouts.grpc;
  }

  /** Raw shared data under this plugin's vm_id. */
  sharedData(key: string): Uint8Array | undefined {
    return this.world.shared.get(this.plugin.vmId, key)?.value;
  }

  /** Sets shared data under this plugin's vm_id, as another VM would (unconditionally). */
  setSharedData(key: string, value: Uint8Array | string): void {
    const bytes = typeof value === "string" ? new TextEncoder().encode(value) : value;
    this.world.shared.set(this.plugin.vmId, key, bytes, 0);
  }

  /** Contention on demand: right after each of the plugin's next `times` reads of `key`,
   *  `write` (given the value read) rewrites it, as another worker landing between the
   *  plugin's read and its compare-and-swap write. */
  contendSharedData(
    key: string,
    times: number,
    write: (current: Uint8Array | undefined) => Uint8Array,
  ): void {
    this.world.shared.contend(this.plugin.vmId, key, { remaining: times, write });
  }

  queueSize(name: string, vmId = this.plugin.vmId): number {
    return this.world.queues.size(vmId, name);
  }

  /** Calls proxy_on_foreign_function on the root context, with `args` readable as call data. */
  callForeignFunction(functionId: number, args: Uint8Array = new Uint8Array(0), worker = 0): void {
    const root = this.roots[worker] as RootContextState;
    root.callData = args;
    try {
      root.vm.call("proxy_on_foreign_function", root, root.id, functionId, args.length);
    } finally {
      root.callData = null;
    }
    this.world.drain();
  }

  // ---- what the test reads back ---------------------------------------------------------------

  /** Log messages, optionally of one level. */
  logs(level?: LogLevelName): string[] {
    return this.world.logs
      .filter((l) => level === undefined || l.level === level)
      .map((l) => l.message);
  }

  get logEntries(): readonly LogEntry[] {
    return this.world.logs;
  }

  counter(name: string): number {
    return Number(this.world.metrics.find(name, "counter")?.value ?? 0n);
  }

  gauge(name: string): number {
    return Number(this.world.metrics.find(name, "gauge")?.value ?? 0n);
  }

  histogram(name: string): number[] {
    return (this.world.metrics.find(name, "histogram")?.samples ?? []).map(Number);
  }

  /** What Envoy's /stats/prometheus would show for the plugin's metrics. */
  prometheus(): string {
    return this.world.metrics.prometheus(this.options.statsTags ?? []);
  }

  get coverage(): Coverage {
    return this.world.coverage;
  }

  /** Shuts the plugin down: proxy_on_done on each root (false defers to proxy_done), then delete. */
  close(): void {
    this.vms.forEach((vm, w) => {
      for (const root of [this.roots[w], ...(this.sharedRoots[w]?.values() ?? [])]) {
        if (!root || vm.failed || !vm.contexts.has(root.id)) continue;
        if (vm.call("proxy_on_done", root, root.id) || !vm.has("proxy_on_done")) root.delete();
        else vm.pendingDone.add(root.id);
      }
    });
  }
}

/** The fluent handle on one HTTP stream. */
export class TestStream {
  constructor(
    readonly raw: HttpStream,
    private readonly world: World,
    private readonly limits: Required<HttpLimits>,
  ) {}

  private after<T>(value: T): T {
    this.world.drain();
    return value;
  }

  /**
   * The request headers, through Envoy's connection manager first (as in `request()`: a
   * `host` header becomes `:authority`, refusals, normalisation, `x-forwarded-proto` and
   * `x-request-id` added; `envoyHeaders: false` hands the map to the filter as given).
   * "Refused" when the connection manager answered (431, 426) and the filter never ran: the
   * answer is in `downstream`.
   */
  requestHeaders(
    headers: HeadersInit,
    opts: { endOfStream?: boolean } & Admission = {},
  ): ActionName | "Refused" {
    const admitted = admitRequest(toHeaderMap(headers), this.limits, opts);
    if ("refusal" in admitted) {
      this.raw.refuse(admitted.refusal.status, admitted.refusal.body);
      return this.after("Refused");
    }
    this.raw.routerChecks = opts.envoyHeaders ?? true;
    return this.after(this.raw.sendRequestHeaders(admitted.headers, opts.endOfStream ?? true));
  }
  requestBody(chunk: string | Uint8Array, opts: { endOfStream?: boolean } = {}) {
    return this.after(this.raw.sendRequestBody(bytesOf(chunk), opts.endOfStream ?? true));
  }
  requestTrailers(trailers: HeadersInit) {
    return this.after(this.raw.sendRequestTrailers(toHeaderMap(trailers)));
  }
  responseHeaders(headers: HeadersInit, opts: { endOfStream?: boolean } = {}) {
    return this.after(this.raw.sendResponseHeaders(toHeaderMap(headers), opts.endOfStream ?? true));
  }
  responseBody(chunk: string | Uint8Array, opts: { endOfStream?: boolean } = {}) {
    return this.after(this.raw.sendResponseBody(bytesOf(chunk), opts.endOfStream ?? true));
  }
  responseTrailers(trailers: HeadersInit) {
    return this.after(this.raw.sendResponseTrailers(toHeaderMap(trailers)));
  }
  /** Ends the stream: onLog, onDone, onDelete. */
  complete(): void {
    this.after(this.raw.complete());
  }
  /** Resets the stream from the client side (onLog, onDone, onDelete follow). */
  reset(): void {
    this.after(this.raw.resetByClient());
  }
  /** Request headers as the filter left them. */
  get requestHeaderMap(): HeaderMap | null {
    return this.raw.request.headers;
  }
  get responseHeaderMap(): HeaderMap | null {
    return this.raw.response.headers;
  }
  /** What passed toward the upstream, and toward the client. */
  get upstream(): PassedMessage {
    return this.raw.request.passed;
  }
  get downstream(): PassedMessage {
    return this.raw.response.passed;
  }
  get localReply(): LocalReply | null {
    return this.raw.localReply;
  }
  get steps(): Step[] {
    return this.raw.steps;
  }
  get trap(): WasmTrapError | null {
    return this.raw.trap;
  }
}

function upstreamRequest(passed: PassedMessage): UpstreamRequest {
  const h = passed.headers ?? new HeaderMap();
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(h.toObject())) {
    if (!k.startsWith(":")) headers[k] = serverText(v);
  }
  if (h.get(":authority") !== undefined) headers.host = h.get(":authority") as string;
  // The router adds its timeout (already in the map when the connection manager ran).
  headers["x-envoy-expected-rq-timeout-ms"] ??= "15000";
  // Envoy's HTTP/1 codec frames a body without Content-Length as chunked, and gives a request
  // that ends at its headers `content-length: 0` when its method carries a body.
  // A request that trailers end is not over at its headers either: chunked as well.
  if (!h.has("content-length") && (passed.body.length > 0 || passed.trailers !== null))
    headers["transfer-encoding"] = "chunked";
  if (needsZeroContentLength(h.get(":method") ?? "GET", h, passed.body.length)) {
    headers["content-length"] = "0";
  }
  return {
    method: h.get(":method") ?? "GET",
    path: h.get(":path") ?? "/",
    headers,
    headerMap: h,
    body: text(passed.body),
    bodyBytes: passed.body,
    trailers: passed.trailers,
  };
}

/** Response headers as the client parses them: Envoy writes response header values unchecked,
 *  so a value with CR LF arrives as more header lines. */
function onTheWire(headers: HeaderMap): HeaderMap {
  if (!headers.pairs().some(([, v]) => v.includes("\n"))) return headers.clone();
  const out = new HeaderMap();
  for (const [name, value] of headers.pairs()) {
    const [first, ...rest] = value.split(/\r?\n/);
    out.add(name, first ?? "");
    for (const line of rest) {
      const colon = line.indexOf(":");
      if (colon > 0) out.add(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
  }
  return out;
}

/** A response that ends without a body and says nothing of its length (not 1xx, 204, 304,
 *  nor the answer to HEAD) goes to the client with `content-length: 0`. */
function needsZeroLength(headers: HeaderMap, body: Uint8Array, method?: string): boolean {
  const status = Number(headers.get(":status") ?? 0);
  return (
    body.length === 0 &&
    !headers.has("content-length") &&
    !headers.has("transfer-encoding") &&
    status >= 200 &&
    status !== 204 &&
    status !== 304 &&
    method?.toUpperCase() !== "HEAD"
  );
}

/** A value as an HTTP server in Node reads it: text as given; a value holding bytes that are
 *  not UTF-8 (a raw 0xE9) is read byte for byte as latin-1, as Node reads every header. */
function serverText(value: string): string {
  const bytes = utf8(value);
  return text(bytes) === value ? value : Buffer.from(bytes).toString("latin1");
}

/** An upstream that forwards to a real server. */
function forwardTo(base: string): UpstreamHandler {
  return async (req) => {
    const headers = { ...req.headers };
    delete headers["content-length"];
    const res = await fetch(new URL(req.path, base), {
      method: req.method,
      headers,
      body: req.bodyBytes.length > 0 ? Buffer.from(req.bodyBytes) : undefined,
    });
    const pairs: Array<[string, string]> = [];
    res.headers.forEach((v, k) => {
      if (k !== "connection" && k !== "keep-alive" && k !== "transfer-encoding") pairs.push([k, v]);
    });
    return { status: res.status, headers: pairs, body: new Uint8Array(await res.arrayBuffer()) };
  };
}

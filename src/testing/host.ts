// The test host: loads a compiled filter like Envoy does (one VM per worker, all sharing one
// vm_id's shared data and queues) and drives requests, responses and TCP connections through it.
//
//   const host = await createHost({ module: "build/hello.wasm", configuration: { header: "x-hi" } });
//   const res = await host.request({ path: "/" });
//   expect(res.headers["x-hi"]).toBe("world");

import { readFile } from "node:fs/promises";
import {
  type HttpLimits,
  type RouteNames,
  resolveLimits,
  resolveRouteNames,
} from "../connection-manager.ts";
import { type ResolvedPluginSettings, resolvePluginSettings } from "../plugin.ts";
import type { DownstreamConnection } from "./attributes.ts";
import type { GrpcCall, HttpCall } from "./callouts.ts";
import type { Coverage } from "./coverage.ts";
import {
  chunksOf,
  type Exchange,
  echoUpstream,
  forwardTo,
  needsZeroLength,
  onTheWire,
  type RequestInit,
  type UpstreamHandler,
  type UpstreamRequest,
  upstreamRequest,
} from "./exchange.ts";
import type { ArmedFailure, HostCallFailure } from "./failures.ts";
import { HeaderMap, type HeadersInit, toHeaderMap } from "./headers.ts";
import type { HostOptions } from "./host-options.ts";
import { type ConnectionInfo, HttpStream } from "./http.ts";
import { metadataMessage, nodeMessage } from "./proto.ts";
import { type LogLevelName, PluginStartError, WasmLoadError } from "./status.ts";
import { TcpConnection } from "./tcp.ts";
import { TestStream } from "./test-stream.ts";
import { linkCheck, RootContextState, Vm } from "./vm.ts";
import { isWasmModule, WA, type WasmModule } from "./wasm-api.ts";
import { text } from "./wire.ts";
import { type LogEntry, World } from "./world.ts";

export type { HostOptions, SharedPlugin } from "./host-options.ts";

/** Envoy's FAIL_RELOAD backoff base interval (PluginConfig reload_config default). Envoy draws
 *  each wait between this and 1.5 times it (a jittered lower bound); the test host takes the
 *  lower bound. */
const RELOAD_BACKOFF_MS = 1000;

/** How much virtual time request() lets pass while a stream waits for a tick or timeout. */
const MAX_VIRTUAL_WAIT_MS = 60_000;

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
      sharedDataCas: options.sharedDataCas,
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

  /** A new client connection to the listener (127.0.0.1:10000): a stream's or a TCP
   *  connection's addresses and id, each from its own port. */
  private downstreamConnection(): DownstreamConnection {
    return {
      sourceAddress: `127.0.0.1:${this.nextPort++}`,
      destinationAddress: "127.0.0.1:10000",
      connectionId: this.nextConnection++,
    };
  }

  // ---- HTTP ----------------------------------------------------------------------------------

  /** A stream to drive step by step (requestHeaders, requestBody, ..., complete). */
  stream(opts: { worker?: number; plugin?: string } = {}): TestStream {
    const worker = this.pickWorker(opts.worker);
    const vm = this.vmFor(worker);
    const root = this.rootFor(worker, opts.plugin);
    const info: ConnectionInfo = {
      ...this.downstreamConnection(),
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
    const conn = new TcpConnection(
      vm,
      this.nextId(worker),
      this.rootFor(worker, opts.plugin),
      this.downstreamConnection(),
    );
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

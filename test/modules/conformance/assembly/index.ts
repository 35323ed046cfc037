// The conformance module: one HTTP filter whose behaviour is chosen by the request path, so
// each conformance scenario exercises one piece of the ABI through the SDK (and, where a scenario
// checks an exact host status, through the raw imports). Results the client cannot see directly
// are reported as `x-note-<key>` response headers, added in onResponseHeaders.

import {
  Action,
  BodyLength,
  BufferType,
  DEFAULT_BODY_LIMIT,
  Counter,
  Gauge,
  GrpcStatus,
  Header,
  Histogram,
  HttpContext,
  LogLevel,
  MapType,
  Overflow,
  RootContext,
  Status,
  StreamType,
  callForeignFunction,
  clearRouteCache,
  currentTimeNanos,
  addSharedCounter,
  dequeueSharedQueue,
  enqueueSharedQueue,
  foreignCallData,
  PropertyPath,
  Protected,
  getProperty,
  getPropertyString,
  getPropertyInt,
  getPropertyBool,
  createSharedData,
  getSharedData,
  getStatus,
  grpcCancel,
  grpcClose,
  grpcSend,
  httpCallResponse,
  grpcReceiveBuffer,
  grpcInitialMetadata,
  grpcTrailingMetadata,
  log,
  registerRootContext,
  registerSharedQueue,
  resolveSharedQueue,
  setEnvoyFilterState,
  setProperty,
  setSharedData,
  taggedName,
  verifySignature,
} from "../../../../assembly";
import {
  proxy_done,
  proxy_get_buffer_status,
  proxy_get_header_map_size,
  proxy_get_header_map_value,
  proxy_increment_metric,
  proxy_define_metric,
  proxy_continue_stream,
  proxy_set_effective_context,
  proxy_set_header_map_pairs,
  proxy_add_header_map_value,
  wasi_fd_write,
} from "../../../../assembly/abi/imports";

export * from "../../../../assembly/exports";

const SCRATCH: usize = memory.data(32, 8);

// Property reads by literal path (the SDK's one form takes a PropertyPath).
function prop(path: string[]): ArrayBuffer | null {
  return getProperty(new PropertyPath(path));
}
function propString(dotted: string): string | null {
  return getPropertyString(PropertyPath.of(dotted));
}
function propInt(path: string[]): i64 {
  return getPropertyInt(new PropertyPath(path));
}
function propBool(path: string[], fallback: bool): bool {
  return getPropertyBool(new PropertyPath(path), fallback);
}

function statusOfHeaderGet(map: MapType, name: string): u32 {
  const k = String.UTF8.encode(name);
  store<u64>(SCRATCH, 0);
  const s = proxy_get_header_map_value(map, changetype<usize>(k), k.byteLength, SCRATCH, SCRATCH + 4);
  if (s == 0 && load<u32>(SCRATCH) != 0) heap.free(load<u32>(SCRATCH));
  return s;
}

function headerMapSize(map: MapType): i64 {
  store<u32>(SCRATCH, 0);
  const s = proxy_get_header_map_size(map, SCRATCH);
  return s == 0 ? <i64>load<u32>(SCRATCH) : -(<i64>s);
}

/** A header-map pairs block with one pair: count, the two sizes, then each string and a 0. */
function onePairBlock(name: string, value: string): ArrayBuffer {
  const n = String.UTF8.encode(name);
  const v = String.UTF8.encode(value);
  const out = new ArrayBuffer(12 + n.byteLength + 1 + v.byteLength + 1);
  const at = changetype<usize>(out);
  store<u32>(at, 1);
  store<u32>(at + 4, n.byteLength);
  store<u32>(at + 8, v.byteLength);
  memory.copy(at + 12, changetype<usize>(n), n.byteLength);
  memory.copy(at + 13 + n.byteLength, changetype<usize>(v), v.byteLength);
  return out;
}

/** The statuses of writing `map` whole, adding to it and asking its size, as "set/add/size". */
function writeStatuses(map: MapType): string {
  const block = onePairBlock("x-written", "1");
  const set = proxy_set_header_map_pairs(map, changetype<usize>(block), block.byteLength);
  const k = String.UTF8.encode("x-added");
  const add = proxy_add_header_map_value(map, changetype<usize>(k), k.byteLength, changetype<usize>(k), k.byteLength);
  store<u32>(SCRATCH, 0);
  const size = proxy_get_header_map_size(map, SCRATCH);
  return set.toString() + "/" + add.toString() + "/" + size.toString();
}

function bufferStatus(buffer: BufferType): string {
  store<u64>(SCRATCH, 0);
  const s = proxy_get_buffer_status(buffer, SCRATCH, SCRATCH + 4);
  return s.toString() + "/" + load<u32>(SCRATCH).toString();
}

function writeStdout(text: string): void {
  const bytes = String.UTF8.encode(text + "\n");
  store<u32>(SCRATCH + 8, changetype<usize>(bytes));
  store<u32>(SCRATCH + 12, bytes.byteLength);
  wasi_fd_write(1, SCRATCH + 8, 1, SCRATCH + 16);
}

function bytesToString(b: ArrayBuffer | null): string {
  return b === null ? "<null>" : String.UTF8.decode(b);
}

function hex(b: ArrayBuffer): string {
  let out = "";
  const view = Uint8Array.wrap(b);
  for (let i = 0; i < view.length; i++) {
    const v = view[i];
    out += (v < 16 ? "0" : "") + v.toString(16);
  }
  return out;
}

function fromHex(s: string): ArrayBuffer {
  const out = new ArrayBuffer(s.length / 2);
  const view = Uint8Array.wrap(out);
  for (let i = 0; i < view.length; i++) view[i] = <u8>I32.parseInt(s.substr(i * 2, 2), 16);
  return out;
}

const requests = new Counter("conf_requests");
const inflight = new Gauge("conf_gauge");
const sizes = new Histogram("conf_sizes");
let methodCounterGet: Counter | null = null;
let methodCounterPost: Counter | null = null;

class ConformanceRoot extends RootContext {
  vmConfig: string = "";
  config: string = "";
  queueId: u32 = 0;
  ticks: i32 = 0;
  paused: Conformance[] = [];

  onVmStart(vmConfigurationSize: u32): bool {
    this.vmConfig = String.UTF8.decode(this.vmConfiguration());
    log.info("vm start: {} bytes of vm configuration", vmConfigurationSize.toString());
    if (this.vmConfig == "refuse") {
      log.error("conformance: vm configuration refused on purpose");
      return false;
    }
    return true;
  }

  onConfigure(configurationSize: u32): bool {
    this.config = String.UTF8.decode(this.pluginConfiguration());
    if (this.config == "refuse") {
      log.error("conformance: configuration refused on purpose");
      return false;
    }
    if (this.config == "trap-configure") unreachable();
    const q = registerSharedQueue("conf_queue");
    this.queueId = q.id;
    if (this.config.includes("tick")) this.setTickPeriod(20);
    log.info("configured: {}", this.config);
    return true;
  }

  onTick(): void {
    this.ticks++;
    const ticks = new Counter("conf_ticks");
    ticks.increment();
    // Resume requests parked until the next tick, through the handles kept on them.
    for (let i = 0; i < this.paused.length; i++) {
      const held = this.paused[i];
      // The response has not come: the SDK refuses to continue it (Envoy 1.40 would crash).
      if (held.path == "/stream/continue-response-early") {
        held.note("continue-response", held.continueResponse().toString());
      }
      held.continueRequest();
    }
    this.paused = [];
  }

  onQueueReady(queueId: u32): void {
    const item = dequeueSharedQueue(queueId);
    if (item.status == Status.Ok) {
      setSharedData("conf_queue_last", item.data);
      const again = dequeueSharedQueue(queueId);
      setSharedData("conf_queue_empty_status", String.UTF8.encode(again.status.toString()));
    }
  }

  onForeignFunction(functionId: u32, argumentsSize: u32): void {
    const args = String.UTF8.decode(foreignCallData.read());
    setSharedData("conf_foreign", String.UTF8.encode(functionId.toString() + ":" + args + ":" + argumentsSize.toString()));
  }

  createHttpContext(contextId: u32): HttpContext | null {
    return new Conformance(contextId, this);
  }
}

class Conformance extends HttpContext {
  path: string = "";
  notes: Header[] = [];
  bodyCalls: i32 = 0;
  token: u32 = 0;

  note(key: string, value: string): void {
    this.notes.push(new Header("x-note-" + key, value));
  }

  get conf(): ConformanceRoot {
    return this.root as ConformanceRoot;
  }

  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    const p = this.request.headers.get(":path");
    // Scenarios are chosen by the path without its query string.
    this.path = p === null ? "" : p.split("?")[0];
    const path = this.path;
    const h = this.request.headers;
    requests.increment();
    if (path.startsWith("/lifecycle")) log.info("cb:request_headers");
    if (path == "/headers/add") h.add("x-added", "yes");
    else if (path == "/headers/replace") h.set("x-replace", "new");
    else if (path == "/headers/remove") h.remove("x-remove");
    else if (path == "/headers/first-value") {
      h.add("x-dup", "1");
      h.add("x-dup", "2");
      const first = h.get("x-dup");
      h.set("x-first", first === null ? "<null>" : first);
    } else if (path == "/headers/lowercase") {
      h.add("X-Mixed-Case", "v");
      const pairs = h.pairs();
      let upper = false;
      for (let i = 0; i < pairs.length; i++) if (pairs[i].name != pairs[i].name.toLowerCase()) upper = true;
      this.note("upper", upper ? "yes" : "no");
      const got = h.get("x-mixed-case");
      this.note("mixed", got === null ? "<null>" : got);
    } else if (path == "/headers/pseudo") {
      this.note("method", bytesToString(String.UTF8.encode(h.get(":method")!)));
      this.note("scheme", h.get(":scheme")!);
      this.note("path", h.get(":path")!);
      this.note("has-authority", h.has(":authority") ? "yes" : "no");
      const pairs = h.pairs();
      this.note("first-is-pseudo", pairs.length > 0 && pairs[0].name.startsWith(":") ? "yes" : "no");
    } else if (path == "/headers/read-write-read") {
      // Several reads, then writes, then reads again in one callback: each read sees the writes.
      const a = h.get("x-rw-a");
      const b = h.get("x-rw-b");
      h.add("x-rw-added", "new");
      const added = h.get("x-rw-added");
      h.remove("x-rw-a");
      const gone = h.get("x-rw-a");
      h.set("x-rw-b", "changed");
      const changed = h.get("x-rw-b");
      const upper = h.get("X-RW-ADDED");
      this.note("rw", (a === null ? "<null>" : a) + "," + (b === null ? "<null>" : b) + "," +
        (added === null ? "<null>" : added) + "," + (gone === null ? "<null>" : gone) + "," +
        (changed === null ? "<null>" : changed) + "," + (upper === null ? "<null>" : upper));
      this.note("rw-all", h.getAll("x-rw-b").join("|"));
      h.add("x-rw-b", "again");
      this.note("rw-all-multi", h.getAll("X-Rw-B").join("|"));
      this.note("rw-all-prefix", h.getAll("x-rw").length.toString());
    } else if (path == "/headers/size") {
      const pairs = h.pairs();
      let bytes = 0;
      for (let i = 0; i < pairs.length; i++) {
        bytes += String.UTF8.byteLength(pairs[i].name) + String.UTF8.byteLength(pairs[i].value);
      }
      this.note("size-is-bytes", headerMapSize(MapType.HttpRequestHeaders) == <i64>bytes ? "yes" : "no");
      this.note("count-matches", <u32>pairs.length == numHeaders ? "yes" : "no");
      // pairsBlock: the same map as one block (count, then the sizes and bytes).
      const block = h.pairsBlock();
      const at = changetype<usize>(block);
      let same = block.byteLength >= 4 && load<u32>(at) == <u32>pairs.length;
      let data = at + 4 + <usize>pairs.length * 8;
      for (let i = 0; same && i < pairs.length; i++) {
        const name = String.UTF8.encode(pairs[i].name);
        const nameLen = load<u32>(at + 4 + <usize>i * 8);
        same = nameLen == <u32>name.byteLength && memory.compare(data, changetype<usize>(name), nameLen) == 0;
        data += <usize>nameLen + <usize>load<u32>(at + 8 + <usize>i * 8) + 2;
      }
      this.note("block-matches", same && data == at + <usize>block.byteLength ? "yes" : "no");
    } else if (path == "/headers/set-pairs") {
      const pairs = h.pairs();
      pairs.push(new Header("x-set-pairs", "yes"));
      this.note("set-status", h.setPairs(pairs, Protected.Allow).toString());
    } else if (path == "/headers/missing") {
      this.note("missing-status", statusOfHeaderGet(MapType.HttpRequestHeaders, "x-not-there").toString());
    } else if (path == "/headers/response-map-early") {
      this.note("resp-get-status", statusOfHeaderGet(MapType.HttpResponseHeaders, ":status").toString());
      this.note("resp-size", headerMapSize(MapType.HttpResponseHeaders).toString());
    } else if (path == "/headers/eos") {
      this.note("headers-eos", endOfStream ? "yes" : "no");
    } else if (path == "/body/buffer" || path == "/body/replace" || path == "/body/append" || path == "/body/prepend") {
      this.bufferRequestBody();
    } else if (path == "/body/kept" || path == "/body/kept-refused") {
      this.bufferRequestBody(DEFAULT_BODY_LIMIT, Overflow.Reject, BodyLength.Kept);
    } else if (path == "/body/pause-each") {
      // Pause on body chunks without the SDK helper: Envoy buffers and re-delivers the whole body.
    } else if (path == "/body/status-in-headers") {
      this.note("req-body", bufferStatus(BufferType.HttpRequestBody));
      this.note("plugin-config", bufferStatus(BufferType.PluginConfiguration));
      this.note("call-body", bufferStatus(BufferType.HttpCallResponseBody));
    } else if (path == "/local/request-headers") {
      this.sendLocalResponse(403, "denied by conformance\n", [new Header("x-local", "yes")]);
      return Action.Pause;
    } else if (path == "/local/empty-body") {
      this.sendLocalResponse(204, "", [], "conformance empty");
      return Action.Pause;
    } else if (path == "/local/with-grpc") {
      this.sendLocalResponse(200, "grpc-ish", [new Header("x-grpc-local", "yes")], "details", GrpcStatus.PermissionDenied);
      return Action.Pause;
    } else if (path == "/local/request-body") {
      this.bufferRequestBody();
    } else if (path == "/stream/close") {
      this.resetStream();
      return Action.Pause;
    } else if (path == "/stream/continue-unpaused") {
      this.note("continue-status", this.continueRequest().toString());
    } else if (path == "/stream/pause-until-tick" || path == "/stream/continue-response-early") {
      this.conf.paused.push(this);
      return Action.Pause;
    } else if (path == "/lifecycle/abort") {
      return Action.Pause;
    } else if (path == "/stream/upstream-unimplemented") {
      this.note("upstream-continue", proxy_continue_stream(StreamType.Upstream).toString());
      this.note("bad-stream-type", proxy_continue_stream(7).toString());
    } else if (path.startsWith("/callout/")) {
      return this.callout(path);
    } else if (path.startsWith("/grpc/")) {
      return this.grpc(path);
    } else if (path == "/props/request") {
      this.note("path", propString("request.path")!);
      this.note("url-path", propString("request.url_path")!);
      this.note("method", propString("request.method")!);
      this.note("protocol", propString("request.protocol")!);
      this.note("scheme", propString("request.scheme")!);
      const id = propString("request.id");
      const header = h.get("x-request-id");
      this.note("id-matches", id !== null && header !== null && id == header ? "yes" : "no");
      const time = propInt(["request", "time"]);
      this.note("time-positive", time > 0 ? "yes" : "no");
      const hs = prop(["request", "headers"]);
      this.note("headers-map", hs !== null && hs.byteLength > 4 ? "yes" : "no");
      const ua = prop(["request", "headers", "x-conf-ua"]);
      this.note("map-field", bytesToString(ua));
    } else if (path == "/props/plugin") {
      this.note("name", propString("plugin_name")!);
      this.note("root-id", propString("plugin_root_id")!);
      this.note("vm-id", propString("plugin_vm_id")!);
    } else if (path == "/props/connection") {
      const src = propString("source.address");
      this.note("source-loopback", src !== null && src.startsWith("127.0.0.1:") ? "yes" : "no");
      this.note("source-port-positive", propInt(["source", "port"]) > 0 ? "yes" : "no");
      this.note("mtls", propBool(["connection", "mtls"], true) ? "true" : "false");
      this.note("connection-id-8", (prop(["connection", "id"]) !== null ? prop(["connection", "id"])!.byteLength : -1).toString());
      const dst = propString("destination.address");
      this.note("destination-loopback", dst !== null && dst.startsWith("127.0.0.1:") ? "yes" : "no");
    } else if (path == "/props/missing") {
      this.note("missing", prop(["no_such_attribute"]) === null ? "null" : "present");
      this.note("missing-field", prop(["request", "no_such_field"]) === null ? "null" : "present");
    } else if (path == "/props/set-get") {
      this.note("set-status", setProperty(new PropertyPath(["conf_state"]), String.UTF8.encode("v1")).toString());
      this.note("get-path-form", bytesToString(prop(["conf_state"])));

    } else if (path == "/props/cluster") {
      this.note("cluster", bytesToString(prop(["cluster_name"])));
      this.note("xds-cluster", bytesToString(prop(["xds", "cluster_name"])));
    } else if (path == "/log/levels") {
      log.trace("conf-log trace");
      log.debug("conf-log debug");
      log.info("conf-log info");
      log.warn("conf-log warn");
      log.error("conf-log error");
      log.critical("conf-log critical");
      this.note("level", (<i32>log.level()).toString());
    } else if (path == "/log/stdout") {
      writeStdout("conf-stdout hello");
    } else if (path == "/metrics/counter") {
      this.note("value", requests.value().toString());
    } else if (path == "/metrics/gauge") {
      inflight.set(10);
      inflight.add(5);
      inflight.add(-3);
      this.note("value", inflight.value().toString());
    } else if (path == "/metrics/histogram") {
      sizes.record(42);
      this.note("defined", "yes");
    } else if (path == "/metrics/negative-counter") {
      const id = requests.define();
      this.note("status", proxy_increment_metric(id, -1).toString());
    } else if (path == "/metrics/bad-type") {
      store<u32>(SCRATCH, 0);
      const n = String.UTF8.encode("conf_bad");
      this.note("status", proxy_define_metric(9, changetype<usize>(n), n.byteLength, SCRATCH).toString());
    } else if (path == "/metrics/tagged") {
      const m = h.get(":method")!;
      if (methodCounterGet === null) methodCounterGet = new Counter(taggedName("conf_by_method", ["method", "GET"]));
      if (methodCounterPost === null) methodCounterPost = new Counter(taggedName("conf_by_method", ["method", "POST"]));
      if (m == "GET") methodCounterGet!.increment();
      else methodCounterPost!.increment();
    } else if (path == "/shared/set") {
      this.note("status", setSharedData("conf_key", String.UTF8.encode("hello-shared")).toString());
    } else if (path == "/shared/get") {
      const v = getSharedData("conf_key");
      this.note("value", v === null ? "<null>" : String.UTF8.decode(v.value));
      this.note("cas-nonzero", v !== null && v.cas != 0 ? "yes" : "no");
    } else if (path == "/shared/cas") {
      setSharedData("conf_cas", String.UTF8.encode("a"));
      const v = getSharedData("conf_cas")!;
      this.note("first", setSharedData("conf_cas", String.UTF8.encode("b"), v.cas).toString());
      this.note("stale", setSharedData("conf_cas", String.UTF8.encode("c"), v.cas).toString());
      this.note("unconditional", setSharedData("conf_cas", String.UTF8.encode("d"), 0).toString());
      this.note("final", String.UTF8.decode(getSharedData("conf_cas")!.value));
    } else if (path == "/shared/counter") {
      // addSharedCounter("conf_counter", x-delta, x-attempts): the value it returned.
      const delta = h.get("x-delta");
      const attempts = h.get("x-attempts");
      const result = addSharedCounter(
        "conf_counter",
        delta === null ? 1 : I64.parseInt(delta),
        attempts === null ? 8 : I32.parseInt(attempts),
      );
      this.note("counter", result.toString());
    } else if (path == "/foreign/called") {
      const v = getSharedData("conf_foreign");
      this.note("foreign", v === null ? "<null>" : String.UTF8.decode(v.value));
    } else if (path == "/shared/empty") {
      // An empty value is a present key with a token of its own (absentCas's probe relies on
      // the host keeping whatever it writes as a present key).
      const none = new ArrayBuffer(0);
      this.note("set", setSharedData("conf_empty", none).toString());
      const v = getSharedData("conf_empty");
      this.note("read", v === null ? "<null>" : v.value.byteLength.toString());
      this.note("cas-nonzero", v !== null && v.cas != 0 ? "yes" : "no");
      this.note("rewrite", v === null ? "-" : setSharedData("conf_empty", none, v.cas).toString());
      this.note("stale", v === null ? "-" : setSharedData("conf_empty", none, v.cas).toString());
      this.note("create", createSharedData("conf_created", String.UTF8.encode("c")).toString());
      this.note("create-again", createSharedData("conf_created", String.UTF8.encode("d")).toString());
      const created = getSharedData("conf_created");
      this.note("created", created === null ? "<null>" : String.UTF8.decode(created.value));
    } else if (path == "/shared/missing") {
      this.note("missing", getSharedData("conf_never_set") === null ? "null" : "present");
    } else if (path == "/queue/enqueue") {
      const resolved = resolveSharedQueue(propString("plugin_vm_id")!, "conf_queue");
      this.note("resolve-status", resolved.status.toString());
      this.note("same-id", resolved.id == this.conf.queueId ? "yes" : "no");
      this.note("enqueue-status", enqueueSharedQueue(resolved.id, String.UTF8.encode("queued-item")).toString());
    } else if (path == "/queue/read") {
      const v = getSharedData("conf_queue_last");
      this.note("last", v === null ? "<null>" : String.UTF8.decode(v.value));
      const e = getSharedData("conf_queue_empty_status");
      this.note("empty-status", e === null ? "<null>" : String.UTF8.decode(e.value));
    } else if (path == "/queue/unknown") {
      this.note("resolve-status", resolveSharedQueue("no-such-vm", "nope").status.toString());
      this.note("enqueue-status", enqueueSharedQueue(987654, String.UTF8.encode("x")).toString());
    } else if (path == "/ticks") {
      const t = new Counter("conf_ticks");
      this.note("ticked", t.value() >= 2 ? "yes" : "no");
    } else if (path == "/time/now") {
      const now = currentTimeNanos();
      this.note("after-2020", now > 1_577_836_800_000_000_000 ? "yes" : "no");
    } else if (path == "/lifecycle/done") {
      this.note("done-status", proxy_done().toString());
    } else if (path == "/lifecycle/effective-bad") {
      this.note("status", proxy_set_effective_context(999999).toString());
    } else if (path == "/trap/request-headers") {
      unreachable();
    } else if (path == "/foreign/verify") {
      const key = h.get("x-key")!;
      const sig = h.get("x-sig")!;
      const msg = h.get("x-msg")!;
      const r = verifySignature("sha256", fromHex(key), fromHex(sig), String.UTF8.encode(msg));
      this.note("status", r.status.toString());
      this.note("valid", r.valid ? "yes" : "no");
      const bad = verifySignature("sha256", fromHex(key), fromHex(sig), String.UTF8.encode(msg + "tampered"));
      this.note("tampered", bad.valid ? "yes" : "no");
    } else if (path == "/foreign/route-cache") {
      this.note("status", clearRouteCache().toString());
    } else if (path == "/foreign/unknown") {
      this.note("status", callForeignFunction("conf_no_such_function").status.toString());
    } else if (path == "/foreign/filter-state") {
      this.note("unknown-key", setEnvoyFilterState("conf.no.such.key", "v").toString());
    } else if (path == "/vm/config") {
      this.note("vm-config", this.conf.vmConfig);
      this.note("plugin-config", this.conf.config);
    }
    if (path == "/headers/request-map-late" || path == "/props/late") return Action.Continue;
    return Action.Continue;
  }

  callout(path: string): Action {
    const cluster = path == "/callout/unknown-cluster" ? "no_such_cluster" : path == "/callout/refused" ? "refused" : "callout";
    const headers: Header[] = [new Header(":method", path == "/callout/post" ? "POST" : "GET"), new Header(":path", path == "/callout/timeout" ? "/slow" : "/from-callout"), new Header("x-callout", "1")];
    if (path != "/callout/no-authority") headers.push(new Header(":authority", "callout.local"));
    const body: ArrayBuffer | null = path == "/callout/post" ? String.UTF8.encode("callout-body") : null;
    const timeout: u32 = path == "/callout/timeout" ? 200 : 5000;
    const d = this.dispatchHttpCall(cluster, headers, body, [], timeout);
    this.note("dispatch", d.status.toString());
    if (!d.ok) return Action.Continue;
    this.token = d.token;
    return Action.Pause;
  }

  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {
    if (this.path == "/response/pause-callout") {
      const h = this.response.headers;
      h.add("x-resumed-by", token == this.token ? "callout" : "wrong-token");
      for (let i = 0; i < this.notes.length; i++) h.add(this.notes[i].name, this.notes[i].value);
      this.continueResponse();
      return;
    }
    this.note("token-matches", token == this.token ? "yes" : "no");
    const status = httpCallResponse.headers.get(":status");
    this.note("callout-status", status === null ? "<none>" : status);
    const body = httpCallResponse.body.readString();
    this.note("body-size-matches", <u32>String.UTF8.byteLength(body) == bodySize ? "yes" : "no");
    if (this.path == "/callout/ok" || this.path == "/callout/post") {
      // The echo reports what it saw: check the callout's path and header arrived.
      this.note("echo-path", body.includes("\"path\":\"/from-callout\"") ? "yes" : "no");
      this.note("echo-header", body.includes("\"x-callout\":\"1\"") ? "yes" : "no");
      this.note("echo-body", body.includes("callout-body") ? "yes" : "no");
      // A callout without a body (null) sends none: not even one byte.
      this.note("echo-no-body", body.includes("\"bodyBase64\":\"\"") ? "yes" : "no");
      this.request.headers.add("x-from-callout", status === null ? "none" : status);
    }
    if (this.path == "/callout/timeout" || this.path == "/callout/refused") {
      this.note("callout-body", body);
      const s = getStatus();
      this.note("get-status", s.code.toString());
    }
    if (this.path == "/callout/deny") {
      this.sendLocalResponse(401, "denied after callout\n", [new Header("x-denied-by", "callout")]);
      return;
    }
    if (this.path == "/callout/edit-response") {
      this.note("headers-writes", writeStatuses(MapType.HttpCallResponseHeaders));
      this.note("trailers-writes", writeStatuses(MapType.HttpCallResponseTrailers));
      const after = httpCallResponse.headers.get(":status");
      this.note("status-after", after === null ? "<none>" : after);
      const written = httpCallResponse.headers.get("x-written");
      const added = httpCallResponse.headers.get("x-added");
      this.note("kept", written === null && added === null ? "yes" : "no");
    }
    if (this.path == "/callout/continue-then-read") {
      // Two reads: the second takes the whole map, which the SDK keeps for this callback until
      // something lets the host or another filter run.
      const h = this.request.headers;
      const before = h.get(":path");
      this.note("read-before", before === null ? "<null>" : before);
      this.note("read-before-again", h.has("x-callout-read") ? "yes" : "no");
      this.continueRequest();
      const after = h.get(":path");
      this.note("read-after", after === null ? "<null>" : after);
      return;
    }
    if (this.path == "/callout/continue-then-edit") {
      this.continueRequest();
      this.note("late-edit", this.request.headers.add("x-too-late", "1").toString());
      return;
    }
    this.continueRequest();
  }

  grpc(path: string): Action {
    if (path == "/grpc/unary" || path == "/grpc/unary-fail") {
      const d = this.dispatchGrpcCall(
        "grpc", "conf.Echo", path == "/grpc/unary" ? "Say" : "Fail", [new Header("x-md", "1")], String.UTF8.encode("ping"), 5000);
      this.note("dispatch", d.status.toString());
      if (!d.ok) return Action.Continue;
      return Action.Pause;
    }
    if (path == "/grpc/unary-timeout") {
      // conf.Echo/Slow never answers: the call's 300 ms timeout ends it.
      const d = this.dispatchGrpcCall("grpc", "conf.Echo", "Slow", [], String.UTF8.encode("ping"), 300);
      this.note("dispatch", d.status.toString());
      if (!d.ok) return Action.Continue;
      return Action.Pause;
    }
    if (path == "/grpc/unary-refused") {
      // Nothing listens on grpc_refused's port: the connection is refused.
      const d = this.dispatchGrpcCall("grpc_refused", "conf.Echo", "Say", [], String.UTF8.encode("ping"), 5000);
      this.note("dispatch", d.status.toString());
      if (!d.ok) return Action.Continue;
      return Action.Pause;
    }
    if (path == "/grpc/unknown-cluster") {
      const d = this.dispatchGrpcCall("no_such_grpc", "conf.Echo", "Say", [], String.UTF8.encode("x"), 1000);
      this.note("dispatch", d.status.toString());
      return Action.Continue;
    }
    if (path == "/grpc/stream") {
      const d = this.openGrpcStream("grpc", "conf.Echo", "Chat", [new Header("x-md", "1")]);
      this.note("dispatch", d.status.toString());
      if (!d.ok) return Action.Continue;
      this.token = d.token;
      this.note("send", grpcSend(d.token, String.UTF8.encode("one"), false).toString());
      this.note("send-on-call-token", grpcSend(d.token + 1, String.UTF8.encode("x"), false).toString());
      return Action.Pause;
    }
    if (path == "/grpc/send-after-close") {
      // Half-closes after "one", then sends "two": the server echoes what reaches it.
      const d = this.openGrpcStream("grpc", "conf.Echo", "Chat", []);
      this.note("dispatch", d.status.toString());
      if (!d.ok) return Action.Continue;
      this.token = d.token;
      this.note("send", grpcSend(d.token, String.UTF8.encode("one"), false).toString());
      this.note("close", grpcClose(d.token).toString());
      this.note("send-after-close", grpcSend(d.token, String.UTF8.encode("two"), false).toString());
      return Action.Pause;
    }
    if (path == "/grpc/cancel") {
      const d = this.openGrpcStream("grpc", "conf.Echo", "Chat", []);
      this.note("cancel", grpcCancel(d.token).toString());
      this.note("cancel-again", grpcCancel(d.token).toString());
      this.note("close-unknown", grpcClose(d.token).toString());
      return Action.Continue;
    }
    return Action.Continue;
  }

  onGrpcReceiveInitialMetadata(token: u32, numElements: u32): void {
    this.note("initial-md", numElements > 0 ? "yes" : "no");
  }

  onGrpcReceive(token: u32, messageSize: u32): void {
    const msg = grpcReceiveBuffer.readString();
    this.note("grpc-message", msg);
    if (this.path == "/grpc/stream") {
      // One echo received: half-close our side; the server then closes with status OK.
      this.note("close", grpcClose(token).toString());
      return;
    }
    // Every echo is noted; the close resumes the request.
    if (this.path == "/grpc/send-after-close") return;
    this.continueRequest();
  }

  onGrpcReceiveTrailingMetadata(token: u32, numElements: u32): void {
    this.note("trailing-md", "seen");
  }

  onGrpcClose(token: u32, statusCode: GrpcStatus): void {
    this.note("grpc-close", (<i32>statusCode).toString());
    if (this.path == "/grpc/unary-timeout" || this.path == "/grpc/unary-refused") {
      const s = getStatus();
      this.note("grpc-close-status", s.code.toString());
      this.note("grpc-close-message", s.message);
    }
    this.continueRequest();
  }

  onRequestBody(bodySize: u32, endOfStream: bool): Action {
    this.bodyCalls++;
    const path = this.path;
    const body = this.request.body;
    if (path == "/body/buffer") {
      this.request.headers.add("x-body-len", bodySize.toString());
      this.request.headers.add("x-body-text", body.readString());
    } else if (path == "/body/replace") {
      body.replaceString("replaced body");
    } else if (path == "/body/append") {
      body.appendString("+tail");
    } else if (path == "/body/prepend") {
      body.prepend(String.UTF8.encode("head+"));
    } else if (path == "/body/kept") {
      // The same length, every byte upper-cased (the bodies sent here are ASCII letters).
      const bytes = body.read();
      const out = new ArrayBuffer(bytes.byteLength);
      for (let i = 0; i < bytes.byteLength; i++) {
        store<u8>(changetype<usize>(out) + i, load<u8>(changetype<usize>(bytes) + i) & 0xdf);
      }
      this.note("kept-status", body.replace(out).toString());
    } else if (path == "/body/kept-refused") {
      this.note("replace-status", body.replaceString("longer than it was").toString());
      this.note("append-status", body.appendString("+tail").toString());
      this.note("prepend-status", body.prepend(String.UTF8.encode("head+")).toString());
      this.note("splice-status", body.splice(0, 1, String.UTF8.encode("xy")).toString());
      this.note("same-status", body.splice(0, 1, String.UTF8.encode("z")).toString());
    } else if (path == "/body/slice") {
      if (bodySize > 0) {
        this.note("slice", body.readString(2, 3));
        this.note("size-matches", <i32>bodySize == body.length() ? "yes" : "no");
      }
    } else if (path == "/body/pause-each") {
      if (!endOfStream) return Action.Pause;
      this.note("final-size", bodySize.toString());
    } else if (path == "/body/eos") {
      this.note("body-eos", endOfStream ? "yes" : "no");
    } else if (path == "/local/request-body") {
      this.sendLocalResponse(413, "body rejected: " + bodySize.toString() + " bytes\n");
      return Action.Pause;
    } else if (path == "/headers/request-map-late") {
      if (this.bodyCalls == 1) this.note("late-status", statusOfHeaderGet(MapType.HttpRequestHeaders, ":path").toString());
    } else if (path == "/body/sizes") {
      this.note("chunk", bodySize.toString() + (endOfStream ? "/eos" : ""));
    }
    return Action.Continue;
  }

  onRequestTrailers(numTrailers: u32): Action {
    const t = this.request.trailers.get("x-client-trailer");
    this.note("req-trailer", t === null ? "<null>" : t);
    this.note("req-trailers-count", numTrailers.toString());
    this.request.trailers.add("x-added-trailer", "from-filter");
    return Action.Continue;
  }

  onResponseTrailers(numTrailers: u32): Action {
    const t = this.response.trailers.get("x-upstream-trailer");
    this.response.trailers.add("x-conf-trailer", t === null ? "<null>" : "saw-" + t);
    return Action.Continue;
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    const path = this.path;
    const h = this.response.headers;
    if (path.startsWith("/lifecycle")) log.info("cb:response_headers");
    this.note("resp-seen", "yes");
    if (path == "/response/eos") this.note("resp-headers-eos", endOfStream ? "yes" : "no");
    if (path == "/headers/response-add") h.add("x-response-added", "yes");
    else if (path == "/headers/response-replace") h.set("content-type", "text/x-conformance");
    else if (path == "/headers/response-remove") h.remove("content-type");
    else if (path == "/headers/request-map-late") {
      this.note("req-in-resp-status", statusOfHeaderGet(MapType.HttpRequestHeaders, ":path").toString());
      this.note("req-pairs-in-resp", this.request.headers.pairs().length.toString());
    } else if (path == "/props/late") {
      this.note("path-late", prop(["request", "path"]) === null ? "null" : "present");
      this.note("code", propInt(["response", "code"]).toString());
    } else if (path == "/body/rewrite-response" || path == "/body/append-response") {
      this.bufferResponseBody();
    } else if (path == "/local/response-headers") {
      this.sendLocalResponse(502, "replaced response\n", [new Header("x-local-resp", "yes")]);
      return Action.Pause;
    } else if (path == "/props/cluster") {
      this.note("cluster-late", bytesToString(prop(["cluster_name"])));
      this.note("xds-cluster-late", bytesToString(prop(["xds", "cluster_name"])));
      this.note("route-late", bytesToString(prop(["xds", "route_name"])));
    } else if (path == "/props/response-code") {
      this.note("code", propInt(["response", "code"]).toString());
    } else if (path == "/body/req-body-calls") {
      this.note("req-body-calls", this.bodyCalls.toString());
    } else if (path == "/trap/response-headers") {
      unreachable();
    } else if (path == "/response/pause-callout") {
      // Hold the response headers until a callout answers; its handler adds a header and
      // resumes, so the client sees that header only if nothing went out before the resume.
      const d = this.dispatchHttpCall(
        "callout", [new Header(":method", "GET"), new Header(":path", "/from-callout"), new Header(":authority", "callout.local")], null, [], 5000);
      this.note("dispatch", d.status.toString());
      if (d.ok) {
        this.token = d.token;
        return Action.Pause;
      }
    }
    for (let i = 0; i < this.notes.length; i++) h.add(this.notes[i].name, this.notes[i].value);
    return Action.Continue;
  }

  onResponseBody(bodySize: u32, endOfStream: bool): Action {
    const path = this.path;
    if (path.startsWith("/lifecycle") && endOfStream) log.info("cb:response_body");
    if (path == "/body/rewrite-response") this.response.body.replaceString("rewritten response");
    else if (path == "/body/append-response") this.response.body.appendString("<!-- conformance -->");
    return Action.Continue;
  }

  onLog(): void {
    if (this.path.startsWith("/lifecycle")) {
      log.info("cb:log");
      const p = this.request.headers.get(":path");
      log.info("cb:log-path " + (p === null ? "<null>" : p));
    }
  }

  onDone(): bool {
    if (this.path.startsWith("/lifecycle")) log.info("cb:done");
    return true;
  }

  onDelete(): void {
    if (this.path.startsWith("/lifecycle")) log.info("cb:delete");
  }
}

registerRootContext((id: u32): RootContext => new ConformanceRoot(id));

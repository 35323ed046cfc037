// The host-errors module: each request path calls one group of the SDK's host wrappers and
// answers with a local reply whose body lists what each call gave back ("name=value" lines),
// so test/sdk/host-errors.test.ts can make chosen host calls fail (the test host's
// failHostCalls) and check that the SDK reports the failure as documented, never traps.
// Other paths check what the dispatcher does around callbacks: the effective context in root
// and callout callbacks, timers on a tick, the cached body length.

import {
  Action,
  BodyLength,
  Counter,
  DEFAULT_BODY_LIMIT,
  Header,
  HeaderBytes,
  HeaderMap,
  HttpContext,
  LogLevel,
  MapType,
  Overflow,
  PropertyPath,
  Protected,
  RootContext,
  Status,
  Timer,
  absentCas,
  addSharedCounter,
  callForeignFunction,
  clearRouteCache,
  createSharedData,
  currentTimeNanos,
  dequeueSharedQueue,
  enqueueSharedQueue,
  getProperty,
  getPropertyBool,
  getPropertyInt,
  getPropertyString,
  getSharedData,
  getStatus,
  grpcCancel,
  grpcClose,
  grpcSend,
  httpCallResponse,
  log,
  properties,
  registerRootContext,
  registerSharedQueue,
  resolveSharedQueue,
  setMemoryLimit,
  setPropertyString,
  setEnvoyFilterState,
  setSharedData,
  setSharedDataBytes,
  taggedName,
  verifySignature,
} from "../../../../assembly";

// The clock hold a chain puts around its members (assembly/chain.ts), driven directly here:
// the harnesses that judge the SDK's mutants do not build chained modules.
import { holdClock, releaseClock } from "../../../../assembly/host/time";
// The record of which chain member registered a queue, driven directly for the same reason.
import { queueOwners, setRunningMember } from "../../../../assembly/internal/queue-owners";

export * from "../../../../assembly/exports";

const REQUEST_PATH = PropertyPath.of("request.path");
const SOURCE_PORT = new PropertyPath(["source", "port"]);
const MTLS = new PropertyPath(["connection", "mtls"]);
const PROBE_STATE = new PropertyPath(["probe_state"]);
const ABSENT = new PropertyPath(["probe", "absent"]);
// Set by the tests: a value larger than the landing block (the host's copy is a heap block of
// its own, which the reader must free), and one sized to a memory limit.
const LARGE = new PropertyPath(["probe", "large"]);
const ROOM = new PropertyPath(["probe", "room"]);

const hits = new Counter("host_errors_hits");
const lateDefined = new Counter("host_errors_late");

function bytesOf(s: string): ArrayBuffer {
  return String.UTF8.encode(s);
}

function orNull(s: string | null): string {
  return s === null ? "null" : s;
}

/** Counts onTimer calls; the stream waiting for it resumes from there. */
class ProbeTimer extends Timer {
  fired: i32 = 0;
  waiting: ProbeStream | null = null;
  onTimer(root: RootContext): void {
    this.fired++;
    const s = this.waiting;
    if (s !== null) {
      this.waiting = null;
      s.sendLocalResponse(200, "timer=" + this.fired.toString() + "\n");
    }
  }
}

class ProbeRoot extends RootContext {
  resumeOnTick: ProbeStream[] = [];
  timer: ProbeTimer = new ProbeTimer();
  timerAdded: bool = false;

  onConfigure(size: u32): bool {
    this.setTickPeriod(1000);
    return true;
  }

  onTick(): void {
    // Resumes through kept handles: the SDK must make each stream effective first.
    for (let i = 0; i < this.resumeOnTick.length; i++) this.resumeOnTick[i].continueRequest();
    this.resumeOnTick = [];
  }

  createHttpContext(id: u32): HttpContext | null {
    return new ProbeStream(id, this);
  }
}

class ProbeStream extends HttpContext {
  path: string = "";
  lines: string = "";

  get probeRoot(): ProbeRoot {
    return this.root as ProbeRoot;
  }

  note(name: string, value: string): void {
    this.lines += name + "=" + value + "\n";
  }

  reply(): Action {
    this.sendLocalResponse(200, this.lines);
    return Action.Pause;
  }

  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    const p = this.request.headers.get(":path");
    this.path = p === null ? "" : p;
    const path = this.path;
    if (path == "/headers") return this.headers();
    if (path == "/properties") return this.properties();
    if (path == "/shared") return this.shared();
    if (path == "/counter") {
      this.note("counter", addSharedCounter("probe_counter", 5).toString());
      return this.reply();
    }
    if (path == "/counter/two") {
      // Two keys in turn: the key encoded for the last call must not be reused for the next.
      this.note("a", addSharedCounter("probe_a", 1).toString());
      this.note("b", addSharedCounter("probe_b", 10).toString());
      this.note("a-again", addSharedCounter("probe_a", 2).toString());
      return this.reply();
    }
    if (path == "/counter/empty-key") {
      // The empty key as the VM's first counter: the key cached before any call is none.
      this.note("empty", addSharedCounter("", 3).toString());
      return this.reply();
    }
    if (path == "/queues/owner") {
      // As a chain's member 1 runs (assembly/chain.ts): its queue's onQueueReady goes to it.
      setRunningMember(1);
      const q = registerSharedQueue("probe_owned");
      setRunningMember(-1);
      this.note("status", q.status.toString());
      this.note("owner", queueOwners.has(q.id) ? queueOwners.get(q.id).toString() : "none");
      return this.reply();
    }
    if (path == "/headers/room") {
      // A copy brought up to date after a write, under a memory limit that leaves no room to
      // grow: a small copy is not checked against the limit (only one past 64 KiB is).
      const h = this.request.headers;
      h.get("x-a");
      h.get("x-b");
      h.set("x-c", "3");
      setMemoryLimit((<u64>memory.size() << 16) + 1);
      const c = h.get("x-c");
      setMemoryLimit(1 << 30);
      this.note("c", orNull(c));
      return this.reply();
    }
    if (path == "/headers/big") {
      // A map past the landing block (64 KiB): each copy of it is a heap block of its own, freed
      // when a rebuild or the next whole read replaces it. Four rounds of a whole read, a
      // write, a read of the rebuilt copy and the end of the epoch (clearRouteCache).
      const h = this.request.headers;
      let seen = 0;
      for (let i = 0; i < 4; i++) {
        h.get("x-a");
        h.get("x-b");
        h.set("x-big-" + i.toString(), "1");
        if (h.get("x-big-" + i.toString()) !== null) seen++;
        clearRouteCache();
      }
      this.note("seen", seen.toString());
      return this.reply();
    }
    if (path == "/headers/room-edge") {
      // A copy brought up to date to exactly 64 KiB (its block plus the logged edit's record,
      // assembly/internal/mapedits.ts) under a limit 1 byte short of that: still not checked.
      const h = this.request.headers;
      h.get("x-a");
      h.get("x-b");
      const w = h.pairsBlock().byteLength;
      // A pad header first, so the copy's size is a multiple of 4 (edit records are).
      h.set("x-pad", "p".repeat(4 - ((w + 15) & 3)));
      const size = h.pairsBlock().byteLength;
      const valueLength = 0x10000 - size - 28; // a record: 20 bytes, the name, 2 NULs, rounded to 4
      h.set("x-r", "r".repeat(valueLength));
      setMemoryLimit((<u64>memory.size() << 16) + 0xffff);
      const r = h.get("x-r");
      setMemoryLimit(1 << 30);
      this.note("aligned", (size & 3).toString());
      this.note("r", r === null ? "null" : (r.length == valueLength ? "whole" : r.length.toString()));
      return this.reply();
    }
    if (path == "/headers/big-value") {
      // A value past the landing block read alone (a map object of its own, one read per
      // epoch: never the whole map), into a small buffer: the host's copy of it is a heap
      // block the read must free.
      const h = new HeaderMap(MapType.HttpRequestHeaders);
      const name = bytesOf("x-filler");
      const room = new ArrayBuffer(3);
      let total = 0;
      for (let i = 0; i < 4; i++) {
        total += h.getBytesInto(name, room);
        clearRouteCache();
      }
      this.note("total", total.toString());
      return this.reply();
    }
    if (path == "/headers/empty") {
      // The request's trailers in onRequestHeaders: an empty map, which reads whole like any.
      const t = this.request.trailers;
      this.note("batch", t.batch().toString());
      this.note("pairs", t.pairs().length.toString());
      this.note("commit", t.commit().toString());
      return this.reply();
    }
    if (path.startsWith("/route-cache/pairs")) {
      const h = this.request.headers;
      this.note("before", clearRouteCache().toString());
      const pairs = h.pairs();
      pairs.push(new Header("x-route", "p"));
      if (path == "/route-cache/pairs") {
        this.note("write", h.setPairs(pairs, Protected.Allow).toString());
      } else {
        const bytes = new Array<HeaderBytes>(0);
        for (let i = 0; i < pairs.length; i++) bytes.push(new HeaderBytes(bytesOf(pairs[i].name), bytesOf(pairs[i].value)));
        this.note("write", h.setPairsBytes(bytes, Protected.Allow).toString());
      }
      this.note("after", clearRouteCache().toString());
      return this.reply();
    }
    if (path == "/route-cache/plain") {
      // No header written: each call asks the host.
      for (let i = 0; i < 4; i++) this.note("clear-" + i.toString(), clearRouteCache().toString());
      return this.reply();
    }
    if (path == "/route-cache/after-read") {
      // A read whose copy the host handed over in a heap block of its own (past the landing
      // block), freed once read; then a clear the host refuses, writing no result.
      const value = getProperty(LARGE);
      const status = clearRouteCache();
      this.note("read", value === null ? "null" : value.byteLength.toString());
      this.note("clear", status.toString());
      return this.reply();
    }
    if (path == "/route-cache/set" || path == "/route-cache/batch") {
      // Envoy clears the route cache itself after the module changed the request headers, so
      // clearRouteCache then asks nothing; before any change it asks the host.
      const h = this.request.headers;
      this.note("before", clearRouteCache().toString());
      if (path == "/route-cache/set") {
        this.note("write", h.set("x-route", "a").toString());
      } else {
        // Twelve edits the copy can tell: written as one whole map at the commit.
        h.batch();
        for (let i = 0; i < 12; i++) h.set("x-route-" + i.toString(), "b");
        this.note("write", h.commit().toString());
        // After a refused whole-map write the copy is the host's map again.
        this.note("read", orNull(h.get("x-route-0")));
      }
      this.note("after", clearRouteCache().toString());
      return this.reply();
    }
    if (path == "/absent-cas") {
      // Many tokens in one callback: each from a write just made, none twice.
      let last = absentCas();
      let repeated = 0;
      for (let i = 0; i < 4096; i++) {
        const next = absentCas();
        if (next == last) repeated++;
        last = next;
      }
      this.note("repeated", repeated.toString());
      return this.reply();
    }
    if (path == "/properties/large") return this.largeProperty();
    if (path == "/properties/room") return this.roomProperty();
    if (path == "/queues") return this.queues();
    if (path == "/callouts") return this.callouts();
    if (path == "/callouts/batch") return this.calloutsAfterBatch();
    if (path == "/foreign") return this.foreign();
    if (path == "/time") {
      this.note("first", currentTimeNanos() > 0 ? "set" : "0");
      this.note("second", currentTimeNanos().toString());
      this.note("level", (<i32>log.level()).toString());
      return this.reply();
    }
    if (path == "/time/hold") {
      holdClock();
      const first = currentTimeNanos();
      this.note("held", currentTimeNanos() == first ? "same" : "new");
      holdClock();
      this.note("nested", currentTimeNanos() == first ? "same" : "new");
      releaseClock();
      this.note("inner-released", currentTimeNanos() == first ? "same" : "new");
      releaseClock();
      currentTimeNanos();
      currentTimeNanos();
      // A release with no hold open must not leave the next hold off.
      releaseClock();
      holdClock();
      currentTimeNanos();
      currentTimeNanos();
      releaseClock();
      return this.reply();
    }
    if (path == "/metrics") {
      hits.increment(3);
      // The clock's answer lands where value() reads its own: a failed read must not see it.
      currentTimeNanos();
      this.note("value", hits.value().toString());
      return this.reply();
    }
    if (path == "/log") {
      log.trace("probe: trace {}", "t");
      log.debug("probe: debug {} {}", "d", "e");
      log.info("probe: info {} {} {}", "a", "b", "c");
      log.warn("probe: warn");
      log.error("probe: error");
      log.critical("probe: critical");
      log.at(LogLevel.Warn, "probe: at {}", "w");
      // Placeholders at the start, more of them than arguments, more arguments than them.
      log.info("{}: leading", "probe");
      log.info("probe: four {} {} {} {}", "a", "b", "c");
      log.info("probe: one {}", "a", "b");
      this.note("enabled", (log.enabled(LogLevel.Debug) ? "debug," : "") + (log.enabled(LogLevel.Info) ? "info," : "") +
        (log.enabled(LogLevel.Warn) ? "warn" : ""));
      return this.reply();
    }
    if (path == "/metrics/tags") {
      this.note("pairs", taggedName("requests", ["method", "GET", "code", "200"]));
      this.note("odd", taggedName("requests", ["method", "GET", "code"]));
      this.note("none", taggedName("requests", []));
      return this.reply();
    }
    if (path == "/metrics/late") {
      lateDefined.increment();
      return this.reply();
    }
    if (path == "/status") {
      // A call that writes the out cells, then the status the host left behind.
      getPropertyString(REQUEST_PATH);
      const s = getStatus();
      this.note("code", s.code.toString());
      this.note("message", s.message);
      return this.reply();
    }
    if (path == "/local-reply") {
      const status = this.sendLocalResponse(200, "replied\n");
      log.warn("probe: local reply status {}", status.toString());
      return Action.Pause;
    }
    if (path == "/continue") {
      log.warn("probe: continue status {}", this.continueRequest().toString());
      return Action.Continue;
    }
    if (path == "/resume/tick") {
      this.probeRoot.resumeOnTick.push(this);
      return Action.Pause;
    }
    if (path == "/timer") {
      const root = this.probeRoot;
      if (!root.timerAdded) {
        root.addTimer(1000, root.timer);
        root.timerAdded = true;
      }
      root.timer.waiting = this;
      return Action.Pause;
    }
    if (path == "/callout/effective") {
      const d = this.dispatchHttpCall(
        "callout",
        [new Header(":method", "GET"), new Header(":path", "/check"), new Header(":authority", "callout")],
        null,
        [],
        1000,
      );
      if (!d.ok) this.sendLocalResponse(500, "dispatch " + d.status.toString() + "\n");
      return Action.Pause;
    }
    if (path == "/body/headers") {
      // No body callback runs: the length is asked of the host, and a replace needs it.
      const body = this.request.body;
      this.note("length", body.length().toString());
      this.note("replace", body.replaceString("zz").toString());
      return this.reply();
    }
    if (path == "/body/kept") this.bufferRequestBody(DEFAULT_BODY_LIMIT, Overflow.Reject, BodyLength.Kept);
    else if (path.startsWith("/body")) this.bufferRequestBody();
    return Action.Continue;
  }

  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {
    // Module-level calls act on the host's effective context: the dispatcher must have made
    // this request effective before the handler runs.
    if (this.path != "/callout/effective") return;
    const status = httpCallResponse.headers.get(":status");
    this.note("callout", orNull(status));
    this.note("path", orNull(getPropertyString(REQUEST_PATH)));
    this.note("state", setPropertyString(PROBE_STATE, "from-callout").toString());
    this.reply();
  }

  onRequestBody(bodySize: u32, endOfStream: bool): Action {
    if (!endOfStream) return Action.Continue;
    const body = this.request.body;
    if (this.path == "/body/kept") return this.keptBody(body.length());
    this.note("announced", body.length().toString());
    this.note("replace", body.replaceString("abc").toString());
    this.note("after-replace", body.length().toString());
    this.note("append", body.appendString("de").toString());
    this.note("after-append", body.length().toString());
    this.note("prepend", body.prepend(bytesOf("x")).toString());
    this.note("after-prepend", body.length().toString());
    this.note("read", body.readString());
    if (this.path == "/body/empty") {
      // An emptied body's length (0) is known too, and writes after it keep it current.
      this.note("emptied", body.replaceString("").toString());
      this.note("after-empty", body.length().toString());
      this.note("append-empty", body.appendString("ab").toString());
      this.note("after-append-empty", body.length().toString());
      body.replaceString("");
      this.note("prepend-empty", body.prepend(bytesOf("c")).toString());
      this.note("after-prepend-empty", body.length().toString());
      body.replaceString("");
      this.note("replace-empty", body.replaceString("xyz").toString());
      this.note("after-replace-empty", body.length().toString());
      this.note("read-empty", body.readString());
    }
    if (this.path == "/body/splice") {
      this.note("splice", body.splice(0, 1, bytesOf("yy")).toString());
      this.note("after-splice", body.length().toString());
    }
    return this.reply();
  }

  /** Writes to a body buffered with BodyLength.Kept, `size` bytes long: those that keep its
   *  length go to the host, the others are refused (each refusal logged with both lengths). */
  keptBody(size: i32): Action {
    const body = this.request.body;
    const none = new ArrayBuffer(0);
    this.note("append-none", body.append(none).toString());
    this.note("prepend-none", body.prepend(none).toString());
    this.note("append", body.appendString("de").toString());
    this.note("prepend", body.prepend(bytesOf("xyz")).toString());
    // At the end the host appends whatever length is given: the range cut is empty.
    this.note("splice-end", body.splice(<usize>size, 1, bytesOf("!")).toString());
    this.note("read", body.readString());
    return this.reply();
  }

  headers(): Action {
    const h = this.request.headers;
    this.request.headers.set("x-probe-epoch", "1");
    // A map object's first read in a callback asks for one value (the request's own object
    // has read ":path" already), the next read of `h` the whole map.
    this.note("get-a", orNull(new HeaderMap(MapType.HttpRequestHeaders).get("x-a")));
    this.note("get-b", orNull(h.get("x-b")));
    this.note("bytes-a", h.getBytes(bytesOf("x-a")) === null ? "null" : "set");
    this.note("has-b", h.has("x-b") ? "yes" : "no");
    this.note("all-a", h.getAll("x-a").length.toString());
    this.note("pairs", h.pairs().length.toString());
    this.note("pairs-bytes", h.pairsBytes().length.toString());
    this.note("block", h.pairsBlock().byteLength.toString());
    this.note("size", h.byteSize().toString());
    // Each whole-map read first in its epoch (after a write): it must fetch the map itself.
    h.set("x-probe-epoch", "2");
    this.note("first-pairs-bytes", h.pairsBytes().length.toString());
    h.set("x-probe-epoch", "3");
    this.note("first-block", h.pairsBlock().byteLength > 0 ? "set" : "0");
    h.set("x-probe-epoch", "4");
    this.note("first-all-a", h.getAll("x-a").length.toString());
    h.set("x-probe-epoch", "5");
    this.note("first-pairs", h.pairs().length.toString());
    this.note("set", h.set("x-c", "3").toString());
    this.note("add", h.add("x-c", "4").toString());
    this.note("remove", h.remove("x-a").toString());
    this.note("set-pairs", h.setPairs(h.pairs(), Protected.Allow).toString());
    this.note("after-remove", orNull(h.get("x-a")));
    return this.reply();
  }

  properties(): Action {
    const raw = getProperty(REQUEST_PATH);
    this.note("raw", raw === null ? "null" : raw.byteLength.toString());
    this.note("string", orNull(getPropertyString(REQUEST_PATH)));
    this.note("int", getPropertyInt(SOURCE_PORT, -7).toString());
    this.note("bool", getPropertyBool(MTLS, true) ? "true" : "false");
    this.note("set", setPropertyString(PROBE_STATE, "v").toString());
    this.note("read-back", orNull(getPropertyString(PROBE_STATE)));
    this.note("int-default", getPropertyInt(ABSENT).toString());
    this.note("bool-default", getPropertyBool(ABSENT) ? "true" : "false");
    // The typed attribute helpers, each with its documented fallback when absent.
    this.note("source-port", properties.sourcePort().toString());
    this.note("connection-id", properties.connectionId().toString());
    this.note("connection-mtls", properties.connectionMtls() ? "true" : "false");
    this.note("response-code", properties.responseCode().toString());
    return this.reply();
  }

  /** Sixteen typed reads (x-read: string, int or bool) of a value past the landing block. */
  largeProperty(): Action {
    const kind = this.request.headers.get("x-read");
    let last = "";
    for (let i = 0; i < 16; i++) {
      if (kind == "string") {
        const s = getPropertyString(LARGE);
        last = s === null ? "null" : s.length.toString();
      } else if (kind == "int") {
        last = getPropertyInt(LARGE, -7).toString();
      } else {
        last = getPropertyBool(LARGE) ? "true" : "false";
      }
    }
    this.note(kind === null ? "none" : kind, last);
    return this.reply();
  }

  /** A string read under a memory limit x-room bytes above the memory in use. */
  roomProperty(): Action {
    const room = this.request.headers.get("x-room");
    getPropertyString(ROOM); // the landing block grows to the value's size first
    setMemoryLimit((<u64>memory.size() << 16) + <u64>I64.parseInt(room === null ? "0" : room));
    const s = getPropertyString(ROOM);
    setMemoryLimit(1 << 30);
    this.note("length", s === null ? "null" : s.length.toString());
    return this.reply();
  }

  shared(): Action {
    this.note("set", setSharedData("probe_key", bytesOf("one")).toString());
    const v = getSharedData("probe_key");
    this.note("get", v === null ? "null" : String.UTF8.decode(v.value));
    this.note("cas", v === null ? "0" : v.cas > 0 ? "set" : "0");
    this.note("absent-cas", absentCas() > 0 ? "set" : "0");
    this.note("create", createSharedData("probe_created", bytesOf("c")).toString());
    const missing = getSharedData("probe_missing");
    this.note("missing", missing === null ? "null" : "set");
    // Writes without a CAS after the read are unconditional, whatever token the key holds.
    this.note("rewrite", setSharedData("probe_key", bytesOf("two")).toString());
    this.note("rewrite-again", setSharedData("probe_key", bytesOf("three")).toString());
    this.note("rewrite-bytes", setSharedDataBytes(bytesOf("probe_key"), bytesOf("four")).toString());
    const after = getSharedData("probe_key");
    this.note("after", after === null ? "null" : String.UTF8.decode(after.value));
    return this.reply();
  }

  queues(): Action {
    const first = registerSharedQueue("probe_first");
    this.note("first", first.status.toString() + "/" + (first.id > 0 ? "id" : "0"));
    const second = registerSharedQueue("probe_second");
    this.note("second", second.status.toString() + "/" + (second.id > 0 ? "id" : "0"));
    const found = resolveSharedQueue("", "probe_first");
    this.note("resolve", found.status.toString() + "/" + (found.id == first.id ? "same" : found.id.toString()));
    this.note("enqueue", enqueueSharedQueue(first.id, bytesOf("m")).toString());
    const d = dequeueSharedQueue(first.id);
    this.note("dequeue", d.status.toString() + "/" + d.data.byteLength.toString());
    return this.reply();
  }

  callouts(): Action {
    // Each dispatch follows one that worked, so a refused one must not report the token the
    // last one left behind.
    const headers = [new Header(":method", "GET"), new Header(":path", "/x"), new Header(":authority", "callout")];
    const first = this.dispatchHttpCall("callout", headers, null, [], 1000);
    this.note("http-first", first.status.toString() + "/" + (first.token > 0 ? "token" : "0"));
    const second = this.dispatchHttpCall("callout", headers, bytesOf("b"), [new Header("x-trailer", "t")], 1000);
    this.note("http-second", second.status.toString() + "/" + (second.token > 0 ? "token" : "0"));
    const grpc = this.dispatchGrpcCall("grpc", "probe.Service", "Call", [new Header("x-md", "call")], bytesOf("m"), 1000);
    this.note("grpc-call", grpc.status.toString() + "/" + (grpc.token > 0 ? "token" : "0"));
    const stream = this.openGrpcStream("grpc", "probe.Service", "Stream", [new Header("x-md", "stream")]);
    this.note("grpc-stream", stream.status.toString() + "/" + (stream.token > 0 ? "token" : "0"));
    this.note("grpc-send", grpcSend(stream.token, bytesOf("m")).toString());
    this.note("grpc-send-last", grpcSend(stream.token, bytesOf("n"), true).toString());
    this.note("grpc-close", grpcClose(stream.token).toString());
    this.note("grpc-cancel", grpcCancel(grpc.token).toString());
    return this.reply();
  }

  /** A header batch left open before each dispatch: the map the host holds when the call is
   *  made carries the batch's edit (the test's cluster handlers read it). */
  calloutsAfterBatch(): Action {
    const h = this.request.headers;
    const headers = [new Header(":method", "GET"), new Header(":path", "/x"), new Header(":authority", "callout")];
    h.batch();
    h.set("x-batch", "http");
    this.dispatchHttpCall("callout", headers, null, [], 1000);
    h.batch();
    h.set("x-batch", "grpc-call");
    this.dispatchGrpcCall("grpc", "probe.Service", "Call", [], bytesOf("m"), 1000);
    h.batch();
    h.set("x-batch", "grpc-stream");
    this.openGrpcStream("grpc", "probe.Service", "Stream", []);
    return Action.Continue;
  }

  foreign(): Action {
    const f = callForeignFunction("probe_echo", bytesOf("ping"));
    this.note("call", f.status.toString() + "/" + String.UTF8.decode(f.result));
    this.note("filter-state", setEnvoyFilterState("envoy.string", "fs-value").toString());
    const check = verifySignature("sha256", bytesOf("key"), bytesOf("sig"), bytesOf("text"));
    this.note("verify", check.status.toString() + "/" + (check.valid ? "valid" : "invalid") + "/" + check.error);
    return this.reply();
  }
}

registerRootContext((id: u32): RootContext => new ProbeRoot(id));

// The SDK safety module: each request path exercises one guarantee of the SDK's public API
// (lossless strings, header writes that cannot inject, resuming a paused request from
// anywhere, buffering limits, streaming byte replacement), so test/sdk/safety.test.ts can run
// the same requests on the test host and on real Envoy. Results the client cannot see are
// reported as `x-probe-*` response headers.

import {
  Action,
  ByteReplacer,
  Header,
  HeaderMap,
  HttpContext,
  Overflow,
  PropertyPath,
  Protected,
  RootContext,
  Status,
  enqueueSharedQueue,
  getProperty,
  getPropertyString,
  httpCallResponse,
  log,
  registerRootContext,
  registerSharedQueue,
  setMemoryLimit,
} from "../../../../assembly";

export * from "../../../../assembly/exports";

/** For each name: getBytesInto into buffers of 0, 3 and 64 bytes (the length or -1, and the
 *  bytes copied), then hasBytes and getBytes, for the header-reads test to check against. */
function intoReport(h: HeaderMap, names: string[]): string {
  // 3 first: the callback's first read goes to the host alone and copies from its answer.
  const sizes: i32[] = [3, 0, 64];
  let out = "";
  for (let i = 0; i < names.length; i++) {
    const name = String.UTF8.encode(names[i]);
    for (let k = 0; k < sizes.length; k++) {
      const buf = new ArrayBuffer(sizes[k]);
      const n = h.getBytesInto(name, buf);
      // The whole buffer: what was copied, then the zeros nothing may have written over.
      out += (out.length > 0 ? ";" : "") + n.toString() + ":" + hex(buf);
    }
    out += ";" + (h.hasBytes(name) ? "has" : "not") + "=" + hex(h.getBytes(name));
  }
  return out;
}

function hex(b: ArrayBuffer | null): string {
  if (b === null) return "null";
  let out = "";
  const view = Uint8Array.wrap(b);
  for (let i = 0; i < view.length; i++) {
    const v = view[i];
    out += (v < 16 ? "0" : "") + v.toString(16);
  }
  return out;
}

const PROBE_PROPERTY = new PropertyPath(["request", "headers", "x-probe"]);

class SdkRoot extends RootContext {
  /** Requests waiting for the next tick, and what to do with each. */
  resumeOnTick: SdkStream[] = [];
  replyOnTick: SdkStream[] = [];
  /** Requests waiting for the queue. */
  resumeOnQueue: SdkStream[] = [];
  /** Requests waiting for a callout the root made. */
  resumeOnCallout: SdkStream[] = [];
  queueId: u32 = 0;
  streamRedactor: ByteReplacer = new ByteReplacer([String.UTF8.encode("secret")], String.UTF8.encode("[x]"));

  onConfigure(size: u32): bool {
    this.queueId = registerSharedQueue("sdk_resume").id;
    this.setTickPeriod(20);
    // A budget a little above what the VM holds now: /memory/read goes past it.
    setMemoryLimit((<u64>memory.size() << 16) + (256 << 10));
    return true;
  }

  onTick(): void {
    for (let i = 0; i < this.resumeOnTick.length; i++) this.resumeOnTick[i].continueRequest();
    this.resumeOnTick = [];
    for (let i = 0; i < this.replyOnTick.length; i++) {
      this.replyOnTick[i].sendLocalResponse(429, "replied from onTick\n", [new Header("x-probe-from", "tick")]);
    }
    this.replyOnTick = [];
  }

  onQueueReady(queueId: u32): void {
    for (let i = 0; i < this.resumeOnQueue.length; i++) this.resumeOnQueue[i].continueRequest();
    this.resumeOnQueue = [];
  }

  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {
    const status = httpCallResponse.headers.get(":status");
    log.info("sdk: root callout answered {}", status === null ? "none" : status);
    for (let i = 0; i < this.resumeOnCallout.length; i++) this.resumeOnCallout[i].continueRequest();
    this.resumeOnCallout = [];
  }

  createHttpContext(id: u32): HttpContext | null {
    return new SdkStream(id, this);
  }
}

class SdkStream extends HttpContext {
  path: string = "";
  intoNames: string[] = [];
  notes: Header[] = [];

  get sdkRoot(): SdkRoot {
    return this.root as SdkRoot;
  }

  note(key: string, value: string): void {
    this.notes.push(new Header("x-probe-" + key, value));
  }

  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    const p = this.request.headers.get(":path");
    this.path = p === null ? "" : p;
    const path = this.path;
    const root = this.sdkRoot;
    if (path == "/utf8/header") {
      const s = this.request.headers.get("x-probe");
      this.note("string", s === null ? "null" : hex(String.UTF8.encode(s)));
      this.note("bytes", hex(this.request.headers.getBytes(String.UTF8.encode("x-probe"))));
      const all = this.request.headers.pairs();
      for (let i = 0; i < all.length; i++) {
        if (all[i].name == "x-probe") this.note("pairs", hex(String.UTF8.encode(all[i].value)));
      }
      const prop = getPropertyString(PROBE_PROPERTY);
      this.note("property", prop === null ? "null" : hex(String.UTF8.encode(prop)));
      this.note("property-bytes", hex(getProperty(PROBE_PROPERTY)));
    } else if (path == "/reads/several") {
      // Several reads, a write, a read that must see the write (header reads, host calls).
      const h = this.request.headers;
      const a = h.get("x-read-a");
      const b = h.getBytes(String.UTF8.encode("X-Read-B"));
      const absent = h.has("x-read-absent");
      h.add("x-read-c", "3");
      const c = h.get("x-read-c");
      this.note("reads", (a === null ? "<null>" : a) + "," + (b === null ? "<null>" : String.UTF8.decode(b)) +
        "," + (absent ? "yes" : "no") + "," + (c === null ? "<null>" : c));
    } else if (path == "/reads/into") {
      // getBytesInto and hasBytes against getBytes, into buffers of 0, 3 and 64 bytes: the
      // length (or -1) and the bytes copied, for each name of x-into-names (comma-separated).
      // The response's map is read the same way in onResponseHeaders, where the first read
      // of the callback asks the host for one value.
      const list = this.request.headers.get("x-into-names");
      this.intoNames = list === null ? new Array<string>(0) : list.split(",");
      this.note("into", intoReport(this.request.headers, this.intoNames));
    } else if (path == "/utf8/body") {
      if (!endOfStream) this.bufferRequestBody();
    } else if (path == "/inject/local") {
      const status = this.sendLocalResponse(403, "refused\n", [
        new Header("x-first", "yes"),
        new Header("x-a\r\nx-injected", "1"),
        new Header("x-b", "v\r\nx-injected: 1"),
        new Header("content-length", "999"),
        new Header(":status", "200"),
        new Header("x-good", "yes"),
      ]);
      log.info("sdk: local reply status {}", status.toString());
      return Action.Pause;
    } else if (path == "/inject/local-first") {
      // Only the first header is refused: the check must look at every header, the first too.
      const status = this.sendLocalResponse(403, "refused\n", [
        new Header("x-a\r\nx-injected", "1"),
        new Header("x-good", "yes"),
      ]);
      log.info("sdk: first-header local reply status {}", status.toString());
      return Action.Pause;
    } else if (path == "/resume/tick") {
      root.resumeOnTick.push(this);
      return Action.Pause;
    } else if (path == "/resume/reply-tick") {
      root.replyOnTick.push(this);
      return Action.Pause;
    } else if (path == "/resume/queue") {
      root.resumeOnQueue.push(this);
      enqueueSharedQueue(root.queueId, String.UTF8.encode("go"));
      return Action.Pause;
    } else if (path == "/resume/root-callout") {
      root.resumeOnCallout.push(this);
      const d = root.dispatchHttpCall(
        "callout",
        [new Header(":method", "GET"), new Header(":path", "/check"), new Header(":authority", "callout")],
        null,
        [],
        5000,
      );
      if (!d.ok) {
        this.sendLocalResponse(500, "dispatch failed " + d.status.toString() + "\n");
      }
      return Action.Pause;
    } else if (path == "/limit/reject") {
      this.bufferRequestBody(16);
    } else if (path == "/limit/pass") {
      this.bufferRequestBody(16, Overflow.PassThrough);
    } else if (path == "/limit/default" || path == "/limit/trailers") {
      this.bufferRequestBody();
    } else if (path == "/memory/read") {
      this.bufferRequestBody(8 << 20);
    } else if (path == "/stream/redact") {
      // Not buffered: the body arrives in chunks and may change length.
      this.request.headers.remove("content-length");
    }
    return Action.Continue;
  }

  onRequestBody(bodySize: u32, endOfStream: bool): Action {
    const path = this.path;
    if (path == "/utf8/body") {
      // The string form, written back: ill-formed bytes come back as U+FFFD, nothing lost.
      this.request.body.replaceString(this.request.body.readString());
    } else if (path == "/memory/read") {
      log.info("sdk: read {} bytes", this.request.body.read().byteLength.toString());
    } else if (path == "/limit/pass" || path == "/limit/default") {
      log.info("sdk: body callback ran with {} bytes", bodySize.toString());
    } else if (path == "/limit/trailers") {
      log.info(
        "sdk: body callback ran with {} bytes, {}",
        bodySize.toString(),
        endOfStream ? "the end" : "more to come",
      );
    } else if (path == "/stream/redact") {
      return this.sdkRoot.streamRedactor.applyTo(this.request.body, endOfStream);
    }
    return Action.Continue;
  }

  onRequestTrailers(numTrailers: u32): Action {
    if (this.path == "/limit/trailers") log.info("sdk: {} trailers", numTrailers.toString());
    return Action.Continue;
  }

  onResponseBody(bodySize: u32, endOfStream: bool): Action {
    if (this.path.startsWith("/limit/response")) {
      log.info("sdk: response body callback ran with {} bytes", bodySize.toString());
    }
    return Action.Continue;
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    const h = this.response.headers;
    // A response body buffered with a limit of 16 bytes (the echo's is longer).
    if (this.path == "/limit/response-pass") this.bufferResponseBody(16, Overflow.PassThrough);
    if (this.path == "/limit/response-reject") this.bufferResponseBody(16);
    if (this.path == "/reads/response-bytes") {
      // The callback's one read, in the bytes form: one value asked of the host.
      h.set("x-probe-first", hex(h.getBytes(String.UTF8.encode("X-Resp"))));
    }
    if (this.path == "/reads/into") {
      const report = intoReport(h, this.intoNames);
      h.set("x-probe-into-response", report.length > 0 ? report : "-");
    }
    if (this.path == "/inject/set") {
      const results: Status[] = [
        h.set("x-a\r\nx-injected", "1"),
        h.set("x-a", "1\r\nx-injected: 1"),
        h.set("x-a", "1\nx-injected: 1"),
        h.set("x-nul", "a\0b"),
        h.set("bad name", "1"),
        h.set("", "1"),
        h.set(":status", "502"),
        h.set("content-length", "999"),
        h.set("Transfer-Encoding", "chunked"),
        h.set("host", "evil"),
        h.add("x-a", "1\r\nx-injected: 1"),
        h.setBytes(String.UTF8.encode("x-a"), String.UTF8.encode("1\r\nx-injected: 1")),
        h.addBytes(String.UTF8.encode(":status"), String.UTF8.encode("502")),
        h.setPairs([new Header(":status", "200"), new Header("x-a", "1\r\n")], Protected.Allow),
      ];
      let refused = 0;
      for (let i = 0; i < results.length; i++) if (results[i] == Status.BadArgument) refused++;
      this.note("refused", refused.toString() + "/" + results.length.toString());
      this.note("allowed-status", h.set(":status", "202", Protected.Allow).toString());
      this.note("ok", h.set("x-fine", "tab\tand text é").toString());
    }
    for (let i = 0; i < this.notes.length; i++) h.add(this.notes[i].name, this.notes[i].value);
    return Action.Continue;
  }
}

registerRootContext((id: u32): RootContext => new SdkRoot(id));

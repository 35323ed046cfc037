// redact-body: replaces every occurrence of configured words in request bodies with a
// mask, which usually changes the body's length.
// It shows whole-body buffering with a limit: the SDK lets the headers go on without
// Content-Length (so the proxy frames the rewritten body itself, chunked on HTTP/1.1), holds
// the body until it is complete (up to 1 MiB; larger bodies are refused with 413) and hands it
// over once. The rewrite works on the bytes (ByteReplacer), so a body that is not UTF-8 is
// redacted and passed on byte for byte, and a mask of any length fits.
//
// Configuration (JSON): {"words": ["secret"], "mask": "[redacted]"}.

import {
  Action,
  ByteReplacer,
  Counter,
  HttpContext,
  RootContext,
  log,
  readConfig,
  registerRootContext,
} from "../../../assembly";

export * from "../../../assembly/exports";

/** Bodies changed; Prometheus shows it as `redact_body_redactions`. */
const redactions = new Counter("redact_body_redactions");

class Root extends RootContext {
  redactor: ByteReplacer = new ByteReplacer([], new ArrayBuffer(0));

  onConfigure(size: u32): bool {
    const config = readConfig(this.pluginConfiguration());
    const words = config.stringArray("words");
    const mask = config.string("mask", "[redacted]");
    config.unknownKeys(["words", "mask"]);
    for (let i = 0; config.ok && i < words.length; i++) {
      if (words[i].length == 0) config.fail("words[" + i.toString() + "]", "must not be empty");
    }
    if (!config.ok) {
      log.error(config.firstError);
      return false;
    }
    // Encoded once here; each request only compares bytes.
    const needles = new Array<ArrayBuffer>(words.length);
    for (let i = 0; i < words.length; i++) needles[i] = String.UTF8.encode(words[i]);
    this.redactor = new ByteReplacer(needles, String.UTF8.encode(mask));
    return true;
  }

  createHttpContext(id: u32): HttpContext | null {
    return new RedactBody(id, this);
  }
}

class RedactBody extends HttpContext {
  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    if (!endOfStream) this.bufferRequestBody();
    return Action.Continue;
  }

  onRequestBody(bodySize: u32, endOfStream: bool): Action {
    const redactor = (this.root as Root).redactor;
    const action = redactor.applyTo(this.request.body, endOfStream);
    if (redactor.matches > 0) redactions.increment();
    return action;
  }
}

registerRootContext((id: u32): RootContext => new Root(id));

// redact-body: replaces every occurrence of configured words in request bodies with a
// mask, which usually changes the body's length.
// It shows whole-body buffering: the SDK holds the headers until the body is complete,
// hands it over once, and sets Content-Length to the new length after the rewrite.
//
// Configuration (JSON): {"words": ["secret"], "mask": "[redacted]"}.

import { Action, Counter, HttpContext, RootContext, log, registerRootContext } from "../../../assembly";
import { readConfig } from "../../../assembly/config";

export * from "../../../assembly/exports";

const redactions = new Counter("redact_body_redactions");

class Root extends RootContext {
  words: string[] = [];
  mask: string = "[redacted]";

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
    this.words = words;
    this.mask = mask;
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
    const root = this.root as Root;
    const body = this.request.body.readString();
    let out = body;
    for (let i = 0; i < root.words.length; i++) {
      const word = unchecked(root.words[i]);
      if (out.includes(word)) {
        redactions.increment();
        out = out.replaceAll(word, root.mask);
      }
    }
    if (out != body) this.request.body.replaceString(out);
    return Action.Continue;
  }
}

registerRootContext((id: u32): RootContext => new Root(id));

// The header-map module: reads after the filter's own writes, repeated names, pseudo-headers
// and a map edited by another filter, each reported as `x-note-*` response headers, and which
// names each of a stream's maps joins (/inline/probe, logged). Used by
// test/sdk/header-edits.test.ts (host calls per pattern, a filter before this one in real
// Envoy) and the conformance suite (what the SDK answers against what the host holds).

import {
  Action,
  Header,
  HeaderBytes,
  HeaderMap,
  HttpContext,
  MapType,
  PropertyPath,
  Protected,
  RootContext,
  Status,
  getProperty,
  log,
  registerRootContext,
} from "../../../../assembly";
import {
  proxy_get_header_map_pairs,
  proxy_get_header_map_size,
  proxy_get_header_map_value,
  proxy_http_call,
  proxy_send_local_response,
  proxy_set_header_map_pairs,
} from "../../../../assembly/abi/imports";
import { deserializeHeaders, serializeHeaders } from "../../../../assembly/internal/pairs";

export * from "../../../../assembly/exports";

function str(s: string | null): string {
  return s === null ? "<null>" : s;
}

/** The entries whose names start with `prefix`, as "name=value" joined by ";". */
function listOf(pairs: Header[], prefix: string): string {
  const out = new Array<string>(0);
  for (let i = 0; i < pairs.length; i++) {
    const p = unchecked(pairs[i]);
    if (p.name.startsWith(prefix)) out.push(p.name + "=" + p.value);
  }
  return out.join(";");
}

/** The names of the pseudo-headers, in order, and whether they all come first. */
function pseudoOf(pairs: Header[]): string {
  const out = new Array<string>(0);
  let first = true;
  let regular = false;
  for (let i = 0; i < pairs.length; i++) {
    const name = unchecked(pairs[i]).name;
    if (name.startsWith(":")) {
      out.push(name);
      if (regular) first = false;
    } else regular = true;
  }
  return out.join(";") + (first ? "" : " (not first)");
}

const SCRATCH = memory.data(16);

/** The host's map as it is now, read with the raw ABI call (past the SDK's copy). */
/** Adds `n` headers outside the `x-b-` names the notes list: a batch's edits reach the count
 *  it writes as one whole map from (12) without changing what the notes show. */
function pad(h: HeaderMap, n: i32): void {
  for (let i = 0; i < n; i++) h.add("x-pad-" + i.toString(), "p");
}

/** The host's size of map `map` (Envoy: the sum of name and value lengths), asked directly. */
function hostSize(map: MapType): i32 {
  store<u32>(SCRATCH, 0);
  if (proxy_get_header_map_size(map, SCRATCH) != 0) return -1;
  return <i32>load<u32>(SCRATCH);
}

/** The same pairs in the bytes form. */
function asBytes(pairs: Header[]): HeaderBytes[] {
  const out = new Array<HeaderBytes>(0);
  for (let i = 0; i < pairs.length; i++) {
    const p = unchecked(pairs[i]);
    out.push(new HeaderBytes(String.UTF8.encode(p.name), String.UTF8.encode(p.value)));
  }
  return out;
}

/** `bytes` copied to memory the caller frees with heap.free. */
function blockOf(bytes: u8[]): usize {
  const data = heap.alloc(bytes.length);
  for (let j = 0; j < bytes.length; j++) store<u8>(data + j, unchecked(bytes[j]));
  return data;
}

function hostPairs(map: MapType): Header[] {
  store<u64>(SCRATCH, 0);
  if (proxy_get_header_map_pairs(map, SCRATCH, SCRATCH + 4) != 0) return new Array<Header>(0);
  const ptr = load<u32>(SCRATCH);
  const out = deserializeHeaders(ptr, load<u32>(SCRATCH, 4));
  if (ptr != 0) heap.free(ptr);
  return out;
}

/** Every entry of the host's map, as "name=value" joined by ";", names in `skip` left out. */
function entriesOf(pairs: Header[], skip: string[] = []): string {
  const out = new Array<string>(0);
  for (let i = 0; i < pairs.length; i++) {
    const p = unchecked(pairs[i]);
    if (!skip.includes(p.name)) out.push(p.name + "=" + p.value);
  }
  return out.join(";");
}

/** One value read with the raw ABI call (the host's lookup, past the SDK). */
function hostValue(map: MapType, name: string): string {
  const key = String.UTF8.encode(name);
  store<u64>(SCRATCH, 0);
  if (proxy_get_header_map_value(map, changetype<usize>(key), key.byteLength, SCRATCH, SCRATCH + 4) != 0) {
    return "<none>";
  }
  const ptr = load<u32>(SCRATCH);
  const out = String.UTF8.decodeUnsafe(ptr, load<u32>(SCRATCH, 4));
  if (ptr != 0) heap.free(ptr);
  return out;
}

/** The names of a space-separated list in header `name` of `h` (none when it is absent). */
function namesIn(h: HeaderMap, name: string): string[] {
  const list = h.get(name);
  return list === null || list.length == 0 ? new Array<string>(0) : list.split(" ");
}

/** Map `type` handed over whole as each of `names` twice ("1", then "2"), the entries the
 *  host then holds logged as `inline <kind> <status> <entries>`, and the map put back as it
 *  was (the stream goes on unchanged). */
function probeInline(h: HeaderMap, type: MapType, kind: string, names: string[]): void {
  if (names.length == 0) return;
  const before = hostPairs(type);
  const pairs = new Array<Header>(0);
  for (let i = 0; i < names.length; i++) {
    pairs.push(new Header(unchecked(names[i]), "1"));
    pairs.push(new Header(unchecked(names[i]), "2"));
  }
  const status = h.setPairs(pairs, Protected.Allow);
  log.info("inline " + kind + " " + status.toString() + " " + entriesOf(hostPairs(type)));
  h.setPairs(before, Protected.Allow);
}

/** Response names the two hosts' upstreams send differently, left out of the reports. */
const RESPONSE_SKIP = ["date", "server", "content-length", "content-type", "x-envoy-upstream-service-time"];

class MapsStream extends HttpContext {
  path: string = "";
  notes: Header[] = [];
  /** The names /inline/probe writes twice into the stream's later maps. */
  probeResponse: string[] = [];
  probeRequestTrailers: string[] = [];
  probeResponseTrailers: string[] = [];

  note(key: string, value: string): void {
    this.notes.push(new Header("x-note-" + key, value));
  }

  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    const h = this.request.headers;
    const p = h.get(":path");
    this.path = p === null ? "" : p.split("?")[0];
    const path = this.path;
    if (path == "/reads/edits") {
      // Reads, writes, reads again: the writes are applied to the copy the reads use.
      const a = h.get("x-e-a");
      const b = h.get("x-e-b");
      h.set("x-e-a", "new");
      h.add("x-e-d", "4");
      h.remove("x-e-b");
      h.add("X-E-Upper", "u");
      h.set("x-e-c", "c2");
      h.remove("x-e-absent");
      this.note("edits", str(a) + "," + str(b) + "," + str(h.get("x-e-a")) + "," + str(h.get("x-e-b")) +
        "," + str(h.get("X-E-UPPER")) + "," + h.getAll("x-e-d").join("|") + "," + listOf(h.pairs(), "x-e-"));
      this.note("edits-host", listOf(hostPairs(MapType.HttpRequestHeaders), "x-e-"));
    } else if (path == "/reads/edits-unsure") {
      // Writes whose effect the copy cannot tell (a second value of a name, a pseudo-header,
      // an empty value): the next read asks the host for the map again.
      const a = h.get("x-e-a");
      h.add("x-e-a", "2");
      const all = h.getAll("x-e-a").join("|");
      h.set(":path", "/reads/rewritten", Protected.Allow);
      const rewritten = h.get(":path");
      h.add("x-e-empty", "");
      const empty = h.get("x-e-empty");
      this.note("unsure", str(a) + "," + all + "," + str(rewritten) + "," + str(empty));
    } else if (path == "/reads/across") {
      // The copy ends with the callback: the body callback reads the map again.
      const a = h.get("x-e-a");
      const b = h.get("x-e-b");
      h.add("x-e-across", "1");
      this.note("across-headers", str(a) + "," + str(b) + "," + str(h.get("x-e-across")));
      // Held (not continued): the root's next tick reads the map and resumes the request.
      (this.root as MapsRoot).waiting.push(this);
      return Action.Pause;
    } else if (path == "/edits/order") {
      // What the SDK answers from its copy after each kind of write, against the host's map.
      h.get("x-o-a");
      h.get("x-o-b");
      h.set("x-o-a", "new");
      h.add("x-o-d", "4");
      h.remove("x-o-b");
      h.add("X-O-Upper", "u");
      h.add("x-o-m", "1");
      h.set("x-o-c", "c2");
      this.note("copy", listOf(h.pairs(), "x-o-"));
      this.note("host", listOf(hostPairs(MapType.HttpRequestHeaders), "x-o-"));
      h.add("x-o-m", "2");
      h.remove("x-o-c");
      this.note("multi", h.getAll("x-o-m").join("|") + "," + str(h.get("x-o-m")) + "," + listOf(h.pairs(), "x-o-"));
      h.set("x-o-m", "one");
      this.note("set-multi", h.getAll("x-o-m").join("|") + "," + listOf(h.pairs(), "x-o-"));
      h.add("x-o-m", "two");
      h.remove("X-O-M");
      this.note("removed-multi", h.getAll("x-o-m").length.toString() + "," + listOf(h.pairs(), "x-o-"));
      this.note("multi-host", listOf(hostPairs(MapType.HttpRequestHeaders), "x-o-"));
      h.set(":path", "/edits/order/rewritten", Protected.Allow);
      h.set("x-o-after-pseudo", "1");
      this.note("pseudo", str(h.get(":path")) + "," + pseudoOf(h.pairs()) + "," + str(h.get("x-o-after-pseudo")));
      this.note("pseudo-host", pseudoOf(hostPairs(MapType.HttpRequestHeaders)));
    } else if (path == "/pairs/inline") {
      // A whole map handed over: Envoy removes every header and adds each pair again, so
      // pseudo-headers gather at the front in the order given and repeats of a name it keeps
      // inline are joined ("," and nothing for an empty value); other repeats stay apart.
      const authority = h.get(":authority");
      const pairs: Header[] = [
        new Header("x-p-a", "1"),
        new Header(":method", "GET"),
        new Header(":scheme", "http"),
        new Header(":path", "/pairs/inline/done"),
        new Header(":authority", authority === null ? "" : authority),
        new Header("user-agent", "u1"),
        new Header("user-agent", "u2"),
        new Header("x-p-dup", "1"),
        new Header("x-p-dup", "2"),
        new Header("accept", ""),
        new Header("accept", "a2"),
        new Header("authorization", "t1"),
        new Header("authorization", ""),
        new Header("x-forwarded-for", "10.0.0.1"),
        new Header("x-forwarded-for", "10.0.0.2"),
        new Header("x-p-b", "2"),
        // Without it the route the write makes Envoy match again is not found.
        new Header("x-forwarded-proto", "http"),
      ];
      this.note("pairs-status", h.setPairs(pairs, Protected.Allow).toString());
      this.note("pairs-host", entriesOf(hostPairs(MapType.HttpRequestHeaders), [":authority"]));
      this.note("pairs-copy", entriesOf(h.pairs(), [":authority"]));
      this.note("pairs-count", h.pairs().length.toString());
    } else if (path == "/pairs/malformed") {
      // Pairs blocks that do not parse, each handed over raw and the map read back, then the
      // map put back as it was: shorter than the count, a count past the block, a size past it.
      const before = hostPairs(MapType.HttpRequestHeaders);
      const blocks: u8[][] = [
        [1, 0, 0],
        [2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 97, 0, 98, 0],
        [1, 0, 0, 0, 200, 0, 0, 0, 1, 0, 0, 0, 97, 0, 98, 0],
      ];
      const out = new Array<string>(0);
      for (let i = 0; i < blocks.length; i++) {
        const block = blocks[i];
        const data = blockOf(block);
        const status = proxy_set_header_map_pairs(MapType.HttpRequestHeaders, data, block.length);
        heap.free(data);
        out.push(status.toString() + "/" + hostPairs(MapType.HttpRequestHeaders).length.toString());
        h.setPairs(before, Protected.Allow);
      }
      this.note("malformed", out.join(","));
      this.note("malformed-after", hostPairs(MapType.HttpRequestHeaders).length == before.length ? "restored" : "changed");
    } else if (path == "/pairs/malformed-callout") {
      // A callout whose header block, then whose trailer block, does not parse.
      const good = serializeHeaders([
        new Header(":method", "GET"),
        new Header(":path", "/malformed"),
        new Header(":authority", "callout"),
      ]);
      const bad = blockOf([1, 0, 0]);
      const cluster = String.UTF8.encode("callout");
      const token = heap.alloc(4);
      const badHeaders = proxy_http_call(
        changetype<usize>(cluster), cluster.byteLength, bad, 3, 0, 0, 0, 0, 1000, token,
      );
      const badTrailers = proxy_http_call(
        changetype<usize>(cluster), cluster.byteLength, changetype<usize>(good), good.byteLength,
        0, 0, bad, 3, 1000, token,
      );
      heap.free(token);
      heap.free(bad);
      this.note("malformed-callout", badHeaders.toString() + "," + badTrailers.toString());
    } else if (path == "/pairs/malformed-reply") {
      // A local reply whose extra headers' block does not parse: logged, as the reply ends
      // the stream before a note could be added.
      const bad = blockOf([1, 0, 0]);
      const details = String.UTF8.encode("malformed");
      const body = String.UTF8.encode("teapot");
      const status = proxy_send_local_response(
        418, changetype<usize>(details), details.byteLength, changetype<usize>(body), body.byteLength,
        bad, 3, -1,
      );
      heap.free(bad);
      log.info("malformed reply status " + status.toString());
      return Action.Pause;
    } else if (path == "/pairs/add") {
      // One value more of names the client sent: joined into the entry for inline names.
      h.get("user-agent");
      h.get("x-p-dup");
      h.add("user-agent", "u2");
      h.add("x-forwarded-for", "10.0.0.9");
      h.add("x-p-dup", "2");
      h.add("accept", "");
      h.add("cache-control", "");
      h.add("cache-control", "c1");
      const skip = [":authority", "x-request-id", "x-forwarded-proto"];
      this.note("add-copy", entriesOf(h.pairs(), skip));
      this.note("add-host", entriesOf(hostPairs(MapType.HttpRequestHeaders), skip));
      // `host` names the authority in a request map.
      this.note("host-alias", hostValue(MapType.HttpRequestHeaders, "host") == str(h.get(":authority")) ? "authority" : "other");
    } else if (path == "/batch/edits") {
      // A batch: reads see its edits, the host's map holds none until the commit writes them
      // (as one whole map: seven edits the copy can tell).
      this.note("batch-before", h.batched ? "open" : "closed");
      this.note("batch-open", h.batch().toString());
      const a = h.get("x-b-a");
      // Each queued edit answers Ok (the host's answers come at the commit).
      const queued: Status[] = [
        h.set("x-b-a", "new"),
        h.add("x-b-d", "4"),
        h.remove("x-b-b"),
        h.add("X-B-Upper", "u"),
        h.set("x-b-c", "c2"),
        h.remove("x-b-absent"),
        h.add("x-b-e", "5"),
      ];
      pad(h, 5);
      this.note("batch-queued", queued.join(","));
      this.note("batch-reads", str(a) + "," + str(h.get("x-b-a")) + "," + str(h.get("x-b-b")) + "," + str(h.get("x-b-upper")));
      this.note("batch-copy", listOf(h.pairs(), "x-b-"));
      this.note("batch-held", listOf(hostPairs(MapType.HttpRequestHeaders), "x-b-"));
      this.note("batch-commit", h.commit().toString() + "," + (h.batched ? "open" : "closed"));
      this.note("batch-host", listOf(hostPairs(MapType.HttpRequestHeaders), "x-b-"));
      this.note("batch-after", listOf(h.pairs(), "x-b-"));
    } else if (path == "/batch/few") {
      // Fewer edits than a whole map is worth: written one call each at the commit.
      h.batch();
      h.add("x-b-d", "4");
      h.remove("x-b-b");
      this.note("few-held", listOf(hostPairs(MapType.HttpRequestHeaders), "x-b-"));
      this.note("few-commit", h.commit().toString());
      this.note("few-host", listOf(hostPairs(MapType.HttpRequestHeaders), "x-b-"));
      this.note("few-copy", listOf(h.pairs(), "x-b-"));
    } else if (path == "/batch/unsure") {
      // Edits whose outcome the copy cannot tell (a second value of a name, of an inline name,
      // a pseudo-header, an empty value): a read after them writes what is queued, one call
      // each, and reads the host's map; the batch goes on, and the end of the callback writes
      // the rest (no commit).
      h.batch();
      h.add("x-b-a", "2");
      h.add("user-agent", "u2");
      h.set(":path", "/batch/unsure/rewritten", Protected.Allow);
      h.add("x-b-empty", "");
      this.note("unsure-read", h.getAll("x-b-a").join("|") + "," + str(h.get("user-agent")) + "," + str(h.get(":path")));
      h.set("x-b-z", "z");
      h.add("x-b-y", "y");
      h.remove("x-b-b");
      h.add("x-b-x", "x");
      pad(h, 8);
      this.note("unsure-copy", listOf(h.pairs(), "x-b-"));
      this.note("unsure-open", h.batched ? "open" : "closed");
    } else if (path == "/batch/one-unsure") {
      // One queued edit the copy cannot tell (a second value): the read after it writes it to
      // the host first and reads the map the host then holds.
      h.batch();
      h.add("x-b-a", "2");
      this.note("one-unsure", h.getAll("x-b-a").join("|"));
      this.note("one-unsure-held", listOf(hostPairs(MapType.HttpRequestHeaders), "x-b-"));
    } else if (path == "/batch/twice") {
      // A commit with no batch open, a batch with nothing queued, and batch() again while a
      // batch is open in the same callback: Ok each time, the open batch left as it is.
      this.note("commit-none", h.commit().toString());
      h.batch();
      this.note("commit-empty", h.commit().toString());
      const sizeBefore = hostSize(MapType.HttpRequestHeaders);
      h.batch();
      h.add("x-b-d", "4");
      this.note("again", h.batch().toString());
      this.note("again-held", listOf(hostPairs(MapType.HttpRequestHeaders), "x-b-"));
      // The map's size counts the queued edit (name and value, 6 bytes): it is written first.
      this.note("size", (h.byteSize() - sizeBefore).toString());
      this.note("again-commit", h.commit().toString());
      this.note("again-host", listOf(hostPairs(MapType.HttpRequestHeaders), "x-b-"));
    } else if (path == "/batch/after-pairs") {
      // A pairs write inside a batch leaves the copy to be read again: the next queued edit
      // reads it first (or, when that read fails, goes to the host at once), so twelve edits
      // after it are still written as one whole map.
      h.batch();
      h.setPairs(h.pairs().concat([new Header("x-b-z", "z")]), Protected.Allow);
      for (let i = 0; i < 12; i++) h.set("x-b-k" + i.toString(), "k");
      this.note("after-pairs-commit", h.commit().toString());
      let count = 0;
      const held = hostPairs(MapType.HttpRequestHeaders);
      for (let i = 0; i < held.length; i++) if (held[i].name.startsWith("x-b-k")) count++;
      this.note("after-pairs-host", count.toString() + "," + str(h.get("x-b-z")));
    } else if (path == "/pairs/refused" || path == "/pairs/refused-bytes") {
      // A pairs write holding a header set would refuse (first or later in the list) is
      // refused whole; a batch's edits go first, and the copy answers what was written.
      const bytes = path == "/pairs/refused-bytes";
      const good = h.pairs();
      const first = [new Header("x-b-bad", "1\r\nx-injected: 1")].concat(good);
      const later = good.concat([new Header("x-b-bad", "1\r\nx-injected: 1")]);
      this.note("first", (bytes ? h.setPairsBytes(asBytes(first), Protected.Allow) : h.setPairs(first, Protected.Allow)).toString());
      this.note("later", (bytes ? h.setPairsBytes(asBytes(later), Protected.Allow) : h.setPairs(later, Protected.Allow)).toString());
      this.note("refused-host", listOf(hostPairs(MapType.HttpRequestHeaders), "x-b-"));
      h.batch();
      h.add("x-b-d", "4");
      const next = good.concat([new Header("x-b-z", "z")]);
      this.note("written", (bytes ? h.setPairsBytes(asBytes(next), Protected.Allow) : h.setPairs(next, Protected.Allow)).toString());
      this.note("written-copy", str(h.get("x-b-z")) + "," + str(h.get("x-b-d")));
      this.note("written-open", h.batched ? "open" : "closed");
    } else if (path == "/batch/property") {
      // A property read sees the map as the filter left it: the batch is written first.
      h.batch();
      h.set("x-b-p", "after");
      h.add("x-b-q", "1");
      h.add("x-b-r", "2");
      h.remove("x-b-b");
      pad(h, 8);
      const p = getProperty(new PropertyPath(["request", "headers", "x-b-p"]));
      this.note("property", p === null ? "<null>" : String.UTF8.decode(p));
      this.note("property-open", h.batched ? "open" : "closed");
      h.add("x-b-s", "3");
    } else if (path == "/batch/bad") {
      // Refused writes in a batch are refused at once, named in the log, and not queued.
      h.batch();
      const bad = h.set("x-b-bad", "a\r\nx-injected: 1");
      const badName = h.addBytes(String.UTF8.encode("x b"), String.UTF8.encode("v"));
      h.add("x-b-ok", "1");
      this.note("bad", bad.toString() + "," + badName.toString() + "," + str(h.get("x-b-bad")) + "," + str(h.get("x-b-ok")));
    } else if (path == "/edits/many") {
      // More writes than the copy logs (256): from then on the copy is dropped and the next
      // read reads the map again.
      h.get("x-e-a");
      h.get("x-e-a");
      for (let i = 0; i < 300; i++) h.set("x-m-" + i.toString(), i.toString());
      let count = 0;
      const all = h.pairs();
      for (let i = 0; i < all.length; i++) if (all[i].name.startsWith("x-m-")) count++;
      this.note("many", str(h.get("x-m-0")) + "," + str(h.get("x-m-255")) + "," + str(h.get("x-m-299")) + "," + count.toString());
    } else if (path == "/inline/probe") {
      // Which names each map joins: the names to write twice into each map come in headers.
      this.probeResponse = namesIn(h, "x-probe-response");
      this.probeRequestTrailers = namesIn(h, "x-probe-request-trailers");
      this.probeResponseTrailers = namesIn(h, "x-probe-response-trailers");
      probeInline(h, MapType.HttpRequestHeaders, "request-headers", namesIn(h, "x-probe-request"));
    } else if (path == "/edits/other-filter") {
      // Another filter ran before this one: every read answers what it left in the map.
      h.get("x-o-a");
      h.get("x-o-b");
      h.add("x-o-ours", "1");
      this.note("seen", listOf(h.pairs(), "x-o-"));
    }
    return Action.Continue;
  }

  /** From the root's onTick, another callback: reads the held request's map, resumes it. */
  resume(): void {
    const h = this.request.headers;
    this.note("across-tick", str(h.get("x-e-across")) + "," + str(h.get("x-e-a")) + "," + listOf(h.pairs(), "x-e-"));
    this.continueRequest();
  }

  onRequestTrailers(numTrailers: u32): Action {
    probeInline(this.request.trailers, MapType.HttpRequestTrailers, "request-trailers", this.probeRequestTrailers);
    return Action.Continue;
  }

  onResponseTrailers(numTrailers: u32): Action {
    probeInline(this.response.trailers, MapType.HttpResponseTrailers, "response-trailers", this.probeResponseTrailers);
    return Action.Continue;
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    const h = this.response.headers;
    probeInline(h, MapType.HttpResponseHeaders, "response-headers", this.probeResponse);
    if (this.path == "/pairs/response") {
      // The response map handed over whole, with repeats of inline and other names.
      const pairs = h.pairs();
      pairs.push(new Header("cache-control", "a"));
      pairs.push(new Header("x-r-dup", "1"));
      pairs.push(new Header("cache-control", "b"));
      pairs.push(new Header("x-r-dup", "2"));
      pairs.push(new Header("vary", "v1"));
      pairs.push(new Header("vary", "v2"));
      this.note("response-status", h.setPairs(pairs, Protected.Allow).toString());
      this.note("response-host", entriesOf(hostPairs(MapType.HttpResponseHeaders), RESPONSE_SKIP));
      this.note("response-copy", entriesOf(h.pairs(), RESPONSE_SKIP));
    }
    for (let i = 0; i < this.notes.length; i++) h.add(this.notes[i].name, this.notes[i].value);
    return Action.Continue;
  }
}

class MapsRoot extends RootContext {
  waiting: MapsStream[] = [];

  onConfigure(size: u32): bool {
    this.setTickPeriod(10);
    return true;
  }

  onTick(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (let i = 0; i < waiting.length; i++) unchecked(waiting[i]).resume();
  }

  createHttpContext(id: u32): HttpContext | null {
    return new MapsStream(id, this);
  }
}

registerRootContext((id: u32): RootContext => new MapsRoot(id));

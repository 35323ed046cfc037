// Header actions: read from configuration once, applied to the request or response headers.
//
//   {"set": "x-version", "value": "v2-{header:x-user}"}     replace every value (add if absent)
//   {"add_if_absent": "x-a", "value": "1"}                  only when x-a is not there
//   {"append": "x-a", "value": "2"}                         one more value, keep the others
//   {"overwrite": "x-a", "value": "3"}                      only when x-a is there
//   {"remove": "x-debug"}
//   {"remove_matching": {"prefix": "x-internal-"}}          every header whose name matches
//   {"rename": "x-old", "to": "x-new"}                      move every value
//   {"copy": "x-user", "to": "x-forwarded-user"}            copy every value
//   {"split": "x-route-bucket", "by": "cookie:uid",         sticky weighted buckets
//    "buckets": [{"value": "canary", "weight": 10}, {"value": "stable", "weight": 90}]}
//
// Reads (templates, the source of copy and rename, the names remove_matching sees) use the
// message as it arrived; add_if_absent and overwrite look at the headers as earlier actions
// left them. Protected names (pseudo-headers, host, x-envoy-*, content-length,
// transfer-encoding) are written only when the configuration allows them, and never removed
// when they are pseudo-headers or host.

import { ConfigReader, HeaderMap, Protected, Status, quoteJsonString } from "../../../assembly";
import { StringMatcher, readStringMatcher } from "../../lib/matchers";
import { Template, parseTemplate } from "./template";
import { Source, parseSource } from "./sources";
import { HEADER_ABSENT, HEADER_SAME, MessageView, equalLowerAt, sameBytes } from "./view";

export enum Verb {
  Set = 0,
  AddIfAbsent = 1,
  Append = 2,
  Overwrite = 3,
  Remove = 4,
  RemoveMatching = 5,
  Rename = 6,
  Copy = 7,
  Split = 8,
}

const VERBS: string[] = [
  "set",
  "add_if_absent",
  "append",
  "overwrite",
  "remove",
  "remove_matching",
  "rename",
  "copy",
  "split",
];

/** What an action did: flags, since remove_matching may both remove and refuse. */
export enum Outcome {
  Nothing = 0,
  Applied = 1,
  Refused = 2,
}

/** Most buckets of one split; weights are integers 0..MAX_WEIGHT. */
export const MAX_BUCKETS: i32 = 32;
export const MAX_WEIGHT: i64 = 1_000_000;
/** Longest template text. */
export const MAX_TEMPLATE: i32 = 4096;

const NO_VALUE = new ArrayBuffer(0);
const NO_BUCKET_VALUES = new Array<ArrayBuffer>(0);
const NO_BUCKET_ENDS = new Array<u32>(0);

/** Which protected names the configuration lets actions write. */
export class AllowList {
  constructor(
    public readonly exact: string[],
    public readonly prefixes: string[],
  ) {}

  allows(name: string): bool {
    if (this.exact.includes(name)) return true;
    for (let i = 0; i < this.prefixes.length; i++) if (name.startsWith(unchecked(this.prefixes[i]))) return true;
    return false;
  }
}

/** Whether `name` (lower case) is protected: the proxy routes, frames or trusts it. */
export function isProtected(name: string): bool {
  return (
    name.startsWith(":") ||
    name == "host" ||
    name.startsWith("x-envoy-") ||
    name == "content-length" ||
    name == "transfer-encoding"
  );
}

/** Whether `name` may never be removed, even when allowed (Envoy's rule too). */
export function neverRemoved(name: string): bool {
  return name.startsWith(":") || name == "host";
}

/** One action; immutable. */
export class HeaderAction {
  name: string = "";
  // Defaults are shared (read-only) objects: every object of the configuration is visited at
  // each garbage collection, so none is made that the action does not use.
  nameBytes: ArrayBuffer = NO_VALUE;
  to: string = "";
  toBytes: ArrayBuffer = NO_VALUE;
  value: Template | null = null;
  skipOnMissing: bool = false;
  names: StringMatcher | null = null;
  by: Source | null = null;
  bucketValues: ArrayBuffer[] = NO_BUCKET_VALUES; // a split's own arrays, made in readSplit
  bucketEnds: u32[] = NO_BUCKET_ENDS;
  // How `name` and `to` may be written (a Protected value, or -1: refused), fixed by the
  // configuration's allow list: set once by `guard`, so no write compares names per request.
  nameGuard: i32 = -1;
  toGuard: i32 = -1;
  constructor(public readonly verb: Verb) {}

  /** Fixes how this action's names may be written under `allow` (at configure). */
  guard(allow: AllowList): void {
    this.nameGuard = writeGuard(this.name, allow);
    this.toGuard = writeGuard(this.to, allow);
  }

  /** The action for a log line: verb and target (never a value: it may be a secret). */
  describe(): string {
    const verb = VERBS[<i32>this.verb];
    return this.verb == Verb.RemoveMatching ? verb : verb + " " + quoteJsonString(this.name);
  }

  /** The value a split chooses for `view`, or null when its key is missing. */
  bucket(view: MessageView): ArrayBuffer | null {
    if (!view.single(this.by!)) return null;
    const total = this.bucketEnds[this.bucketEnds.length - 1];
    const point = stickyHashAt(view.ptr, view.len) % total;
    for (let i = 0; i < this.bucketEnds.length; i++) {
      if (point < unchecked(this.bucketEnds[i])) return unchecked(this.bucketValues[i]);
    }
    return null; // unreachable: point < total
  }

  /** What the action needs from the request, resolved now (templates and splits read the
   *  request even when they write the response). */
  resolve(view: MessageView): ArrayBuffer | null {
    if (this.verb == Verb.Split) return this.bucket(view);
    const t = this.value;
    if (t === null) return null;
    const r = t.render(view);
    return view.missing && this.skipOnMissing ? null : r;
  }

  /**
   * Applies the action to `map`. `value` is what `resolve` gave; `current` is the map as it
   * arrived (the message's snapshot).
   */
  apply(map: HeaderMap, value: ArrayBuffer | null, current: MessageView, allow: AllowList, touched: Touched): Outcome {
    const verb = this.verb;
    if (verb == Verb.Remove) {
      const known = touched.untouched(this.nameBytes);
      if (known && current.compareHeader(this.nameBytes, NO_VALUE) == HEADER_ABSENT) return Outcome.Nothing;
      return this.removeOne(map, this.name, this.nameBytes, allow, known, touched);
    }
    if (verb == Verb.RemoveMatching) return this.removeMatching(map, current, allow, touched);
    if (verb == Verb.Rename || verb == Verb.Copy) {
      const values = new Array<ArrayBuffer>(0);
      current.startPairs();
      while (current.nextPair()) {
        if (<usize>current.nameLen != <usize>this.nameBytes.byteLength) continue;
        if (!equalLowerAt(current.namePtr, changetype<usize>(this.nameBytes), <usize>current.nameLen)) continue;
        values.push(copyOut(current.ptr, current.len));
      }
      if (values.length == 0) return Outcome.Nothing;
      if (verb == Verb.Rename && (neverRemoved(this.name) || (isProtected(this.name) && !allow.allows(this.name)))) {
        return Outcome.Refused;
      }
      const guard = this.toGuard;
      if (guard < 0) return Outcome.Refused;
      for (let i = 0; i < values.length; i++) if (badValue(unchecked(values[i]))) return Outcome.Refused;
      touched.note(this.toBytes);
      if (verb == Verb.Rename) touched.note(this.nameBytes);
      map.removeBytes(this.toBytes);
      for (let i = 0; i < values.length; i++) {
        if (map.addBytes(this.toBytes, unchecked(values[i]), <Protected>guard) != Status.Ok) return Outcome.Refused;
      }
      if (verb == Verb.Rename) map.removeBytes(this.nameBytes);
      return Outcome.Applied;
    }
    // set, add_if_absent, append, overwrite, split: write one value.
    if (value === null) return Outcome.Nothing;
    // The message as it arrived answers for a name no write of this callback touched; else
    // the map does (from the SDK's copy, kept up to date with our writes).
    const known = touched.untouched(this.nameBytes);
    const state = known ? current.compareHeader(this.nameBytes, value) : -1;
    if (verb == Verb.AddIfAbsent) {
      if (known ? state != HEADER_ABSENT : map.getBytes(this.nameBytes) !== null) return Outcome.Nothing;
    } else if (verb == Verb.Overwrite) {
      if (known ? state == HEADER_ABSENT : map.getBytes(this.nameBytes) === null) return Outcome.Nothing;
    }
    const guard = this.nameGuard;
    if (guard < 0 || badValue(value)) return Outcome.Refused;
    // Already the header's one value: writing it would change nothing (nor the route).
    if (state == HEADER_SAME && verb != Verb.Append) return Outcome.Nothing;
    touched.note(this.nameBytes);
    const status =
      verb == Verb.Append
        ? map.addBytes(this.nameBytes, value, <Protected>guard)
        : map.setBytes(this.nameBytes, value, <Protected>guard);
    return status == Status.Ok ? Outcome.Applied : Outcome.Refused;
  }

  // remove_matching: every name of the message as it arrived that the matcher accepts (names
  // lower-cased, each name once), tested in place; only a matching name becomes a string.
  private removeMatching(map: HeaderMap, current: MessageView, allow: AllowList, touched: Touched): Outcome {
    let outcome: i32 = 0;
    const names = this.names!;
    current.startPairs();
    for (let i = 0; current.nextPair(); i++) {
      const ptr = current.namePtr;
      const len = current.nameLen;
      const lowered = hasUpper(ptr, len) ? lowerCopy(ptr, len) : null;
      const at = lowered === null ? ptr : changetype<usize>(lowered);
      // Each name once: only at its first pair.
      if (!names.matchesAt(at, len) || current.indexOfName(at, len) != i) continue;
      const bytes = lowered !== null ? lowered : copyOut(ptr, len);
      // A name no write of this callback touched is there: the message as it arrived has it.
      const known = touched.untouched(bytes);
      outcome |= <i32>this.removeOne(map, String.UTF8.decode(bytes), bytes, allow, known, touched);
    }
    return <Outcome>outcome;
  }

  // `present`: the caller knows the header is there (else the map is asked).
  private removeOne(
    map: HeaderMap, name: string, bytes: ArrayBuffer, allow: AllowList, present: bool, touched: Touched,
  ): Outcome {
    if (!present && map.getBytes(bytes) === null) return Outcome.Nothing;
    if (neverRemoved(name) || (isProtected(name) && !allow.allows(name))) return Outcome.Refused;
    touched.note(bytes);
    return map.removeBytes(bytes) == Status.Ok ? Outcome.Applied : Outcome.Refused;
  }
}

/** Most names Touched keeps; past it, every name counts as touched. */
const MAX_TOUCHED: i32 = 32;

/**
 * The header names this filter's writes touched in the current callback (lower-case UTF-8,
 * the actions' own buffers): for every other name the message as it arrived (the view) still
 * tells what the map holds, with no read of the map. One per VM (callbacks never nest).
 */
export class Touched {
  private names: ArrayBuffer[] = new Array<ArrayBuffer>(0);
  private all: bool = true;

  /** Starts a callback; `viewIsMap`: the view is the map as it stands now. */
  reset(viewIsMap: bool): void {
    this.names.length = 0;
    this.all = !viewIsMap;
  }

  /** A write to `name` is about to be made. */
  note(name: ArrayBuffer): void {
    if (this.all) return;
    if (this.names.length >= MAX_TOUCHED) {
      this.all = true;
      return;
    }
    this.names.push(name);
  }

  /** Whether no write of this callback touched `name` (so the view answers for it). */
  untouched(name: ArrayBuffer): bool {
    if (this.all) return false;
    const names = this.names;
    const len = name.byteLength;
    for (let i = 0; i < names.length; i++) {
      const n = unchecked(names[i]);
      if (n.byteLength == len && sameBytes(changetype<usize>(n), changetype<usize>(name), <usize>len)) return false;
    }
    return true;
  }
}

// -1: refused; otherwise the Protected value to write `name` with.
function writeGuard(name: string, allow: AllowList): i32 {
  if (!isProtected(name)) return <i32>Protected.Refuse;
  return allow.allows(name) ? <i32>Protected.Allow : -1;
}

function copyOut(ptr: usize, len: i32): ArrayBuffer {
  const out = new ArrayBuffer(len);
  memory.copy(changetype<usize>(out), ptr, <usize>len);
  return out;
}

function hasUpper(ptr: usize, len: i32): bool {
  for (let i = 0; i < len; i++) if (<u32>load<u8>(ptr + <usize>i) - 0x41 < 26) return true;
  return false;
}

function lowerCopy(ptr: usize, len: i32): ArrayBuffer {
  const out = copyOut(ptr, len);
  const p = changetype<usize>(out);
  for (let i = 0; i < len; i++) {
    const c = <u32>load<u8>(p + <usize>i);
    if (c - 0x41 < 26) store<u8>(p + <usize>i, <u8>(c | 0x20));
  }
  return out;
}

// A value the proxy must not be handed: CR, LF or NUL would split or cut the header.
function badValue(v: ArrayBuffer): bool {
  const p = changetype<usize>(v);
  for (let i = 0; i < v.byteLength; i++) {
    const c = load<u8>(p + <usize>i);
    if (c == 0x0d || c == 0x0a || c == 0) return true;
  }
  return false;
}

/**
 * The split's hash: 32-bit FNV-1a over the key's bytes, then MurmurHash3's finalizer so that
 * keys differing only in their last characters (user-1, user-2, ...) spread over every bucket.
 * Stable across VMs, workers and restarts: a key always lands in the same bucket.
 */
export function stickyHash(key: ArrayBuffer): u32 {
  return stickyHashAt(changetype<usize>(key), key.byteLength);
}

/** `stickyHash` over `len` bytes at `p`. */
export function stickyHashAt(p: usize, len: i32): u32 {
  let h: u32 = 0x811c9dc5;
  for (let i = 0; i < len; i++) {
    h ^= <u32>load<u8>(p + <usize>i);
    h *= 0x01000193;
  }
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  h ^= h >> 16;
  return h;
}

/**
 * Reads the actions array at `key` of `rule`; `response` refuses split (a response cannot be
 * re-routed). Problems are recorded on `rule`. Meant for onConfigure.
 */
export function readActions(rule: ConfigReader, key: string, response: bool): HeaderAction[] {
  const out = new Array<HeaderAction>(0);
  const items = rule.array(key);
  if (items.length > 64) {
    rule.fail(key, "holds " + items.length.toString() + " actions; at most 64");
    return out;
  }
  for (let i = 0; i < items.length; i++) {
    const a = readAction(rule, key + "[" + i.toString() + "]", unchecked(items[i]), response);
    if (a !== null) out.push(a);
  }
  return out;
}

function readAction(parent: ConfigReader, key: string, cfg: ConfigReader, response: bool): HeaderAction | null {
  const before = cfg.allErrors.length;
  let verbName = "";
  for (let i = 0; i < VERBS.length; i++) {
    const v = unchecked(VERBS[i]);
    if (!cfg.has(v)) continue;
    if (verbName.length > 0) {
      cfg.fail(v, "only one of " + VERBS.join(", ") + " may be set (" + verbName + " is too)");
      return null;
    }
    verbName = v;
  }
  if (verbName.length == 0) {
    if (cfg.allErrors.length == before) parent.fail(key, "needs one of " + VERBS.join(", "));
    return null;
  }
  const verb = <Verb>VERBS.indexOf(verbName);
  const action = new HeaderAction(verb);
  if (verb == Verb.RemoveMatching) {
    cfg.unknownKeys(["remove_matching"]);
    action.names = readStringMatcher(cfg, "remove_matching");
    return cfg.allErrors.length > before ? null : action;
  }
  action.name = cfg.headerName(verbName, null, Protected.Allow);
  action.nameBytes = String.UTF8.encode(action.name);
  if (verb == Verb.Rename || verb == Verb.Copy) {
    cfg.unknownKeys([verbName, "to"]);
    action.to = cfg.headerName("to", null, Protected.Allow);
    action.toBytes = String.UTF8.encode(action.to);
    if (cfg.allErrors.length == before && action.to == action.name) {
      cfg.fail("to", quoteJsonString(action.to) + " is the header it reads");
    }
  } else if (verb == Verb.Remove) {
    cfg.unknownKeys([verbName]);
    if (cfg.allErrors.length == before && neverRemoved(action.name)) {
      cfg.fail(verbName, quoteJsonString(action.name) + " can never be removed (the proxy needs it)");
    }
  } else if (verb == Verb.Split) {
    cfg.unknownKeys([verbName, "by", "buckets"]);
    if (response) cfg.fail(verbName, "splits choose a route, so they act on request headers only");
    readSplit(cfg, action);
  } else {
    cfg.unknownKeys([verbName, "value", "on_missing"]);
    const text = cfg.string("value");
    const onMissing = cfg.oneOf("on_missing", ["empty", "skip"], "empty");
    action.skipOnMissing = onMissing == "skip";
    if (cfg.allErrors.length == before) {
      if (text.length > MAX_TEMPLATE) {
        cfg.fail("value", "is " + text.length.toString() + " characters long; at most " + MAX_TEMPLATE.toString());
      } else {
        const parsed = parseTemplate(text);
        if (parsed.template === null) cfg.fail("value", quoteJsonString(text) + ": " + parsed.error);
        action.value = parsed.template;
      }
    }
  }
  return cfg.allErrors.length > before ? null : action;
}

function readSplit(cfg: ConfigReader, action: HeaderAction): void {
  const before = cfg.allErrors.length;
  const by = cfg.string("by");
  if (cfg.allErrors.length == before) {
    const parsed = parseSource(by);
    if (parsed.source === null) cfg.fail("by", quoteJsonString(by) + ": " + parsed.error);
    action.by = parsed.source;
  }
  const buckets = cfg.array("buckets", true);
  if (cfg.allErrors.length > before) return;
  if (buckets.length < 2 || buckets.length > MAX_BUCKETS) {
    cfg.fail("buckets", "needs 2 to " + MAX_BUCKETS.toString() + " buckets, got " + buckets.length.toString());
    return;
  }
  let total: i64 = 0;
  action.bucketValues = new Array<ArrayBuffer>(0);
  action.bucketEnds = new Array<u32>(0);
  for (let i = 0; i < buckets.length; i++) {
    const b = unchecked(buckets[i]);
    b.unknownKeys(["value", "weight"]);
    const value = b.headerValue("value");
    const weight = b.requiredInteger("weight", 0, MAX_WEIGHT);
    total += weight;
    action.bucketValues.push(String.UTF8.encode(value));
    action.bucketEnds.push(<u32>total);
  }
  if (cfg.allErrors.length == before && total == 0) cfg.fail("buckets", "the weights add up to 0");
}

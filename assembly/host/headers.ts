// Header, trailer and metadata maps.
//
// A HeaderMap names one host map (request headers, response trailers, callout response
// headers, ...) and reads or writes it on the context the host is currently running.
// Names are lower-case in Envoy (HTTP/2 semantics), and pseudo-headers (":path",
// ":method", ":authority", ":scheme", ":status") are ordinary entries.
//
// Reads: the string forms decode with decodeUtf8 (ill-formed bytes become U+FFFD, nothing is
// cut); the bytes forms are the host's bytes exactly. Host calls are the cost that counts
// here (each crossing, plus the host's call back into malloc for the answer), so a map is read
// whole once when a callback reads it more than once: the first get in a read epoch (see
// internal/current.ts) asks the host for one value, the second reads the whole map
// (proxy_get_header_map_pairs) and that and every later get, has, getAll and pairs in the
// epoch are answered from that copy. Once an epoch read a map more than once, later epochs
// read it whole at their first get (one crossing and one malloc instead of two of each), so a
// filter that reads several headers per callback pays one read per callback from its second
// request on; after 16 epochs in a row that read one value, first gets read one value again.
// A new callback or a call that lets the host run (continue, local reply, another effective
// context, a foreign function) ends the epoch: the copy never outlives the callback it was
// read in, since other filters may change the map between two of ours. The SDK's own writes
// do not end it: each write the host accepted is applied to the copy as Envoy applies it to
// the map (internal/mapedits.ts), so reads after writes cost no host call; where Envoy's
// result cannot be told from the copy, the next read reads the map whole again. Answers are
// the host's: the first value, the name matched as the host matches it (lower-cased ASCII
// against the stored names). Writes are checked (see internal/headercheck.ts): a write that
// could inject a header or reframe the message is refused with Status.BadArgument and one
// warning log line that counts refusals so far.
//
// Batches (`batch()` ... `commit()`, see batch): edits queued on the copy and written
// together, as one proxy_set_header_map_pairs of the copy when there are BATCH_AS_MAP_FROM or
// more and the edit log can tell what Envoy's map becomes (Envoy removes every header and adds
// each pair again, so the copy must be what the edits one by one would leave), else one call
// per edit in order (host/headerbatch.ts), as unbatched.

import {
  proxy_add_header_map_value,
  proxy_get_header_map_pairs,
  proxy_get_header_map_size,
  proxy_get_header_map_value,
  proxy_remove_header_map_value,
  proxy_replace_header_map_value,
  proxy_set_header_map_pairs,
} from "../abi/imports";
import { LogLevel, MapType, Status } from "../abi/types";
import {
  Protected,
  escapeForLog,
  headerNameProblemAt,
  headerValueProblemAt,
} from "../internal/headercheck";
import { batchOpened, headersWritten, readEpoch, setBatchWriter } from "../internal/current";
import { EDIT_ADD, EDIT_REMOVE, EDIT_SET, EditLog, rebuiltCount, rebuiltSize } from "../internal/mapedits";
import {
  OUT_PTR,
  OUT_SIZE,
  armLanding,
  clearOut,
  copyBytes,
  disarmLanding,
  ensureRoom,
  freeHostBuffer,
  keepHostBuffer,
  ptrOf,
  takeOutBytes,
} from "../internal/memory";
import {
  Header,
  HeaderBytes,
  PairIndex,
  deserializeHeaderBytes,
  deserializeHeaders,
  findPairValue,
  findPairValues,
  pairCount,
  serializeHeaderBytes,
  serializeHeaders,
} from "../internal/pairs";
import { forgetHostBytes, noteHostBytes } from "../collect";
import { decodeUtf8, decodeUtf8At } from "../utf8";
import { replayEdits } from "./headerbatch";
import { logAt } from "./log";

let refusals: u32 = 0;

/** Epochs in a row that read a map once before its first read stops reading it whole. */
// @ts-ignore: decorator
@inline const SINGLE_READS_TO_FORGET: u32 = 16;

/** Edits logged against a copy before the copy is dropped instead (bounds the log's memory;
 *  the next read then reads the map whole). */
// @ts-ignore: decorator
@inline const MAX_LOGGED_EDITS: u32 = 256;

/** Reads of one copy of a map (between two of its changes) after which the next builds a hash
 *  index of its names, when it holds INDEX_FROM_PAIRS pairs or more: from then on a read hashes
 *  the name once instead of scanning the copy. */
// @ts-ignore: decorator
@inline const INDEX_FROM_READS: u32 = 4;
// @ts-ignore: decorator
@inline const INDEX_FROM_PAIRS: i32 = 16;

/** Batched edits written as one whole map from this many on; fewer go one call each. Envoy
 *  clears the map and adds every pair again for a pairs write: on a plain GET's map that cost
 *  the host as much as about 10 single edits (bench/README.md, "Header edits"), and a larger
 *  map costs more to rewrite. */
// @ts-ignore: decorator
@inline const BATCH_AS_MAP_FROM: u32 = 12;

/** Edits a batch queues before it writes them and goes on (bounds the queue's memory). */
// @ts-ignore: decorator
@inline const MAX_BATCHED: u32 = 256;

/** Maps that opened a batch since the last write of batches. */
const openBatches: HeaderMap[] = [];

function writeOpenBatches(): void {
  // Each map is in the list once (batch() adds it when it opens a batch); the order of maps
  // does not matter, each commit writes its own.
  while (openBatches.length > 0) openBatches.pop().commit();
}

// What a write does besides its host call is reached through these two, installed by the first
// batch (queueing) and the first whole read (keeping the copy true): a module that never opens
// a batch or reads a map whole compiles neither (the edit log, the copy's upkeep and the batch
// writer stay out of it, about 3 KiB), and a write costs one indirect call more.
/** Queues a write in the map's open batch; true when queued (see HeaderMap.queue). */
let queueWrite: (map: HeaderMap, kind: u32, name: ArrayBuffer, value: ArrayBuffer) => bool = noQueue;
/** Keeps the map's whole copy true after a write the host answered with `status`. */
let keepCopy: (map: HeaderMap, kind: u32, name: ArrayBuffer, value: ArrayBuffer, status: Status) => void = noCopy;

function noQueue(map: HeaderMap, kind: u32, name: ArrayBuffer, value: ArrayBuffer): bool {
  return false;
}

function noCopy(map: HeaderMap, kind: u32, name: ArrayBuffer, value: ArrayBuffer, status: Status): void {}

function queueInBatch(map: HeaderMap, kind: u32, name: ArrayBuffer, value: ArrayBuffer): bool {
  return map.queue(kind, name, value);
}

function copyKept(map: HeaderMap, kind: u32, name: ArrayBuffer, value: ArrayBuffer, status: Status): void {
  map.updateCopy(kind, name, value, status);
}

/** Whether a header write must be refused; logs it (one warning naming the header and the
 *  problem, with the count of refusals in this VM) when it is. */
function refusedWrite(name: ArrayBuffer, value: ArrayBuffer, allow: Protected, where: string): bool {
  let problem = headerNameProblemAt(ptrOf(name), <usize>name.byteLength, allow);
  let subject = "name";
  if (problem === null) {
    problem = headerValueProblemAt(ptrOf(value), <usize>value.byteLength);
    subject = "value of";
  }
  if (problem === null) return false;
  refusals++;
  logAt(
    LogLevel.Warn,
    "meshwasm: refused header write #" + refusals.toString() + " (" + where + "): " + subject +
      " \"" + escapeForLog(decodeUtf8(name)) + "\" " + problem,
  );
  return true;
}

/** Whether a header of a local reply or callout must be left out (logged as refused). */
export function refusedHeader(h: Header, allow: Protected, where: string): bool {
  return refusedWrite(String.UTF8.encode(h.name), String.UTF8.encode(h.value), allow, where);
}

/** HeaderMap.find: the read goes to the host (one value). */
const ASK_HOST: i64 = -2;

/** hasBytes: a read that copies nothing. */
const NO_ROOM = new ArrayBuffer(0);

/**
 * One of the host's header maps. Which callbacks may use it depends on the map:
 * request headers from onRequestHeaders on, response headers from onResponseHeaders on,
 * trailers in their trailers callback, callout response maps only in the callout's
 * response callback. Outside those, reads return null/empty and writes return a status.
 *
 * Example: `const ua = this.request.headers.get("user-agent");`
 */
export class HeaderMap {
  // The whole map as the host last handed it over, or as our own edits since made it (a
  // pairs block of `wholeCount` pairs, ours to free), valid while the read epoch is
  // `wholeEpoch` and not `stale`; `edits` holds the writes the host accepted that the block
  // does not show yet and an open batch's queued edits (internal/mapedits.ts).
  private whole: usize = 0;
  private wholeSize: usize = 0;
  private wholeCount: i32 = 0;
  private wholeEpoch: u32 = 0;
  private stale: bool = false;
  private edits: EditLog = new EditLog();
  // Reads of this copy of the map, and whether `index` holds its names (see INDEX_FROM_READS).
  private copyReads: u32 = 0;
  private indexed: bool = false;
  private index: PairIndex = new PairIndex();
  // Reads (get, getBytes, has) in the epoch `readsEpoch`.
  private readsEpoch: u32 = 0;
  private reads: u32 = 0;
  // Whether epochs read this map whole on their first get: set when an epoch reads it more
  // than once, cleared after SINGLE_READS_TO_FORGET epochs in a row that read one value. A
  // whole read where one value would do costs the host a larger copy; a single read where
  // the whole map follows costs one more crossing and malloc: so it is kept for a while.
  private wholeFirst: bool = false;
  private singleEpochs: u32 = 0;
  // The open batch: its read epoch and the edits queued for the host (see the top).
  private batching: bool = false;
  private batchEpoch: u32 = 0;
  private wholeStatus: Status = Status.Ok;

  constructor(public readonly mapType: MapType) {}

  /** Applies the logged edits to the copy; false (and the copy stale) when the log cannot
   *  tell Envoy's result. */
  private upToDate(): bool {
    if (!this.edits.pending) return true;
    const bound = this.wholeSize + this.edits.bytes;
    if (bound > 0x10000) ensureRoom(<u64>bound, "bringing a header map copy up to date");
    const rebuilt = this.edits.apply(this.whole, this.wholeCount);
    if (rebuilt == 0) {
      this.stale = true;
      return false;
    }
    heap.free(this.whole);
    this.whole = rebuilt;
    this.wholeSize = rebuiltSize;
    this.wholeCount = rebuiltCount;
    this.copyReads = 0;
    this.indexed = false;
    return true;
  }

  /** Whether the whole map is at hand for this epoch, with our writes applied; reads it when
   *  it is not (a batch's queued edits written first, one call each, so the host holds them). */
  private haveWhole(): bool {
    const epoch = readEpoch();
    if (this.wholeEpoch == epoch && !this.stale && this.upToDate()) return true;
    if (this.edits.queuedCount > 0) this.replayQueued();
    this.edits.clear();
    this.stale = false;
    this.wholeEpoch = 0;
    clearOut();
    armLanding();
    const status = proxy_get_header_map_pairs(this.mapType, OUT_PTR, OUT_SIZE);
    disarmLanding();
    this.wholeStatus = <Status>status;
    if (status != Status.Ok) return false;
    const ptr = load<usize>(OUT_PTR);
    const size = <usize>load<u32>(OUT_SIZE);
    const count = pairCount(ptr, size);
    if (count < 0) {
      freeHostBuffer(ptr);
      this.wholeStatus = Status.ParseFailure;
      return false;
    }
    keepHostBuffer(ptr);
    // The block is freed by hand at the next whole read, not collected: no garbage until a
    // read copies from it (pairs and pairsBytes count what they decode).
    forgetHostBytes(size);
    if (this.whole != 0) heap.free(this.whole);
    this.whole = ptr;
    this.wholeSize = size;
    this.wholeCount = count;
    this.wholeEpoch = epoch;
    keepCopy = copyKept;
    this.copyReads = 0;
    this.indexed = false;
    return true;
  }

  /**
   * Opens a batch: until `commit()`, or until the host or another filter could look at the map
   * (the end of this callback, continue, close, a local reply, another effective context, a
   * foreign function, a callout or gRPC call, a property read), set, add and remove on this map
   * are checked at once (a refused write still returns Status.BadArgument and is not queued),
   * seen by this map's reads, and written to the host together: one host call for many edits.
   * Reads the map whole (one host call) unless it already has it in this callback. Returns Ok,
   * or the host's status when the map cannot be read here (writes then go to the host one by
   * one, as without a batch).
   *
   * Example:
   * ```ts
   * const h = this.request.headers;
   * h.batch();
   * h.remove("x-internal-user");
   * h.set("x-user", user);
   * h.add("x-route", "v2");
   * h.commit(); // one host call (also done at the end of the callback)
   * ```
   */
  batch(): Status {
    if (this.batching) {
      if (this.batchEpoch == readEpoch()) return Status.Ok;
      this.commit();
    }
    if (!this.haveWhole()) return this.wholeStatus;
    queueWrite = queueInBatch;
    setBatchWriter(writeOpenBatches);
    this.batching = true;
    this.batchEpoch = readEpoch();
    openBatches.push(this);
    batchOpened();
    return Status.Ok;
  }

  /** Whether a batch is open on this map (see batch). */
  get batched(): bool {
    return this.batching;
  }

  /** Writes the batch's edits and closes it: Ok, or the first status the host refused one
   *  with (each refusal is logged naming the header). Ok when no batch is open. */
  commit(): Status {
    if (!this.batching) return Status.Ok;
    this.batching = false;
    return this.writeQueued();
  }

  /** Queues a checked write when a batch is open; false when it must go to the host now
   *  (reached through queueWrite). */
  private queue(kind: u32, name: ArrayBuffer, value: ArrayBuffer): bool {
    if (!this.batching) return false;
    if (this.batchEpoch != readEpoch()) {
      this.commit(); // the host ran since (a path that did not write the batch): write it now
      return false;
    }
    if (this.edits.queuedCount >= MAX_BATCHED) this.writeQueued();
    // The copy must be current for its edits to show: a write it could not tell re-reads it.
    if ((this.wholeEpoch != this.batchEpoch || this.stale) && !this.haveWhole()) return false;
    const valueLen: usize = kind == EDIT_REMOVE ? <usize>0 : <usize>value.byteLength;
    this.edits.push(kind, ptrOf(name), <usize>name.byteLength, ptrOf(value), valueLen, true);
    return true;
  }

  /** Writes the queued edits (see the top of this file) and empties the queue. */
  private writeQueued(): Status {
    const n = this.edits.queuedCount;
    if (n == 0) return Status.Ok;
    if (n >= BATCH_AS_MAP_FROM && this.wholeEpoch == readEpoch() && !this.stale && this.upToDate()) {
      // The copy now holds what Envoy's map becomes with the edits.
      this.edits.sent();
      const status = <Status>proxy_set_header_map_pairs(this.mapType, this.whole, this.wholeSize);
      headersWritten(this.mapType, status);
      if (status != Status.Ok) {
        this.stale = true;
        logAt(LogLevel.Warn, "meshwasm: batched header edits (" + n.toString() + ") were not written: status " +
          (<i32>status).toString());
      }
      return status;
    }
    return this.replayQueued();
  }

  /** Sends each queued edit as its own host call, in order; the first status not Ok. */
  private replayQueued(): Status {
    const first = replayEdits(this.mapType, this.edits.queuedStart, this.edits.end);
    if (first != Status.Ok) this.stale = true;
    this.edits.sent();
    return first;
  }

  /** The value of `name`, or null when absent. With several values Envoy returns the
   *  first; use getAll for each value. Ill-formed UTF-8 reads as U+FFFD (getBytes is exact). */
  get(name: string): string | null {
    return this.getText(String.UTF8.encode(name));
  }

  /** The value of `name` as bytes, or null when absent. `name` is UTF-8. */
  getBytes(name: ArrayBuffer): ArrayBuffer | null {
    const at = this.find(name, false);
    if (at == ASK_HOST) return this.getOne(name);
    if (at < 0) return null;
    const valuePtr = this.whole + <usize>(at & 0xffffffff);
    const valueLen = <usize>(at >>> 32);
    const out = new ArrayBuffer(<i32>valueLen);
    memory.copy(changetype<usize>(out), valuePtr, valueLen);
    return out;
  }

  /**
   * The value of `name` (UTF-8) as text, or null when absent: `get` with the name already
   * encoded, decoded straight from the map's copy when it is at hand (no copy of the bytes
   * first). With `whole`, a read that does not have the copy takes the whole map (one host
   * call) whatever the reads before it did, so the reads after it in this callback are
   * answered from it. Ill-formed UTF-8 reads as U+FFFD. Legal where `get` is.
   *
   * Example: `const path = headers.getText(PATH, true);` (PATH = String.UTF8.encode(":path"))
   */
  getText(name: ArrayBuffer, whole: bool = false): string | null {
    const at = this.find(name, whole);
    if (at == ASK_HOST) {
      const value = this.getOne(name);
      return value === null ? null : decodeUtf8(value);
    }
    if (at < 0) return null;
    return decodeUtf8At(this.whole + <usize>(at & 0xffffffff), <usize>(at >>> 32));
  }

  /** Where `name`'s value is in the copy (findPairValue's answer: -1 when absent), or ASK_HOST
   *  when this read goes to the host alone; counts the read for the whole-map choice. */
  private find(name: ArrayBuffer, whole: bool): i64 {
    const epoch = readEpoch();
    if (this.readsEpoch != epoch) {
      if (this.reads > 1) {
        this.wholeFirst = true;
        this.singleEpochs = 0;
      } else if (this.reads == 1 && ++this.singleEpochs >= SINGLE_READS_TO_FORGET) {
        this.wholeFirst = false;
      }
      this.readsEpoch = epoch;
      this.reads = 0;
    }
    this.reads++;
    // The whole map is read once per epoch, at the first read when the last epoch read more
    // than one value, else at the second; if that fails, reads stay single.
    if (!whole && this.wholeEpoch != epoch && this.reads != (this.wholeFirst ? 1 : 2)) return ASK_HOST;
    if (!this.haveWhole()) return ASK_HOST;
    if (!this.indexed) {
      if (++this.copyReads <= INDEX_FROM_READS || this.wholeCount < INDEX_FROM_PAIRS) {
        return findPairValue(this.whole, this.wholeSize, ptrOf(name), <usize>name.byteLength);
      }
      this.index.build(this.whole, this.wholeCount);
      this.indexed = true;
    }
    return this.index.find(this.whole, ptrOf(name), <usize>name.byteLength);
  }

  /**
   * The value of `name` (UTF-8) copied into `out`, with no allocation: the value's length in
   * bytes, or -1 when absent. A value longer than `out` fills it and the length returned says
   * how large a buffer the whole value needs (nothing is written past `out`). The bytes are
   * the host's exactly, as getBytes gives them. Legal where `get` is; for a filter that reads
   * many values in one callback into one buffer it reuses.
   *
   * Example: `const n = headers.getBytesInto(USER, scratch); if (n > scratch.byteLength) ...`
   */
  getBytesInto(name: ArrayBuffer, out: ArrayBuffer): i32 {
    const at = this.find(name, false);
    if (at == ASK_HOST) return this.getOneInto(name, out);
    if (at < 0) return -1;
    const valueLen = <usize>(at >>> 32);
    const room = <usize>out.byteLength;
    copyBytes(changetype<usize>(out), this.whole + <usize>(at & 0xffffffff), min(valueLen, room));
    return <i32>valueLen;
  }

  /** Whether `name` (UTF-8) is present; allocates nothing. Legal where `get` is. */
  hasBytes(name: ArrayBuffer): bool {
    return this.getBytesInto(name, NO_ROOM) >= 0;
  }

  /** One value, asked of the host and copied into `out` (see getBytesInto). */
  private getOneInto(name: ArrayBuffer, out: ArrayBuffer): i32 {
    clearOut();
    armLanding();
    const status = proxy_get_header_map_value(
      this.mapType, ptrOf(name), name.byteLength, OUT_PTR, OUT_SIZE,
    );
    disarmLanding();
    if (status != Status.Ok) return -1;
    const ptr = load<usize>(OUT_PTR);
    const size = <usize>load<u32>(OUT_SIZE);
    const room = <usize>out.byteLength;
    copyBytes(changetype<usize>(out), ptr, min(size, room));
    freeHostBuffer(ptr);
    return <i32>size;
  }

  /** One value, asked of the host. */
  private getOne(name: ArrayBuffer): ArrayBuffer | null {
    clearOut();
    armLanding();
    const status = proxy_get_header_map_value(
      this.mapType, ptrOf(name), name.byteLength, OUT_PTR, OUT_SIZE,
    );
    disarmLanding();
    if (status != Status.Ok) return null;
    return takeOutBytes();
  }

  /** Whether `name` is present. */
  has(name: string): bool {
    return this.hasBytes(String.UTF8.encode(name));
  }

  /** Every value of `name`, in order (several `set-cookie` headers, say), the name matched as
   *  get matches it. Reads the whole map (one host call, whatever the count) and decodes only
   *  the values asked for. */
  getAll(name: string): string[] {
    return this.getAllText(String.UTF8.encode(name));
  }

  /**
   * Every value of `name` (UTF-8), in order: `getAll` with the name already encoded, for a
   * name looked up on every request (encoded once, not per call). Legal where `getAll` is.
   *
   * Example: `const cookies = headers.getAllText(COOKIE);` (COOKIE = String.UTF8.encode("cookie"))
   */
  getAllText(name: ArrayBuffer): string[] {
    if (!this.haveWhole()) return new Array<string>(0);
    return findPairValues(this.whole, this.wholeSize, ptrOf(name), <usize>name.byteLength);
  }

  /** Replaces every value of `name` with `value` (adds it when absent). Refused with
   *  Status.BadArgument (and a log line) when the name is not a token or either holds CR, LF
   *  or NUL, and for pseudo-headers, content-length, transfer-encoding and host unless
   *  `allow` is Protected.Allow. Example: `this.request.headers.set(":path", "/v2", Protected.Allow)` */
  set(name: string, value: string, allow: Protected = Protected.Refuse): Status {
    return this.setBytes(String.UTF8.encode(name), String.UTF8.encode(value), allow);
  }

  /** Bytes form of set, checked the same way. */
  setBytes(name: ArrayBuffer, value: ArrayBuffer, allow: Protected = Protected.Refuse): Status {
    if (refusedWrite(name, value, allow, "set")) return Status.BadArgument;
    if (queueWrite(this, EDIT_SET, name, value)) return Status.Ok;
    const status = <Status>proxy_replace_header_map_value(
      this.mapType, ptrOf(name), name.byteLength, ptrOf(value), value.byteLength,
    );
    this.wrote(EDIT_SET, name, value, status);
    return status;
  }

  /** Adds one more value of `name`, keeping the existing ones; checked as set is. */
  add(name: string, value: string, allow: Protected = Protected.Refuse): Status {
    return this.addBytes(String.UTF8.encode(name), String.UTF8.encode(value), allow);
  }

  /** Bytes form of add, checked the same way. */
  addBytes(name: ArrayBuffer, value: ArrayBuffer, allow: Protected = Protected.Refuse): Status {
    if (refusedWrite(name, value, allow, "add")) return Status.BadArgument;
    if (queueWrite(this, EDIT_ADD, name, value)) return Status.Ok;
    const status = <Status>proxy_add_header_map_value(
      this.mapType, ptrOf(name), name.byteLength, ptrOf(value), value.byteLength,
    );
    this.wrote(EDIT_ADD, name, value, status);
    return status;
  }

  /** Removes every value of `name`. Removing an absent header is not an error. */
  remove(name: string): Status {
    return this.removeBytes(String.UTF8.encode(name));
  }

  /** Bytes form of remove. */
  removeBytes(name: ArrayBuffer): Status {
    if (queueWrite(this, EDIT_REMOVE, name, name)) return Status.Ok;
    const status = <Status>proxy_remove_header_map_value(this.mapType, ptrOf(name), name.byteLength);
    this.wrote(EDIT_REMOVE, name, name, status);
    return status;
  }

  /** After a write: notes it, and keeps the copy true when there is one (see the top of
   *  this file). */
  private wrote(kind: u32, name: ArrayBuffer, value: ArrayBuffer, status: Status): void {
    headersWritten(this.mapType, status);
    keepCopy(this, kind, name, value, status);
  }

  /** Keeps the copy true after a write (reached through keepCopy). */
  private updateCopy(kind: u32, name: ArrayBuffer, value: ArrayBuffer, status: Status): void {
    if (this.wholeEpoch != readEpoch() || this.stale) return;
    if (status != Status.Ok || this.edits.count >= MAX_LOGGED_EDITS) {
      this.stale = true;
      return;
    }
    const valueLen: usize = kind == EDIT_REMOVE ? <usize>0 : <usize>value.byteLength;
    this.edits.push(kind, ptrOf(name), <usize>name.byteLength, ptrOf(value), valueLen);
  }

  /** The whole map, in order, as strings (ill-formed UTF-8 as U+FFFD). Empty when the map
   *  is not available here. */
  pairs(): Header[] {
    if (!this.haveWhole()) return new Array<Header>(0);
    noteHostBytes(this.wholeSize);
    return deserializeHeaders(this.whole, this.wholeSize);
  }

  /** The whole map as the host's bytes. */
  pairsBytes(): HeaderBytes[] {
    if (!this.haveWhole()) return new Array<HeaderBytes>(0);
    noteHostBytes(this.wholeSize);
    return deserializeHeaderBytes(this.whole, this.wholeSize);
  }

  /**
   * The whole map as one pairs block (the proxy-wasm layout: u32 count, count × (u32 name
   * length, u32 value length), then each name and value followed by a 0 byte), copied from
   * the host's answer: one host call and one allocation whatever the header count, for
   * filters that read names and values in place instead of one buffer per name and value.
   * Zero bytes when the map is not available here; a block handed out was checked (its sizes
   * add up), so reading it by the layout stays inside it.
   */
  pairsBlock(): ArrayBuffer {
    if (!this.haveWhole()) return new ArrayBuffer(0);
    noteHostBytes(this.wholeSize);
    const out = new ArrayBuffer(<i32>this.wholeSize);
    memory.copy(changetype<usize>(out), this.whole, this.wholeSize);
    return out;
  }

  /** Replaces the whole map. Every pair is checked as set checks it, and nothing is written
   *  when one is refused; a request map holds its pseudo-headers, so rewriting one usually
   *  needs Protected.Allow. */
  setPairs(headers: Header[], allow: Protected = Protected.Refuse): Status {
    for (let i = 0; i < headers.length; i++) {
      if (refusedHeader(unchecked(headers[i]), allow, "setPairs")) return Status.BadArgument;
    }
    const block = serializeHeaders(headers);
    this.writeQueued(); // a batch's edits come first
    this.stale = true; // Envoy re-adds each pair (joining repeats of its inline headers)
    const status = <Status>proxy_set_header_map_pairs(this.mapType, ptrOf(block), block.byteLength);
    headersWritten(this.mapType, status);
    return status;
  }

  /** Bytes form of setPairs, checked the same way. */
  setPairsBytes(headers: HeaderBytes[], allow: Protected = Protected.Refuse): Status {
    for (let i = 0; i < headers.length; i++) {
      const h = unchecked(headers[i]);
      if (refusedWrite(h.name, h.value, allow, "setPairs")) return Status.BadArgument;
    }
    const block = serializeHeaderBytes(headers);
    this.writeQueued();
    this.stale = true; // as setPairs
    const status = <Status>proxy_set_header_map_pairs(this.mapType, ptrOf(block), block.byteLength);
    headersWritten(this.mapType, status);
    return status;
  }

  /** The map's size in bytes as the host counts it (Envoy: the sum of name and value
   *  lengths), or -1 when the map is not available. */
  byteSize(): i32 {
    this.writeQueued();
    store<u32>(OUT_SIZE, 0);
    if (proxy_get_header_map_size(this.mapType, OUT_SIZE) != Status.Ok) return -1;
    return <i32>load<u32>(OUT_SIZE);
  }
}

/** Request headers: from onRequestHeaders on (onLog too). */
export const requestHeaders = new HeaderMap(MapType.HttpRequestHeaders);
/** Request trailers: in onRequestTrailers. */
export const requestTrailers = new HeaderMap(MapType.HttpRequestTrailers);
/** Response headers: from onResponseHeaders on. */
export const responseHeaders = new HeaderMap(MapType.HttpResponseHeaders);
/** Response trailers: in onResponseTrailers. */
export const responseTrailers = new HeaderMap(MapType.HttpResponseTrailers);
/** Headers of a callout's response: only in onHttpCallResponse. */
export const httpCallResponseHeaders = new HeaderMap(MapType.HttpCallResponseHeaders);
/** Trailers of a callout's response: only in onHttpCallResponse. */
export const httpCallResponseTrailers = new HeaderMap(MapType.HttpCallResponseTrailers);
/** Initial metadata of a gRPC call or stream: only in onGrpcReceiveInitialMetadata. */
export const grpcInitialMetadata = new HeaderMap(MapType.GrpcReceiveInitialMetadata);
/** Trailing metadata of a gRPC call or stream: only in onGrpcReceiveTrailingMetadata. */
export const grpcTrailingMetadata = new HeaderMap(MapType.GrpcReceiveTrailingMetadata);

// Rate-limit buckets in shared data: exact across every worker's VM, bounded in size.
//
// The table is `sets` shared-data values named "<prefix>/<n>", each holding up to `ways`
// keys (the set sizes add up to exactly `maxKeys`) with their limit states (bucket.ts's
// BucketSet). A request reads its key's set, decides, and writes the set back with
// compare-and-swap; a conflict re-reads and decides again, at most `attempts` times. A VM that
// wrote a set last decides on its own copy and writes without reading first (see casFloor):
// the same compare-and-swap, one host call and no VM re-entry fewer. A key already stored is
// decided on the stored bytes in place (takeInPlace), without decoding the set. Creating a set is conditional on it being still absent (the SDK's
// absentCas), so no update is lost while the table fills. Shared data has no delete in ABI
// 0.2.1, so the table never has more than `sets` values: a new key takes a free place in its
// set, else the place of the least recently admitted key there (an eviction). Keys idle for
// `idleMs` are dropped when their set is next written and by sweep() on a timer.
//
// The sweep reads only the sets where something this VM wrote may have gone idle: each VM
// notes, per set, when it last admitted a key there (every key's last-seen time is at most
// the time of the write that stored it, made by some VM), and visits a set once that note is
// more than `idleMs` old (a key is idle only then: see dropIdle), then forgets it. A key
// refreshed later by another VM is that VM's to sweep.
// A new table owes every set one visit (sets written before it was made: an earlier
// configuration, another VM's table that is gone), so the first pass still covers the whole
// table at the usual pace; after it, a tick reads as many sets as went idle. The key space
// stays bounded however the sweep goes: a set never holds more than its ways.
//
// Unlike the rest of filters/lib this module calls the host (shared data): use it in request
// callbacks and onTick, not at top level.

import { Status, absentCas, getSharedDataBytes, setSharedDataBytes } from "../../assembly";
import { BucketEntry, BucketSet, Decision, InPlace, Limit, bucketHash, check, freshState, takeInPlace } from "./bucket";
import { giveBack, giveBackInPlace, leasable } from "./lease";

// Writes without a read. The host gives every write of shared data the next token of one
// process-wide counter (the SDK's absentCas relies on the same rule), and a write
// conditional on token t succeeds only while the value still carries t. casFloor is a lower
// bound of the token the next write takes: a read that returns token c raises it to c + 1,
// and each write this VM makes adds one (the host's counter moved at least as far). So when
// this VM writes a set, casFloor is at most the token that write took, and a later write of
// the same bytes' successor conditional on casFloor (as it was) succeeds only if the token
// is exactly that and nobody wrote the set since: the decision was made on the stored state,
// as exact as after a read. Any other case is a CAS mismatch, and take() reads. (Like
// absentCas, this holds until the host's counter wraps: 2^32 writes.) 0 means unknown.
let casFloor: u32 = 0;

function noteCas(cas: u32): void {
  if (cas != 0xffffffff && cas + 1 > casFloor) casFloor = cas + 1;
}

/** Sets of one table whose last write each VM remembers (a set maps to `index % CACHED`). */
const CACHED: u32 = 64;

/** What one take() did besides deciding, for the caller's counters. */
export class TakeOutcome {
  /** Compare-and-swap conflicts retried. */
  casRetries: i32 = 0;
  /** Every attempt lost: nothing was decided (the caller applies its configured outcome). */
  exhausted: bool = false;
  /** The key was new and took a free place (live keys +1). */
  inserted: bool = false;
  /** The key was new and took the place of a live key (live keys unchanged). */
  evicted: bool = false;
  /** Idle keys dropped from the set on the way (live keys -n). */
  expired: i32 = 0;
  /** Admitted from this VM's lease: nothing was read or written. */
  leased: bool = false;

  reset(): void {
    this.leased = false;
    this.casRetries = 0;
    this.exhausted = false;
    this.inserted = false;
    this.evicted = false;
    this.expired = 0;
  }
}

/** A bounded table of keys in shared data. Build in onConfigure; use per request. */
export class SharedBuckets {
  private readonly names: ArrayBuffer[] = [];
  private sweepCursor: u32 = 0;
  // The sets this VM wrote last, as it wrote them, one slot per `index % CACHED`: the set's
  // index (-1: none), the token its write should have taken, its bytes (three flat arrays, so
  // the collector marks a few objects, not two per slot).
  private readonly cachedIndex: StaticArray<i64>;
  private readonly cachedCas: StaticArray<u32>;
  private readonly cachedBytes: StaticArray<ArrayBuffer | null>;
  // Per set, when this VM last admitted a key there: the sweep visits the set once that is
  // `idleMs` old (0: nothing owed; a new table owes every set a visit, see the top).
  private readonly owed: StaticArray<i64>;
  private scratch: StaticArray<i64> = new StaticArray<i64>(0);
  // This VM's leases, one slot per `index % CACHED` like the copies: the key (null: none), its
  // limits and their signature, the tokens left and until when they may be used.
  private readonly leaseKey: StaticArray<ArrayBuffer | null>;
  private readonly leaseLimits: StaticArray<Limit[] | null>;
  private readonly leaseSignature: StaticArray<u32>;
  private readonly leaseLeft: StaticArray<i64>;
  private readonly leaseEnd: StaticArray<i64>;
  // What the last apply() did to the set (copied to the outcome once its write succeeds).
  private inserted: bool = false;
  private evicted: bool = false;
  private expired: i32 = 0;

  /** Sets in the table: maxKeys / ways, rounded up. */
  readonly sets: u32;
  // Sets below this index hold `ways` keys, the others one fewer, so the sizes add up to
  // exactly maxKeys.
  private readonly fullSets: u32;

  constructor(
    prefix: string,
    /** Live keys at most. */
    public readonly maxKeys: i32,
    /** Keys per set at most (fewer when maxKeys is smaller). */
    public readonly ways: i32,
    public readonly idleMs: i64,
    public readonly attempts: i32,
    /** Tokens a lease takes at most (0: no leases; see lease.ts). */
    public readonly leaseMax: i64 = 0,
  ) {
    const w = max(1, min(ways, maxKeys));
    const sets = <u32>((maxKeys + w - 1) / w);
    this.sets = sets;
    // maxKeys = fullSets * w + (sets - fullSets) * (w - 1)
    this.fullSets = <u32>(maxKeys - <i32>sets * (w - 1));
    this.ways = w;
    const slots = <i32>min(sets, CACHED);
    const cachedIndex = new StaticArray<i64>(slots);
    for (let i = 0; i < slots; i++) unchecked((cachedIndex[i] = -1));
    this.cachedIndex = cachedIndex;
    this.cachedCas = new StaticArray<u32>(slots);
    this.cachedBytes = new StaticArray<ArrayBuffer | null>(slots);
    this.leaseKey = new StaticArray<ArrayBuffer | null>(slots);
    this.leaseLimits = new StaticArray<Limit[] | null>(slots);
    this.leaseSignature = new StaticArray<u32>(slots);
    this.leaseLeft = new StaticArray<i64>(slots);
    this.leaseEnd = new StaticArray<i64>(slots);
    const owed = new StaticArray<i64>(<i32>sets);
    for (let i = 0; i < <i32>sets; i++) unchecked((owed[i] = 1));
    this.owed = owed;
    for (let i: u32 = 0; i < sets; i++) this.names.push(String.UTF8.encode(prefix + "/" + i.toString()));
  }

  /** How many keys set `index` holds at most. */
  waysOf(index: u32): i32 {
    return index < this.fullSets ? this.ways : this.ways - 1;
  }

  /**
   * Takes `cost` from the limits of `key` (a stored key form, see bucketKey) at `now` (ms):
   * `out` gets the decision, `outcome` what happened to the table. `signature` is
   * limitsSignature(limits): a key stored under other limits starts afresh. With `lease`
   * (and a table made with leaseMax > 0) a key whose limits are all token buckets may be
   * decided from this VM's lease (outcome.leased; `out` then says only that it was admitted).
   * Legal in request callbacks and onTick.
   * Example: `table.take(bucketKey(raw), limits, sig, 1, nowMs, decision, outcome)`
   */
  take(
    key: ArrayBuffer,
    limits: Limit[],
    signature: u32,
    cost: i64,
    now: i64,
    out: Decision,
    outcome: TakeOutcome,
    lease: bool = false,
  ): void {
    outcome.reset();
    const index = bucketHash(key) % this.sets;
    const name = unchecked(this.names[index]);
    const slot = <i32>(index % CACHED);
    // This VM's lease of the key: admit from it while it lasts, else give back what is left
    // with the next write (and maybe take a new one). Another key's lease in the slot stays
    // until it is used up or the tick gives it back; this key takes none meanwhile.
    let leaseMax: i64 = lease && cost > 0 && leasable(limits) ? this.leaseMax : 0;
    let returned: i64 = 0;
    let mine = false;
    const held = unchecked(this.leaseKey[slot]);
    if (held !== null) {
      mine = unchecked(this.leaseSignature[slot]) == signature && sameBytes(held, key);
      if (mine) {
        const left = unchecked(this.leaseLeft[slot]);
        if (leaseMax > 0 && left >= cost && now < unchecked(this.leaseEnd[slot])) {
          unchecked((this.leaseLeft[slot] = left - cost));
          out.reset();
          out.remaining = left - cost;
          outcome.leased = true;
          return;
        }
        returned = left;
      } else if (unchecked(this.leaseLeft[slot]) > 0) {
        leaseMax = 0;
      } else {
        this.dropLease(slot);
      }
    }
    // First, this VM's copy of the set from its own last write, written back without a read
    // (see casFloor). A refusal or a lost write decides again on a read.
    const copy = unchecked(this.cachedBytes[slot]);
    const copyCas = unchecked(this.cachedCas[slot]);
    if (unchecked(this.cachedIndex[slot]) == <i64>index && copyCas != 0 && copy !== null) {
      unchecked((this.cachedIndex[slot] = -1));
      const next = this.apply(copy, index, key, limits, signature, cost, now, out, returned, leaseMax);
      if (next !== null && setSharedDataBytes(name, next, copyCas) == Status.Ok) {
        this.wrote(slot, index, next);
        unchecked((this.owed[index] = now));
        this.report(outcome);
        if (mine || leaseMax > 0) this.keepLease(slot, key, limits, signature, cost, out);
        return;
      }
    }
    for (let attempt = 0; attempt < this.attempts; attempt++) {
      if (attempt > 0) outcome.casRetries++;
      const stored = getSharedDataBytes(name);
      let cas: u32;
      let bytes: ArrayBuffer;
      if (stored === null) {
        cas = absentCas();
        bytes = new ArrayBuffer(0);
      } else {
        cas = stored.cas;
        bytes = stored.value;
      }
      noteCas(cas);
      const next = this.apply(bytes, index, key, limits, signature, cost, now, out, returned, leaseMax);
      // A refusal changes nothing that needs storing (a refused new key is not kept): the
      // decision stands on this read. (A lease's remainder, too small for this cost, stays
      // with this VM until the tick gives it back.)
      if (next === null) return;
      const status = setSharedDataBytes(name, next, cas);
      if (status == Status.Ok) {
        this.wrote(slot, index, next);
        unchecked((this.owed[index] = now));
        this.report(outcome);
        if (mine || leaseMax > 0) this.keepLease(slot, key, limits, signature, cost, out);
        return;
      }
      if (status != Status.CasMismatch) break;
    }
    outcome.exhausted = true;
  }

  // This VM's write of set `index` succeeded: remember it and the token it should have taken.
  private wrote(slot: i32, index: u32, bytes: ArrayBuffer): void {
    unchecked((this.cachedIndex[slot] = <i64>index));
    unchecked((this.cachedBytes[slot] = bytes));
    unchecked((this.cachedCas[slot] = casFloor));
    if (casFloor != 0) casFloor++;
  }

  // A write of `key`'s set succeeded: the old lease's remainder went back with it; keep the
  // new lease if one was taken.
  private keepLease(slot: i32, key: ArrayBuffer, limits: Limit[], signature: u32, cost: i64, out: Decision): void {
    if (out.taken > cost) {
      unchecked((this.leaseKey[slot] = key));
      unchecked((this.leaseLimits[slot] = limits));
      unchecked((this.leaseSignature[slot] = signature));
      unchecked((this.leaseLeft[slot] = out.taken - cost));
      unchecked((this.leaseEnd[slot] = out.leaseUntil));
    } else {
      this.dropLease(slot);
    }
  }

  private dropLease(slot: i32): void {
    unchecked((this.leaseKey[slot] = null));
    // The slot's remainder is read only while it holds a key, and keepLease sets both.
    unchecked((this.leaseLimits[slot] = null));
  }

  /** Gives every lease's unused tokens back to their buckets (one read and compare-and-swap
   *  write per lease, at most `attempts` tries; a lease whose every try lost stays for the
   *  next call). Legal in onTick. */
  returnLeases(now: i64): void {
    if (this.leaseMax == 0) return;
    if (this.scratch.length < 12) this.scratch = new StaticArray<i64>(12);
    for (let slot = 0; slot < this.leaseKey.length; slot++) {
      const key = unchecked(this.leaseKey[slot]);
      if (key === null) continue;
      const left = unchecked(this.leaseLeft[slot]);
      const limits = unchecked(this.leaseLimits[slot])!;
      if (left <= 0) {
        this.dropLease(slot);
        continue;
      }
      const index = bucketHash(key) % this.sets;
      const name = unchecked(this.names[index]);
      for (let attempt = 0; attempt < this.attempts; attempt++) {
        const stored = getSharedDataBytes(name);
        if (stored === null) {
          this.dropLease(slot);
          break;
        }
        noteCas(stored.cas);
        const bytes = stored.value;
        if (!giveBackInPlace(bytes, key, limits, unchecked(this.leaseSignature[slot]), now, left, this.scratch)) {
          this.dropLease(slot); // the key's state started afresh or left: nothing to give back to
          break;
        }
        const status = setSharedDataBytes(name, bytes, stored.cas);
        if (status == Status.Ok) {
          this.wrote(slot, index, bytes);
          this.dropLease(slot);
          break;
        }
        if (status != Status.CasMismatch) break;
      }
    }
  }

  // What the last apply() did, once its write succeeded.
  private report(outcome: TakeOutcome): void {
    outcome.inserted = this.inserted;
    outcome.evicted = this.evicted;
    outcome.expired = this.expired;
  }

  // Decides on the stored bytes of set `index`: the bytes to write back (the same buffer,
  // changed in place, when the key is stored and nothing else changes), or null when refused.
  private apply(
    bytes: ArrayBuffer,
    index: u32,
    key: ArrayBuffer,
    limits: Limit[],
    signature: u32,
    cost: i64,
    now: i64,
    out: Decision,
    returned: i64,
    leaseMax: i64,
  ): ArrayBuffer | null {
    this.inserted = false;
    this.evicted = false;
    this.expired = 0;
    const idleBefore = now - this.idleMs;
    if (this.scratch.length < limits.length * 3) this.scratch = new StaticArray<i64>(limits.length * 3);
    const fast = takeInPlace(bytes, key, limits, signature, cost, now, idleBefore, this.scratch, out, returned, leaseMax);
    if (fast == InPlace.Admitted) return bytes;
    if (fast == InPlace.Refused) return null;
    let set = BucketSet.decode(bytes);
    if (set === null) set = new BucketSet(); // not ours or damaged: start the set afresh
    const s = set!;
    let found = s.find(key);
    let entry: BucketEntry;
    if (found >= 0) {
      entry = unchecked(s.entries[found]);
      if (entry.signature != signature || entry.state.length != limits.length * 3) {
        entry.signature = signature;
        entry.state = freshState(limits, now);
      } else {
        giveBack(limits, entry.state, now, returned);
      }
    } else {
      entry = new BucketEntry(key, now, signature, freshState(limits, now));
    }
    check(limits, entry.state, now, cost, out, true);
    if (!out.allowed) return null;
    out.taken = cost;
    entry.lastSeen = now;
    // Idle keys leave before a place is chosen (the key itself was just admitted or is new).
    this.expired = s.dropIdle(idleBefore);
    if (s.find(key) < 0) {
      if (s.entries.length < this.waysOf(index)) {
        s.entries.push(entry);
        this.inserted = true;
      } else {
        unchecked((s.entries[s.victim()] = entry));
        this.evicted = true;
      }
    }
    return s.encode();
  }

  /** Looks at up to `maxSets` sets (continuing where the last sweep stopped) and drops the
   *  idle keys of those where a key this VM admitted may have gone idle (see the top); returns
   *  how many keys left. One attempt per set: a set written meanwhile is visited again on the
   *  next pass. Legal in onTick. */
  sweep(now: i64, maxSets: u32): i32 {
    let removed = 0;
    const idleBefore = now - this.idleMs;
    const n = min(maxSets, this.sets);
    for (let i: u32 = 0; i < n; i++) {
      const index = this.sweepCursor;
      this.sweepCursor = (this.sweepCursor + 1) % this.sets;
      const owed = unchecked(this.owed[index]);
      if (owed == 0 || owed >= idleBefore) continue; // nothing of this VM's can be idle yet
      const name = unchecked(this.names[index]);
      const stored = getSharedDataBytes(name);
      unchecked((this.owed[index] = 0));
      if (stored === null) continue;
      noteCas(stored.cas);
      const set = BucketSet.decode(stored.value);
      if (set === null) continue;
      const dropped = set.dropIdle(idleBefore);
      if (dropped == 0) continue;
      const bytes = set.encode();
      if (setSharedDataBytes(name, bytes, stored.cas) != Status.Ok) {
        unchecked((this.owed[index] = owed)); // written meanwhile: look again next pass
        continue;
      }
      removed += dropped;
      this.wrote(<i32>(index % CACHED), index, bytes);
    }
    return removed;
  }
}

function sameBytes(a: ArrayBuffer, b: ArrayBuffer): bool {
  if (a === b) return true;
  const n = a.byteLength;
  return n == b.byteLength && memory.compare(changetype<usize>(a), changetype<usize>(b), n) == 0;
}

// Rate-limit buckets in shared data: exact across every worker's VM, bounded in size.
//
// The table is `sets` shared-data values named "<prefix>/<n>", each holding up to `ways`
// keys (the set sizes add up to exactly `maxKeys`) with their limit states (bucket.ts's BucketSet). A request reads its key's set, decides,
// and writes the set back with compare-and-swap; a conflict re-reads and decides again, at most
// `attempts` times. Creating a set is conditional on it being still absent (the SDK's
// absentCas), so no update is lost while the table fills. Shared data has no delete in ABI
// 0.2.1, so the table never has more than `sets` values: a new key takes a free place in its
// set, else the place of the least recently admitted key there (an eviction). Keys idle for
// `idleMs` are dropped when their set is next written and by sweep() on a timer.
//
// Unlike the rest of filters/lib this module calls the host (shared data): use it in request
// callbacks and onTick, not at top level.

import { Status, absentCas, getSharedData, setSharedData } from "../../assembly";
import { BucketEntry, BucketSet, Decision, Limit, bucketHash, check, freshState } from "./bucket";

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

  reset(): void {
    this.casRetries = 0;
    this.exhausted = false;
    this.inserted = false;
    this.evicted = false;
    this.expired = 0;
  }
}

/** A bounded table of keys in shared data. Build in onConfigure; use per request. */
export class SharedBuckets {
  private readonly names: string[] = [];
  private sweepCursor: u32 = 0;

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
  ) {
    const w = max(1, min(ways, maxKeys));
    const sets = <u32>((maxKeys + w - 1) / w);
    this.sets = sets;
    // maxKeys = fullSets * w + (sets - fullSets) * (w - 1)
    this.fullSets = <u32>(maxKeys - <i32>sets * (w - 1));
    this.ways = w;
    for (let i: u32 = 0; i < sets; i++) this.names.push(prefix + "/" + i.toString());
  }

  /** How many keys set `index` holds at most. */
  waysOf(index: u32): i32 {
    return index < this.fullSets ? this.ways : this.ways - 1;
  }

  /**
   * Takes `cost` from the limits of `key` (a stored key form, see bucketKey) at `now` (ms):
   * `out` gets the decision, `outcome` what happened to the table. `signature` is
   * limitsSignature(limits): a key stored under other limits starts afresh.
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
  ): void {
    outcome.reset();
    const index = bucketHash(key) % this.sets;
    const name = unchecked(this.names[index]);
    const room = this.waysOf(index);
    const idleBefore = now - this.idleMs;
    for (let attempt = 0; attempt < this.attempts; attempt++) {
      if (attempt > 0) outcome.casRetries++;
      const stored = getSharedData(name);
      let cas: u32;
      let set: BucketSet | null = null;
      if (stored === null) {
        cas = absentCas();
        set = new BucketSet();
      } else {
        cas = stored.cas;
        set = BucketSet.decode(stored.value);
        if (set === null) set = new BucketSet(); // not ours or damaged: start the set afresh
      }
      const s = set!;
      let inserted = false;
      let evicted = false;
      let index = s.find(key);
      let entry: BucketEntry;
      if (index >= 0) {
        entry = unchecked(s.entries[index]);
        if (entry.signature != signature || entry.state.length != limits.length * 3) {
          entry.signature = signature;
          entry.state = freshState(limits, now);
        }
      } else {
        entry = new BucketEntry(key, now, signature, freshState(limits, now));
      }
      check(limits, entry.state, now, cost, out, true);
      if (!out.allowed) {
        // A refusal changes nothing that needs storing (a refused new key is not kept): the
        // decision stands on this read.
        return;
      }
      entry.lastSeen = now;
      // Idle keys leave before a place is chosen (the key itself was just admitted or is new).
      const expired = s.dropIdle(idleBefore);
      if (s.find(key) < 0) {
        if (s.entries.length < room) {
          s.entries.push(entry);
          inserted = true;
        } else {
          unchecked((s.entries[s.victim()] = entry));
          evicted = true;
        }
      }
      const status = setSharedData(name, s.encode(), cas);
      if (status == Status.Ok) {
        outcome.inserted = inserted;
        outcome.evicted = evicted;
        outcome.expired = expired;
        return;
      }
      if (status != Status.CasMismatch) break;
    }
    outcome.exhausted = true;
  }

  /** Drops idle keys from up to `maxSets` sets (continuing where the last sweep stopped);
   *  returns how many keys left. One attempt per set: a set being written is live anyway.
   *  Legal in onTick. */
  sweep(now: i64, maxSets: u32): i32 {
    let removed = 0;
    const idleBefore = now - this.idleMs;
    const n = min(maxSets, this.sets);
    for (let i: u32 = 0; i < n; i++) {
      const name = unchecked(this.names[this.sweepCursor]);
      this.sweepCursor = (this.sweepCursor + 1) % this.sets;
      const stored = getSharedData(name);
      if (stored === null) continue;
      const set = BucketSet.decode(stored.value);
      if (set === null) continue;
      const dropped = set.dropIdle(idleBefore);
      if (dropped == 0) continue;
      if (setSharedData(name, set.encode(), stored.cas) == Status.Ok) removed += dropped;
    }
    return removed;
  }
}

// Leases over token buckets: how much a lease takes, until when it may be used, giving unused
// tokens back (in a state and inside a stored set), and takeInPlace taking one. The table
// around them is tested through the rate-limit filter (filters/rate-limit/test/lease.test.ts).
import {
  BucketEntry,
  BucketSet,
  Decision,
  freshState,
  giveBack,
  giveBackInPlace,
  InPlace,
  leasable,
  leaseAmount,
  leaseUntil,
  Limit,
  LimitKind,
  limitsSignature,
  takeInPlace,
} from "../index";

function list(a: Limit, b: Limit | null = null): Limit[] {
  const out: Limit[] = [];
  out.push(a);
  if (b !== null) out.push(b);
  return out;
}

function tb(capacity: i64, intervalMs: i64, perFill: i64): Limit {
  return new Limit(LimitKind.TokenBucket, capacity, intervalMs, perFill);
}

describe("leases", () => {
  it("come only from a list of token buckets and nothing else", () => {
    expect<bool>(leasable([])).toBe(false);
    expect<bool>(leasable(list(tb(10, 1000, 1)))).toBe(true);
    expect<bool>(leasable(list(new Limit(LimitKind.FixedWindow, 10, 1000), tb(10, 1000, 1)))).toBe(false);
    expect<bool>(leasable(list(tb(10, 1000, 1), new Limit(LimitKind.SlidingWindow, 10, 1000)))).toBe(false);
    // A list that shrank: what lies past its end is not one of its limits.
    const shrunk = list(tb(10, 1000, 1), new Limit(LimitKind.FixedWindow, 10, 1000));
    shrunk.pop();
    expect<bool>(leasable(shrunk)).toBe(true);
  });

  it("are measured on the buckets as they are now, after the fills since", () => {
    const ls = list(tb(6400, 1000, 6400));
    const s = freshState(ls, 0);
    s[0] = 0; // emptied at 0
    expect<i64>(leaseAmount(ls, s, 500, 1, 1000)).toBe(1);
    expect<i64>(leaseAmount(ls, s, 1000, 1, 1000)).toBe(100); // refilled at 1000
  });

  it("take at most 1/64 of the emptiest bucket, at most the maximum, only for two requests or more", () => {
    const ls = list(new Limit(LimitKind.TokenBucket, 10_000, 1000, 10_000), new Limit(LimitKind.TokenBucket, 6400, 60_000, 100));
    const s = freshState(ls, 0);
    expect<i64>(leaseAmount(ls, s, 0, 1, 1000)).toBe(100); // 6400 / 64
    expect<i64>(leaseAmount(ls, s, 0, 1, 30)).toBe(30);
    expect<i64>(leaseAmount(ls, s, 0, 1, 0)).toBe(1); // off
    expect<i64>(leaseAmount(ls, s, 0, 50, 1000)).toBe(100); // two requests of 50
    expect<i64>(leaseAmount(ls, s, 0, 51, 1000)).toBe(51); // not two: the cost alone
    expect<i64>(leaseAmount(ls, s, 0, 0, 1000)).toBe(0);
    s[3] = 127; // the second bucket nearly empty: 127 / 64 = 1, less than two requests
    expect<i64>(leaseAmount(ls, s, 0, 1, 1000)).toBe(1);
    s[3] = 128;
    expect<i64>(leaseAmount(ls, s, 0, 1, 1000)).toBe(2);
    // Windows never lease.
    const w = list(new Limit(LimitKind.TokenBucket, 10_000, 1000, 1), new Limit(LimitKind.FixedWindow, 10_000, 1000));
    expect<bool>(leasable(w)).toBe(false);
    expect<bool>(leasable(ls)).toBe(true);
    expect<i64>(leaseAmount(w, freshState(w, 0), 0, 1, 1000)).toBe(1);
  });

  it("end at the earliest next fill step", () => {
    const ls = list(new Limit(LimitKind.TokenBucket, 10_000, 1000, 10_000), new Limit(LimitKind.TokenBucket, 6400, 300, 100));
    const s = freshState(ls, 5000);
    const d = new Decision();
    takeLease(ls, s, 5000, 100, d);
    expect<i64>(leaseUntil(ls, s)).toBe(5300);
  });

  it("give unused tokens back, capped at the capacity like a fill", () => {
    const ls = list(new Limit(LimitKind.TokenBucket, 100, 1000, 10));
    const s = freshState(ls, 0);
    s[0] = 50;
    giveBack(ls, s, 0, 20);
    expect<i64>(s[0]).toBe(70);
    giveBack(ls, s, 3000, 20); // three fills first (100), then capped
    expect<i64>(s[0]).toBe(100);
    giveBack(ls, s, 3000, 0);
    expect<i64>(s[0]).toBe(100);
    s[0] = 90;
    giveBack(ls, s, 3000, 1);
    expect<i64>(s[0]).toBe(91);
  });

  it("give back to every token bucket of the key", () => {
    const ls = list(tb(100, 1000, 10), tb(50, 1000, 10));
    const s = freshState(ls, 0);
    s[0] = 10;
    s[3] = 20;
    giveBack(ls, s, 0, 5);
    expect<i64>(s[0]).toBe(15);
    expect<i64>(s[3]).toBe(25);
    expect<i64>(s[4]).toBe(0); // the fill clocks stay
    // The second bucket is advanced to now before: two fills of 10, then 5.
    giveBack(ls, s, 2000, 5);
    expect<i64>(s[3]).toBe(50);
    expect<i64>(s[0]).toBe(40);
  });

  it("give back in place to the key only, wherever it is in the set, and only what there is", () => {
    const ls = list(tb(6400, 1000, 6400));
    const sig = limitsSignature(ls);
    const key = String.UTF8.encode("k");
    const set = new BucketSet();
    const mine = freshState(ls, 1000);
    mine[0] = 100;
    set.entries.push(new BucketEntry(key, 1000, sig, mine));
    const theirs = freshState(ls, 1000);
    theirs[0] = 200;
    set.entries.push(new BucketEntry(String.UTF8.encode("x"), 1000, sig, theirs));
    const bytes = set.encode();
    // A scratch holding another key's state: every value read afresh.
    const scratch = new StaticArray<i64>(4);
    scratch[0] = 5;
    scratch[1] = 999_999;
    scratch[2] = 5;
    scratch[3] = 777;
    expect<bool>(giveBackInPlace(bytes, key, ls, sig, 1500, 0, scratch)).toBe(false); // nothing to give
    expect<bool>(giveBackInPlace(bytes, key, ls, sig, 1500, 1, scratch)).toBe(true);
    expect<i64>(scratch[3]).toBe(777);
    const got = BucketSet.decode(bytes)!;
    expect<i64>(got.entries[0].state[0]).toBe(101);
    expect<i64>(got.entries[0].state[1]).toBe(1000);
    expect<i64>(got.entries[0].state[2]).toBe(0);
    expect<i64>(got.entries[1].state[0]).toBe(200);
    expect<bool>(got.entries[1].key.byteLength == 1).toBe(true);
    const want = set.encode();
    const changed = BucketSet.decode(want)!;
    changed.entries[0].state[0] = 101;
    const expected = changed.encode();
    expect<i32>(memory.compare(changetype<usize>(bytes), changetype<usize>(expected), expected.byteLength)).toBe(0);
    // A key of the same length that is not stored, bytes of another version, a short scratch,
    // an entry the set's count leaves out: nothing given back.
    const before = bytes.slice(0);
    expect<bool>(giveBackInPlace(bytes, String.UTF8.encode("y"), ls, sig, 1500, 1, scratch)).toBe(false);
    const otherVersion = bytes.slice(0);
    store<u8>(changetype<usize>(otherVersion), 2);
    expect<bool>(giveBackInPlace(otherVersion, key, ls, sig, 1500, 1, scratch)).toBe(false);
    expect<bool>(giveBackInPlace(bytes, key, ls, sig, 1500, 1, new StaticArray<i64>(2))).toBe(false);
    const uncounted = bytes.slice(0);
    store<u8>(changetype<usize>(uncounted) + 1, 1);
    expect<bool>(giveBackInPlace(uncounted, String.UTF8.encode("x"), ls, sig, 1500, 1, scratch)).toBe(false);
    expect<i32>(memory.compare(changetype<usize>(bytes), changetype<usize>(before), before.byteLength)).toBe(0);
  });

  it("give back in place to a key stored last with no state", () => {
    const ls: Limit[] = [];
    const sig = limitsSignature(ls);
    const set = new BucketSet();
    set.entries.push(new BucketEntry(String.UTF8.encode("a"), 1000, 0, new StaticArray<i64>(0)));
    set.entries.push(new BucketEntry(String.UTF8.encode("k"), 1000, sig, new StaticArray<i64>(0)));
    const bytes = set.encode();
    expect<bool>(giveBackInPlace(bytes, String.UTF8.encode("k"), ls, sig, 1500, 1, new StaticArray<i64>(0))).toBe(true);
  });


  it("are taken and given back inside a stored set, leaving every other byte as it was", () => {
    const ls = list(new Limit(LimitKind.TokenBucket, 6400, 1000, 6400));
    const sig = limitsSignature(ls);
    const key = String.UTF8.encode("k");
    const set = new BucketSet();
    set.entries.push(new BucketEntry(String.UTF8.encode("other"), 1000, sig, freshState(ls, 1000)));
    set.entries.push(new BucketEntry(key, 1000, sig, freshState(ls, 1000)));
    const bytes = set.encode();
    const scratch = new StaticArray<i64>(3);
    const d = new Decision();
    expect<i32>(takeInPlace(bytes, key, ls, sig, 1, 2000, 0, scratch, d, 0, 1000)).toBe(InPlace.Admitted);
    expect<i64>(d.taken).toBe(100);
    expect<i64>(d.leaseUntil).toBe(3000);
    let got = BucketSet.decode(bytes)!;
    expect<i64>(got.entries[1].state[0]).toBe(6300);
    expect<i64>(got.entries[0].state[0]).toBe(6400);
    // 60 unused go back with the next take (of one, no lease: leaseMax 0).
    expect<i32>(takeInPlace(bytes, key, ls, sig, 1, 2500, 0, scratch, d, 60, 0)).toBe(InPlace.Admitted);
    expect<i64>(d.taken).toBe(1);
    got = BucketSet.decode(bytes)!;
    expect<i64>(got.entries[1].state[0]).toBe(6359);
    // Given back alone (the tick), in place.
    expect<bool>(giveBackInPlace(bytes, key, ls, sig, 2600, 41, scratch)).toBe(true);
    got = BucketSet.decode(bytes)!;
    expect<i64>(got.entries[1].state[0]).toBe(6400);
    expect<i64>(got.entries[0].state[0]).toBe(6400);
    // Nothing to give back to: an absent key, other limits, bytes that are not a set.
    const before = bytes.slice(0);
    expect<bool>(giveBackInPlace(bytes, String.UTF8.encode("none"), ls, sig, 2600, 5, scratch)).toBe(false);
    expect<bool>(giveBackInPlace(bytes, key, ls, sig + 1, 2600, 5, scratch)).toBe(false);
    for (let cut = 0; cut < bytes.byteLength; cut++) {
      expect<bool>(giveBackInPlace(bytes.slice(0, cut), key, ls, sig, 2600, 5, scratch)).toBe(false);
    }
    expect<i32>(memory.compare(changetype<usize>(bytes), changetype<usize>(before), before.byteLength)).toBe(0);
  });
});

// Takes a lease of up to `leaseMax` from `state` at `now` (as takeInPlace does).
function takeLease(ls: Limit[], state: StaticArray<i64>, now: i64, leaseMax: i64, d: Decision): void {
  const amount = leaseAmount(ls, state, now, 1, leaseMax);
  for (let i = 0; i < ls.length; i++) state[i * 3] -= amount;
  d.taken = amount;
}

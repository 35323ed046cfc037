// Token buckets, fixed and sliding windows over integer milliseconds, and the stored form of a
// set of keys. The shared-data table around them is tested through the rate-limit filter on
// the test host (filters/rate-limit/test/).
import {
  BucketEntry,
  BucketSet,
  bucketHash,
  bucketKey,
  ceilSeconds,
  check,
  Decision,
  freshState,
  InPlace,
  Limit,
  LimitKind,
  limitsSignature,
  takeInPlace,
} from "../index";

function limits1(l: Limit): Limit[] {
  const out: Limit[] = [];
  out.push(l);
  return out;
}

/** Takes one request of `cost` at `now`; returns whether it was admitted. */
function take(ls: Limit[], state: StaticArray<i64>, now: i64, d: Decision, cost: i64 = 1): bool {
  check(ls, state, now, cost, d, true);
  return d.allowed;
}

describe("token bucket", () => {
  it("admits capacity at once, then perFill per interval, exactly at the interval's end", () => {
    const ls = limits1(new Limit(LimitKind.TokenBucket, 3, 1000, 2));
    const s = freshState(ls, 10_000);
    const d = new Decision();
    for (let i = 0; i < 3; i++) expect<bool>(take(ls, s, 10_000, d)).toBe(true);
    expect<bool>(take(ls, s, 10_000, d)).toBe(false);
    expect<i64>(d.retryAfterMs).toBe(1000);
    expect<bool>(take(ls, s, 10_999, d)).toBe(false);
    expect<i64>(d.retryAfterMs).toBe(1);
    expect<bool>(take(ls, s, 11_000, d)).toBe(true);
    expect<bool>(take(ls, s, 11_000, d)).toBe(true);
    expect<bool>(take(ls, s, 11_000, d)).toBe(false);
    // A long idle time fills to capacity, not beyond.
    expect<bool>(take(ls, s, 1_000_000_000, d)).toBe(true);
    expect<i64>(d.remaining).toBe(2);
  });

  it("charges a cost and says how long until that cost fits", () => {
    const ls = limits1(new Limit(LimitKind.TokenBucket, 10, 500, 1));
    const s = freshState(ls, 0);
    const d = new Decision();
    expect<bool>(take(ls, s, 0, d, 7)).toBe(true);
    expect<i64>(d.remaining).toBe(3);
    expect<bool>(take(ls, s, 100, d, 5)).toBe(false); // needs 2 more fills: at 1000
    expect<i64>(d.retryAfterMs).toBe(900);
    expect<i64>(d.remaining).toBe(3); // a refusal takes nothing
    expect<bool>(take(ls, s, 1000, d, 5)).toBe(true);
    expect<bool>(take(ls, s, 1000, d, 11)).toBe(false); // above capacity: never fits
  });

  it("reports the time until full as reset", () => {
    const ls = limits1(new Limit(LimitKind.TokenBucket, 4, 1000, 1));
    const s = freshState(ls, 0);
    const d = new Decision();
    take(ls, s, 0, d, 3);
    expect<i64>(d.resetMs).toBe(3000);
    take(ls, s, 250, d, 0);
    expect<i64>(d.resetMs).toBe(2750);
  });
});

describe("fixed window", () => {
  it("counts up to capacity per window and rolls over at the window's start", () => {
    const ls = limits1(new Limit(LimitKind.FixedWindow, 2, 60_000));
    const s = freshState(ls, 125_000);
    const d = new Decision();
    expect<bool>(take(ls, s, 125_000, d)).toBe(true);
    expect<bool>(take(ls, s, 170_000, d)).toBe(true);
    expect<bool>(take(ls, s, 179_999, d)).toBe(false);
    expect<i64>(d.retryAfterMs).toBe(1);
    expect<i64>(ceilSeconds(d.retryAfterMs)).toBe(1);
    expect<bool>(take(ls, s, 180_000, d)).toBe(true);
    expect<i64>(d.resetMs).toBe(60_000);
    expect<i64>(d.remaining).toBe(1);
  });
});

describe("sliding window", () => {
  it("weights the previous window by the part still inside the sliding window", () => {
    const ls = limits1(new Limit(LimitKind.SlidingWindow, 10, 1000));
    const s = freshState(ls, 0);
    const d = new Decision();
    for (let i = 0; i < 10; i++) expect<bool>(take(ls, s, 500, d)).toBe(true);
    expect<bool>(take(ls, s, 999, d)).toBe(false);
    expect<i64>(d.retryAfterMs).toBe(101); // at 1100, 10 * 0.9 = 9 <= 10 - 1
    // 1100: previous 10 weighted 0.9 = 9, so one more fits.
    expect<bool>(take(ls, s, 1099, d)).toBe(false);
    expect<bool>(take(ls, s, 1100, d)).toBe(true);
    expect<bool>(take(ls, s, 1100, d)).toBe(false);
    expect<i64>(d.retryAfterMs).toBe(100);
    // Two windows later nothing remains of either count.
    expect<bool>(take(ls, s, 3000, d)).toBe(true);
    expect<i64>(d.remaining).toBe(9);
  });

  it("finds the wait in the next window when this one cannot fit", () => {
    const ls = limits1(new Limit(LimitKind.SlidingWindow, 4, 1000));
    const s = freshState(ls, 0);
    const d = new Decision();
    for (let i = 0; i < 4; i++) expect<bool>(take(ls, s, 200, d)).toBe(true);
    expect<bool>(take(ls, s, 300, d)).toBe(false);
    // Next window: previous 4 weighted by (1000 - e) / 1000 must be <= 3: e >= 250, at 1250.
    expect<i64>(d.retryAfterMs).toBe(950);
    expect<bool>(take(ls, s, 1249, d)).toBe(false);
    expect<bool>(take(ls, s, 1250, d)).toBe(true);
  });

  it("agrees with its own Retry-After over a sweep of times and costs", () => {
    const ls = limits1(new Limit(LimitKind.SlidingWindow, 7, 1000));
    const d = new Decision();
    for (let start: i64 = 0; start < 2000; start += 137) {
      const s = freshState(ls, 0);
      for (let i = 0; i < 7; i++) take(ls, s, start, d);
      for (let cost: i64 = 1; cost <= 7; cost++) {
        const probe = StaticArray.slice<i64>(s);
        check(ls, probe, start + 1, cost, d, false);
        if (d.allowed) continue;
        const wait = d.retryAfterMs;
        expect<bool>(wait > 0).toBe(true);
        const before = StaticArray.slice<i64>(s);
        check(ls, before, start + 1 + wait - 1, cost, d, false);
        expect<bool>(d.allowed).toBe(false, "not before the wait");
        const at = StaticArray.slice<i64>(s);
        check(ls, at, start + 1 + wait, cost, d, false);
        expect<bool>(d.allowed).toBe(true, "at the wait");
      }
    }
  });
});

describe("several limits on one key", () => {
  it("lets the most restrictive decide, takes from all only when all admit", () => {
    const ls: Limit[] = [
      new Limit(LimitKind.TokenBucket, 5, 1000, 5),
      new Limit(LimitKind.FixedWindow, 7, 60_000),
    ];
    const s = freshState(ls, 0);
    const d = new Decision();
    for (let i = 0; i < 5; i++) expect<bool>(take(ls, s, 0, d)).toBe(true);
    expect<bool>(take(ls, s, 0, d)).toBe(false);
    expect<i64>(s[3]).toBe(5); // the window counted only what was admitted
    expect<bool>(take(ls, s, 1000, d)).toBe(true);
    expect<bool>(take(ls, s, 1000, d)).toBe(true);
    expect<bool>(take(ls, s, 1000, d)).toBe(false); // the window is now the tighter one
    expect<i32>(d.limitIndex).toBe(1);
    expect<i64>(d.limit).toBe(7);
    expect<i64>(d.remaining).toBe(0);
    expect<i64>(d.retryAfterMs).toBe(59_000);
  });

  it("changes the signature when any limit changes", () => {
    const a: Limit[] = [new Limit(LimitKind.TokenBucket, 5, 1000, 5)];
    const b: Limit[] = [new Limit(LimitKind.TokenBucket, 5, 1000, 4)];
    const c: Limit[] = [new Limit(LimitKind.FixedWindow, 5, 1000, 5)];
    expect<bool>(limitsSignature(a) == limitsSignature(b)).toBe(false);
    expect<bool>(limitsSignature(a) == limitsSignature(c)).toBe(false);
    expect<bool>(limitsSignature(a) == limitsSignature([new Limit(LimitKind.TokenBucket, 5, 1000, 5)])).toBe(true);
  });
});

describe("BucketSet", () => {
  it("round-trips entries and refuses damaged bytes", () => {
    const set = new BucketSet();
    const st = new StaticArray<i64>(3);
    st[0] = -5;
    st[1] = 1_700_000_000_000;
    st[2] = 42;
    set.entries.push(new BucketEntry(String.UTF8.encode("tenant=a"), 1234, 0xdeadbeef, st));
    set.entries.push(new BucketEntry(new ArrayBuffer(0), 99, 1, new StaticArray<i64>(0)));
    const bytes = set.encode();
    const back = BucketSet.decode(bytes)!;
    expect<i32>(back.entries.length).toBe(2);
    expect<i32>(back.find(String.UTF8.encode("tenant=a"))).toBe(0);
    expect<i32>(back.find(new ArrayBuffer(0))).toBe(1);
    expect<i32>(back.find(String.UTF8.encode("tenant=b"))).toBe(-1);
    expect<i64>(back.entries[0].lastSeen).toBe(1234);
    expect<u32>(back.entries[0].signature).toBe(0xdeadbeef);
    expect<i64>(back.entries[0].state[0]).toBe(-5);
    expect<i64>(back.entries[0].state[2]).toBe(42);
    for (let cut = 1; cut < bytes.byteLength; cut++) {
      expect<bool>(BucketSet.decode(bytes.slice(0, cut)) === null).toBe(true, "cut at " + cut.toString());
    }
    const longer = new ArrayBuffer(bytes.byteLength + 1);
    memory.copy(changetype<usize>(longer), changetype<usize>(bytes), bytes.byteLength);
    expect<bool>(BucketSet.decode(longer) === null).toBe(true);
    expect<i32>(BucketSet.decode(new ArrayBuffer(0))!.entries.length).toBe(0);
  });

  it("drops idle entries and picks the least recently admitted as the victim", () => {
    const set = new BucketSet();
    set.entries.push(new BucketEntry(String.UTF8.encode("a"), 300, 0, new StaticArray<i64>(0)));
    set.entries.push(new BucketEntry(String.UTF8.encode("b"), 100, 0, new StaticArray<i64>(0)));
    set.entries.push(new BucketEntry(String.UTF8.encode("c"), 200, 0, new StaticArray<i64>(0)));
    expect<i32>(set.victim()).toBe(1);
    expect<i32>(set.dropIdle(250)).toBe(2);
    expect<i32>(set.entries.length).toBe(1);
    expect<i32>(set.find(String.UTF8.encode("a"))).toBe(0);
  });

  it("stores long keys as a digest that a short key cannot imitate", () => {
    const long = String.UTF8.encode("k".repeat(200));
    const stored = bucketKey(long);
    expect<i32>(stored.byteLength).toBe(33);
    expect<u8>(load<u8>(changetype<usize>(stored))).toBe(0xff);
    // A 33-byte key shaped like a digest is digested too, so it never equals a stored digest.
    const fake = stored.slice(0);
    const again = bucketKey(fake);
    expect<bool>(memory.compare(changetype<usize>(again), changetype<usize>(stored), 33) == 0).toBe(false);
    const short = String.UTF8.encode("ip=10.0.0.1");
    expect<bool>(bucketKey(short) == short).toBe(true);
    expect<bool>(bucketHash(short) == bucketHash(String.UTF8.encode("ip=10.0.0.2"))).toBe(false);
  });

  it("decides a stored key in place exactly as on the decoded set, and declines the rest", () => {
    const ls: Limit[] = [];
    ls.push(new Limit(LimitKind.TokenBucket, 2, 1000, 1));
    ls.push(new Limit(LimitKind.SlidingWindow, 5, 60_000));
    const sig = limitsSignature(ls);
    const set = new BucketSet();
    set.entries.push(new BucketEntry(String.UTF8.encode("a"), 5000, sig, freshState(ls, 5000)));
    set.entries.push(new BucketEntry(String.UTF8.encode("bb"), 6000, sig, freshState(ls, 6000)));
    const scratch = new StaticArray<i64>(6);
    const d = new Decision();
    const key = String.UTF8.encode("bb");
    for (let now: i64 = 7000; now < 7003; now++) {
      // The same take on the decoded set, encoded back.
      const expected = BucketSet.decode(set.encode())!;
      const entry = expected.entries[1];
      check(ls, entry.state, now, 1, d, true);
      const admitted = d.allowed;
      if (admitted) entry.lastSeen = now;
      const bytes = set.encode();
      const got = takeInPlace(bytes, key, ls, sig, 1, now, 0, scratch, d);
      expect<i32>(got).toBe(admitted ? InPlace.Admitted : InPlace.Refused);
      expect<bool>(d.allowed).toBe(admitted);
      const want = expected.encode();
      expect<i32>(bytes.byteLength).toBe(want.byteLength);
      expect<i32>(memory.compare(changetype<usize>(bytes), changetype<usize>(want), want.byteLength)).toBe(0);
      set.entries = BucketSet.decode(bytes)!.entries;
    }
    expect<bool>(d.allowed).toBe(false); // two tokens, three requests
    const bytes = set.encode();
    // Not decided in place: an absent key, other limits, an idle key in the set, a short scratch,
    // bytes that are not a set (each leaves the bytes as they were).
    expect<i32>(takeInPlace(bytes, String.UTF8.encode("c"), ls, sig, 1, 8000, 0, scratch, d)).toBe(InPlace.Decode);
    expect<i32>(takeInPlace(bytes, key, ls, sig + 1, 1, 8000, 0, scratch, d)).toBe(InPlace.Decode);
    expect<i32>(takeInPlace(bytes, key, ls, sig, 1, 8000, 5500, scratch, d)).toBe(InPlace.Decode);
    expect<i32>(takeInPlace(bytes, key, ls, sig, 1, 8000, 0, new StaticArray<i64>(3), d)).toBe(InPlace.Decode);
    for (let cut = 0; cut < bytes.byteLength; cut++) {
      expect<i32>(takeInPlace(bytes.slice(0, cut), key, ls, sig, 1, 8000, 0, scratch, d)).toBe(InPlace.Decode);
    }
    const again = set.encode();
    expect<i32>(memory.compare(changetype<usize>(bytes), changetype<usize>(again), again.byteLength)).toBe(0);
  });
});

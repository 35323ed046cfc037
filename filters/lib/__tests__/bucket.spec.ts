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

function bytesOf(values: u8[]): ArrayBuffer {
  const out = new ArrayBuffer(values.length);
  for (let i = 0; i < values.length; i++) store<u8>(changetype<usize>(out) + i, values[i]);
  return out;
}

function sameBytes(a: ArrayBuffer, b: ArrayBuffer): bool {
  return a.byteLength == b.byteLength && memory.compare(changetype<usize>(a), changetype<usize>(b), a.byteLength) == 0;
}

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

describe("token bucket edges", () => {
  it("starts the first interval when a token is taken from a full bucket, not at its last fill", () => {
    const ls = limits1(new Limit(LimitKind.TokenBucket, 3, 1000, 1));
    const s = freshState(ls, 0);
    const d = new Decision();
    expect<bool>(take(ls, s, 500, d)).toBe(true); // full since 0: the interval starts now
    expect<i64>(d.resetMs).toBe(1000);
    expect<bool>(take(ls, s, 1000, d, 3)).toBe(false); // no fill at 1000: two tokens
    expect<i64>(d.retryAfterMs).toBe(500);
    expect<bool>(take(ls, s, 1500, d, 3)).toBe(true);
  });

  it("never fills above the capacity when the fill amount does not divide what is missing", () => {
    const ls = limits1(new Limit(LimitKind.TokenBucket, 10, 1000, 4));
    const s = freshState(ls, 0);
    const d = new Decision();
    expect<bool>(take(ls, s, 0, d, 3)).toBe(true); // 7 left: one fill of 4 tops it up
    expect<bool>(take(ls, s, 1000, d)).toBe(true);
    expect<i64>(d.remaining).toBe(9);
    expect<i64>(s[0]).toBe(9);
    expect<bool>(take(ls, s, 1000, d, 8)).toBe(true); // 1 left
    expect<bool>(take(ls, s, 3000, d)).toBe(true); // two fills: 9, capped at 10 less 1
    expect<i64>(d.remaining).toBe(8);
    expect<bool>(take(ls, s, 5500, d, 5)).toBe(true); // 8 + 8 capped: 10, less 5
    expect<i64>(d.remaining).toBe(5);
  });

  it("restarts the fill clock when a whole number of fills tops the bucket up exactly", () => {
    const ls = limits1(new Limit(LimitKind.TokenBucket, 4, 1000, 2));
    const s = freshState(ls, 0);
    const d = new Decision();
    expect<bool>(take(ls, s, 0, d, 4)).toBe(true);
    // At 2500 two fills make it full: the clock restarts at 2500, not at 2000.
    expect<bool>(take(ls, s, 2500, d)).toBe(true);
    expect<i64>(d.resetMs).toBe(1000);
    expect<bool>(take(ls, s, 3000, d, 4)).toBe(false);
    expect<bool>(take(ls, s, 3500, d, 4)).toBe(true);
  });

  it("reports reset 0 when full, one interval when one token is missing", () => {
    const ls = limits1(new Limit(LimitKind.TokenBucket, 4, 1000, 1));
    const s = freshState(ls, 1000);
    const d = new Decision();
    check(ls, s, 1000, 0, d, true);
    expect<i64>(d.resetMs).toBe(0);
    // Asked at a time before the bucket's fill clock (another worker's clock a little behind).
    check(ls, s, 999, 0, d, true);
    expect<i64>(d.resetMs).toBe(0);
    expect<bool>(take(ls, s, 1000, d)).toBe(true);
    expect<i64>(d.resetMs).toBe(1000);
  });

  it("says a cost of the whole capacity fits after the fills it needs", () => {
    const ls = limits1(new Limit(LimitKind.TokenBucket, 3, 1000, 1));
    const s = freshState(ls, 0);
    const d = new Decision();
    expect<bool>(take(ls, s, 0, d, 3)).toBe(true);
    expect<bool>(take(ls, s, 0, d, 3)).toBe(false);
    expect<i64>(d.retryAfterMs).toBe(3000);
    expect<bool>(take(ls, s, 2999, d, 3)).toBe(false);
    expect<bool>(take(ls, s, 3000, d, 3)).toBe(true);
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
    expect<i64>(d.remaining).toBe(0); // 9 weighted + 1
    check(ls, s, 1500, 0, d, true);
    expect<i64>(d.remaining).toBe(4); // 10 weighted 0.5 = 5, + 1
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

  it("counts a previous window that ended full to the end of its weight", () => {
    // cap 4: 1 in the first window, 3 at the start of the next (1 weighted 1.0 + 3 = 4).
    const ls = limits1(new Limit(LimitKind.SlidingWindow, 4, 1000));
    const s = freshState(ls, 0);
    const d = new Decision();
    expect<bool>(take(ls, s, 500, d)).toBe(true);
    expect<bool>(take(ls, s, 1000, d, 3)).toBe(true);
    expect<bool>(take(ls, s, 1000, d)).toBe(false);
    // Nothing fits in this window (the 3 stay); in the next one 3 weighted 1.0 + 1 = 4.
    expect<i64>(d.retryAfterMs).toBe(1000);
    expect<bool>(take(ls, s, 1999, d)).toBe(false);
    expect<bool>(take(ls, s, 2000, d)).toBe(true);
  });

  it("waits one millisecond into the next window when the full count must shrink by one", () => {
    const ls = limits1(new Limit(LimitKind.SlidingWindow, 1000, 1000));
    const s = freshState(ls, 0);
    const d = new Decision();
    expect<bool>(take(ls, s, 0, d, 1000)).toBe(true);
    expect<bool>(take(ls, s, 0, d)).toBe(false);
    expect<i64>(d.retryAfterMs).toBe(1001); // 1000 weighted 999/1000 = 999, + 1
    const before = StaticArray.slice<i64>(s);
    check(ls, before, 1000, 1, d, false);
    expect<bool>(d.allowed).toBe(false);
    expect<bool>(take(ls, s, 1001, d)).toBe(true);
  });

  it("starts a fresh window at the window's start, with nothing counted", () => {
    const ls: Limit[] = [
      new Limit(LimitKind.TokenBucket, 5, 1000, 1),
      new Limit(LimitKind.FixedWindow, 7, 1000),
      new Limit(LimitKind.SlidingWindow, 9, 1000),
      new Limit(LimitKind.TokenBucket, 6, 1000, 2),
    ];
    const s = freshState(ls, 1500);
    const want: i64[] = [5, 1500, 0, 0, 1000, 0, 0, 1000, 0, 6, 1500, 0];
    expect<i32>(s.length).toBe(12);
    for (let i = 0; i < 12; i++) expect<i64>(s[i]).toBe(want[i], "state " + i.toString());
    // A sliding window made in its second window starts empty, with no previous count.
    const sw = limits1(new Limit(LimitKind.SlidingWindow, 2, 1000));
    const t = freshState(sw, 1500);
    const d = new Decision();
    expect<bool>(take(sw, t, 1500, d, 2)).toBe(true);
  });

  it("never reports a negative remainder for a state over its limit", () => {
    const d = new Decision();
    const fw = limits1(new Limit(LimitKind.FixedWindow, 3, 1000));
    const a = freshState(fw, 0);
    a[0] = 5;
    check(fw, a, 0, 1, d, true);
    expect<bool>(d.allowed).toBe(false);
    expect<i64>(d.remaining).toBe(0);
    const sw = limits1(new Limit(LimitKind.SlidingWindow, 3, 1000));
    const b = freshState(sw, 0);
    b[0] = 5;
    check(sw, b, 0, 1, d, true);
    expect<i64>(d.remaining).toBe(0);
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

  it("reports the reset of the reported limit when it is the second one", () => {
    const ls: Limit[] = [
      new Limit(LimitKind.TokenBucket, 5, 1000, 5),
      new Limit(LimitKind.FixedWindow, 2, 60_000),
    ];
    const s = freshState(ls, 60_500);
    const d = new Decision();
    expect<bool>(take(ls, s, 60_500, d)).toBe(true);
    expect<i32>(d.limitIndex).toBe(1);
    expect<i64>(d.remaining).toBe(1);
    expect<i64>(d.resetMs).toBe(59_500);
    expect<i64>(d.windowMs).toBe(60_000);
    expect<i64>(d.retryAfterMs).toBe(0);
  });

  it("among limits with the same remainder reports the one that resets last", () => {
    const slow = new Limit(LimitKind.FixedWindow, 3, 60_000);
    const fast = new Limit(LimitKind.FixedWindow, 3, 1000);
    const d = new Decision();
    const ab: Limit[] = [slow, fast];
    check(ab, freshState(ab, 0), 0, 1, d, true);
    expect<i32>(d.limitIndex).toBe(0);
    expect<i64>(d.resetMs).toBe(60_000);
    const ba: Limit[] = [fast, slow];
    check(ba, freshState(ba, 0), 0, 1, d, true);
    expect<i32>(d.limitIndex).toBe(1);
    expect<i64>(d.resetMs).toBe(60_000);
    // A tighter limit is reported even when a looser one resets later.
    const tight = new Limit(LimitKind.FixedWindow, 2, 1000);
    const tl: Limit[] = [tight, slow];
    check(tl, freshState(tl, 0), 0, 1, d, true);
    expect<i32>(d.limitIndex).toBe(0);
    expect<i64>(d.remaining).toBe(1);
    expect<i64>(d.resetMs).toBe(1000);
  });

  it("admits anything under no limits and reports nothing", () => {
    const d = new Decision();
    d.allowed = false;
    d.limitIndex = 3;
    d.limit = 4;
    d.remaining = 5;
    d.resetMs = 6;
    d.retryAfterMs = 7;
    d.windowMs = 8;
    d.taken = 9;
    d.leaseUntil = 10;
    check([], new StaticArray<i64>(0), 1000, 1, d, true);
    expect<bool>(d.allowed).toBe(true);
    expect<i32>(d.limitIndex).toBe(0);
    expect<i64>(d.limit).toBe(0);
    expect<i64>(d.remaining).toBe(0);
    expect<i64>(d.resetMs).toBe(0);
    expect<i64>(d.retryAfterMs).toBe(0);
    expect<i64>(d.windowMs).toBe(0);
    expect<i64>(d.taken).toBe(0);
    expect<i64>(d.leaseUntil).toBe(0);
  });

  it("reports the first of limits with the same remainder and the same reset", () => {
    const ls: Limit[] = [
      new Limit(LimitKind.FixedWindow, 3, 1000),
      new Limit(LimitKind.TokenBucket, 3, 1000, 1),
    ];
    const d = new Decision();
    check(ls, freshState(ls, 0), 0, 1, d, true);
    expect<i64>(d.remaining).toBe(2);
    expect<i64>(d.resetMs).toBe(1000);
    expect<i32>(d.limitIndex).toBe(0);
  });

  it("takes what it admits unless told not to", () => {
    const ls = limits1(new Limit(LimitKind.FixedWindow, 3, 1000));
    const s = freshState(ls, 0);
    const d = new Decision();
    check(ls, s, 0, 2, d);
    expect<i64>(s[0]).toBe(2);
    check(ls, s, 0, 1, d, false);
    expect<i64>(s[0]).toBe(2);
  });

  it("starts a decision as admitted with nothing taken, and reset() makes it so again", () => {
    const used = new Decision();
    used.allowed = false;
    used.limitIndex = 3;
    used.limit = 4;
    used.remaining = 5;
    used.resetMs = 6;
    used.retryAfterMs = 7;
    used.windowMs = 8;
    used.taken = 9;
    used.leaseUntil = 10;
    used.reset();
    expect<bool>(used.allowed).toBe(true);
    expect<i32>(used.limitIndex).toBe(0);
    expect<i64>(used.limit).toBe(0);
    expect<i64>(used.remaining).toBe(0);
    expect<i64>(used.resetMs).toBe(0);
    expect<i64>(used.retryAfterMs).toBe(0);
    expect<i64>(used.windowMs).toBe(0);
    expect<i64>(used.taken).toBe(0);
    expect<i64>(used.leaseUntil).toBe(0);
  });

  it("starts a decision as admitted with nothing taken", () => {
    const d = new Decision();
    expect<bool>(d.allowed).toBe(true);
    expect<i32>(d.limitIndex).toBe(0);
    expect<i64>(d.limit).toBe(0);
    expect<i64>(d.remaining).toBe(0);
    expect<i64>(d.resetMs).toBe(0);
    expect<i64>(d.retryAfterMs).toBe(0);
    expect<i64>(d.windowMs).toBe(0);
    expect<i64>(d.taken).toBe(0);
    expect<i64>(d.leaseUntil).toBe(0);
  });

  it("rounds waits up to whole seconds", () => {
    expect<i64>(ceilSeconds(0)).toBe(0);
    expect<i64>(ceilSeconds(-5)).toBe(0);
    expect<i64>(ceilSeconds(1000)).toBe(1);
    expect<i64>(ceilSeconds(1001)).toBe(2);
  });

  it("keeps the signature and key hash of earlier builds (other workers may run them)", () => {
    // FNV-1a over each field's 8 little-endian bytes, then over the limits' signatures.
    expect<u32>(new Limit(LimitKind.TokenBucket, 5, 1000, 5).signature()).toBe(0x75a430fc);
    expect<u32>(new Limit(LimitKind.FixedWindow, 7, 60_000).signature()).toBe(0xd43036c1);
    expect<u32>(new Limit(LimitKind.FixedWindow, 7, 60_000, 0).signature()).toBe(0xd43036c1);
    expect<u32>(new Limit(LimitKind.SlidingWindow, 10, 1000).signature()).toBe(0x1c51e7d4);
    const ls: Limit[] = [
      new Limit(LimitKind.TokenBucket, 5, 1000, 5),
      new Limit(LimitKind.FixedWindow, 7, 60_000),
      new Limit(LimitKind.SlidingWindow, 10, 1000),
    ];
    expect<u32>(limitsSignature(ls)).toBe(0xb1ae4741);
    // FNV-1a over the bytes, then the avalanche.
    expect<u32>(bucketHash(new ArrayBuffer(0))).toBe(0x5db4a501);
    expect<u32>(bucketHash(String.UTF8.encode("a"))).toBe(0x579640c7);
    expect<u32>(bucketHash(String.UTF8.encode("ip=10.0.0.1"))).toBe(0xf0b122f9);
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
    expect<i32>(BucketSet.decode(bytesOf([1, 0]))!.entries.length).toBe(0);
    expect<bool>(BucketSet.decode(bytesOf([2, 0])) === null).toBe(true);
    const otherVersion = bytes.slice(0);
    store<u8>(changetype<usize>(otherVersion), 2);
    expect<bool>(BucketSet.decode(otherVersion) === null).toBe(true);
  });

  it("writes nothing past the bytes it returns", () => {
    // A marker in the word after the last entry's state: inside that array's own allocation
    // (two values leave 12 bytes of padding before the next block), never part of the state.
    const MARKER: u64 = 0x5e7b0c4e7e5e7b0c;
    const st = new StaticArray<i64>(2);
    st[0] = 7;
    st[1] = -8;
    store<u64>(changetype<usize>(st) + 16, MARKER);
    const set = new BucketSet();
    set.entries.push(new BucketEntry(String.UTF8.encode("k"), 5, 1, st));
    // 33 bytes: their allocation, too, has room after them, where a stray write would land.
    const bytes = set.encode();
    expect<i32>(bytes.byteLength).toBe(2 + 1 + 1 + 13 + 16);
    expect<i64>(load<i64>(changetype<usize>(bytes) + 17)).toBe(7);
    expect<i64>(load<i64>(changetype<usize>(bytes) + 25)).toBe(-8);
    expect<u64>(load<u64>(changetype<usize>(bytes) + bytes.byteLength)).not.toBe(MARKER);
  });

  it("drops only entries admitted before the idle time, keeping the others in order", () => {
    const set = new BucketSet();
    set.entries.push(new BucketEntry(String.UTF8.encode("old"), 100, 0, new StaticArray<i64>(0)));
    set.entries.push(new BucketEntry(String.UTF8.encode("edge"), 200, 0, new StaticArray<i64>(0)));
    set.entries.push(new BucketEntry(String.UTF8.encode("gone"), 150, 0, new StaticArray<i64>(0)));
    set.entries.push(new BucketEntry(String.UTF8.encode("new"), 300, 0, new StaticArray<i64>(0)));
    expect<i32>(set.dropIdle(200)).toBe(2);
    expect<i32>(set.entries.length).toBe(2);
    expect<i32>(set.find(String.UTF8.encode("edge"))).toBe(0);
    expect<i32>(set.find(String.UTF8.encode("new"))).toBe(1);
  });

  it("picks the first of equally old entries as the victim", () => {
    const set = new BucketSet();
    set.entries.push(new BucketEntry(String.UTF8.encode("a"), i64.MAX_VALUE, 0, new StaticArray<i64>(0)));
    expect<i32>(set.victim()).toBe(0);
    set.entries.push(new BucketEntry(String.UTF8.encode("b"), i64.MAX_VALUE, 0, new StaticArray<i64>(0)));
    set.entries.push(new BucketEntry(String.UTF8.encode("c"), i64.MAX_VALUE, 0, new StaticArray<i64>(0)));
    expect<i32>(set.victim()).toBe(0);
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
    // Up to 64 bytes as they are, whatever the first byte; 33 bytes not starting 0xff too.
    const sixtyFour = String.UTF8.encode("k".repeat(64));
    expect<bool>(bucketKey(sixtyFour) == sixtyFour).toBe(true);
    expect<i32>(bucketKey(String.UTF8.encode("k".repeat(65))).byteLength).toBe(33);
    const plain33 = String.UTF8.encode("k".repeat(33));
    expect<bool>(bucketKey(plain33) == plain33).toBe(true);
    const ff = bytesOf([0xff, 0x61]);
    expect<bool>(bucketKey(ff) == ff).toBe(true);
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
      expect<bool>(got == InPlace.Admitted).toBe(admitted);
      expect<i64>(d.leaseUntil).toBe(0); // no lease taken
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
    // Bytes of another version are not decided in place either.
    const otherVersion = bytes.slice(0);
    store<u8>(changetype<usize>(otherVersion), 2);
    expect<i32>(takeInPlace(otherVersion, key, ls, sig, 1, 8000, 0, scratch, d)).toBe(InPlace.Decode);
  });

  it("decides in place on the key's own state only, wherever it is in the set", () => {
    const ls: Limit[] = [new Limit(LimitKind.TokenBucket, 5, 1000, 1)];
    const sig = limitsSignature(ls);
    const set = new BucketSet();
    // "b", a prefix of the key "bb", stored first; the key second; one entry of no state last.
    set.entries.push(new BucketEntry(String.UTF8.encode("b"), 5000, sig, freshState(ls, 5000)));
    set.entries.push(new BucketEntry(String.UTF8.encode("bb"), 5000, sig, freshState(ls, 5000)));
    set.entries.push(new BucketEntry(String.UTF8.encode("z"), 6000, 7, new StaticArray<i64>(0)));
    const d = new Decision();
    // The scratch's values beyond the state are left alone, and what it held before is not used.
    const scratch = new StaticArray<i64>(4);
    scratch[0] = 0;
    scratch[1] = 7000;
    scratch[3] = 12345;
    const bytes = set.encode();
    // An entry last admitted exactly at the idle time stays: decided in place.
    expect<i32>(takeInPlace(bytes, String.UTF8.encode("bb"), ls, sig, 2, 7000, 5000, scratch, d)).toBe(InPlace.Admitted);
    expect<i64>(scratch[3]).toBe(12345);
    const want = BucketSet.decode(set.encode())!;
    check(ls, want.entries[1].state, 7000, 2, d, true);
    want.entries[1].lastSeen = 7000;
    expect<bool>(sameBytes(bytes, want.encode())).toBe(true);
    // A key absent but for a stored prefix of it is not decided in place.
    expect<i32>(takeInPlace(bytes, String.UTF8.encode("bbb"), ls, sig, 1, 7000, 0, scratch, d)).toBe(InPlace.Decode);
  });
});

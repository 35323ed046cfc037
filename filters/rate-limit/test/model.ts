// A plain TypeScript model of the rate limiter, the oracle the module is held to: the same
// arithmetic over integer milliseconds, written from the definitions (not from the module),
// keyed by a Map with no capacity limit (tests keep live keys below the table's size).

export type LimitSpec =
  | { token_bucket: { capacity: number; tokens_per_fill?: number; fill_interval: string } }
  | { window: { requests: number; per: "second" | "minute" | "hour" | "day"; sliding?: boolean } };

const UNIT_MS = { second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

export function durationMs(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  if (!m) throw new Error(`bad duration ${text}`);
  const n = Number(m[1]);
  return n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "ms"];
}

interface Bucket {
  kind: "bucket";
  capacity: number;
  perFill: number;
  interval: number;
  tokens: number;
  lastFill: number;
}
interface Window {
  kind: "fixed" | "sliding";
  capacity: number;
  length: number;
  start: number;
  count: number;
  previous: number;
}
type State = Bucket | Window;

function fresh(spec: LimitSpec, now: number): State {
  if ("token_bucket" in spec) {
    const b = spec.token_bucket;
    return {
      kind: "bucket",
      capacity: b.capacity,
      perFill: b.tokens_per_fill ?? 1,
      interval: durationMs(b.fill_interval),
      tokens: b.capacity,
      lastFill: now,
    };
  }
  const length = UNIT_MS[spec.window.per];
  return {
    kind: spec.window.sliding ? "sliding" : "fixed",
    capacity: spec.window.requests,
    length,
    start: now - (now % length),
    count: 0,
    previous: 0,
  };
}

function bringTo(s: State, now: number): void {
  if (s.kind === "bucket") {
    // While full, the fill clock stands at now: an interval starts when a token is taken.
    const fills = Math.floor((now - s.lastFill) / s.interval);
    if (fills > 0) {
      s.tokens = Math.min(s.capacity, s.tokens + fills * s.perFill);
      s.lastFill += fills * s.interval;
    }
    if (s.tokens >= s.capacity) s.lastFill = Math.max(now, s.lastFill);
    return;
  }
  const start = now - (now % s.length);
  if (start === s.start) return;
  s.previous = s.kind === "sliding" && start - s.length === s.start ? s.count : 0;
  s.count = 0;
  s.start = start;
}

/** The count a window holds at `now` for the sliding estimate, times the window length. */
function weighted(s: Window, now: number, extra: number): number {
  return s.previous * (s.length - (now - s.start)) + (s.count + extra) * s.length;
}

function admits(s: State, now: number, cost: number): boolean {
  if (s.kind === "bucket") return s.tokens >= cost;
  if (s.kind === "fixed") return s.count + cost <= s.capacity;
  return weighted(s, now, cost) <= s.capacity * s.length;
}

function remaining(s: State, now: number): number {
  if (s.kind === "bucket") return Math.max(0, s.tokens);
  if (s.kind === "fixed") return Math.max(0, s.capacity - s.count);
  const room = s.capacity * s.length - weighted(s, now, 0);
  return room < 0 ? 0 : Math.floor(room / s.length);
}

function resetIn(s: State, now: number): number {
  if (s.kind === "bucket") {
    const missing = s.capacity - s.tokens;
    if (missing <= 0) return 0;
    return s.lastFill + Math.ceil(missing / s.perFill) * s.interval - now;
  }
  return s.start + s.length - now;
}

/** Milliseconds until `cost` fits, found by stepping time forward on a copy (a different
 *  method from the module's closed forms, on purpose). */
function waitFor(s: State, now: number, cost: number): number {
  if (s.kind === "bucket") {
    if (cost > s.capacity) return s.interval;
    const copy = { ...s };
    let t = now;
    while (!admits(copy, t, cost)) {
      t = copy.lastFill + copy.interval;
      bringTo(copy, t);
    }
    return t - now;
  }
  if (s.kind === "fixed" || cost > s.capacity)
    return admits(s, now, cost) ? 0 : s.start + s.length - now;
  // Sliding: the weighted count only falls with time; binary search over the next two windows.
  const copyAt = (t: number) => {
    const c = { ...s };
    bringTo(c, t);
    return admits(c, t, cost);
  };
  let lo = now;
  let hi = s.start + 2 * s.length;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (copyAt(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo - now;
}

export interface ModelDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  resetMs: number;
  windowMs: number;
  retryAfterMs: number;
}

/** One key's limits. */
export class ModelKey {
  private readonly states: State[];
  /** No request has been decided on this key yet. */
  fresh = true;
  constructor(
    private readonly specs: LimitSpec[],
    now: number,
  ) {
    this.states = specs.map((s) => fresh(s, now));
  }

  take(now: number, cost: number): ModelDecision {
    for (const s of this.states) bringTo(s, now);
    const allowed = this.states.every((s) => admits(s, now, cost));
    const retryAfterMs = allowed ? 0 : Math.max(...this.states.map((s) => waitFor(s, now, cost)));
    if (allowed) {
      for (const s of this.states) {
        if (s.kind === "bucket") s.tokens -= cost;
        else s.count += cost;
      }
    }
    let best = -1;
    let bestRemaining = Number.POSITIVE_INFINITY;
    let bestReset = -1;
    this.states.forEach((s, i) => {
      const r = remaining(s, now);
      const reset = resetIn(s, now);
      if (r < bestRemaining || (r === bestRemaining && reset > bestReset)) {
        best = i;
        bestRemaining = r;
        bestReset = reset;
      }
    });
    const chosen = this.states[best] as State;
    return {
      allowed,
      limit: chosen.capacity,
      remaining: bestRemaining,
      resetMs: Math.max(0, bestReset),
      windowMs: chosen.kind === "bucket" ? chosen.interval : chosen.length,
      retryAfterMs,
    };
  }

  get limits(): LimitSpec[] {
    return this.specs;
  }
}

/** Whole seconds, rounded up. */
export const seconds = (ms: number) => (ms <= 0 ? 0 : Math.ceil(ms / 1000));

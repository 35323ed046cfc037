// The rate limit service's messages on the protobuf wire, for tests that play the service in
// the test host: RateLimitRequest read the way a service reads it, RateLimitResponse written the
// way one writes it (field numbers of envoy.service.ratelimit.v3). The real service in
// cluster.envoy.test.ts checks the module against a real protobuf implementation.

export interface Entry {
  key: string;
  value: string;
}

export interface SentDescriptor {
  entries: Entry[];
  /** The descriptor's hits_addend (UInt64Value); undefined when absent. */
  hits?: number;
}

export interface SentRequest {
  domain: string;
  descriptors: SentDescriptor[];
  hitsAddend: number;
}

const decoder = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

class Reader {
  pos = 0;
  constructor(
    readonly bytes: Uint8Array,
    readonly end = bytes.length,
    start = 0,
  ) {
    this.pos = start;
  }
  get done(): boolean {
    return this.pos >= this.end;
  }
  varint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (this.pos >= this.end) throw new Error("truncated varint");
      const b = this.bytes[this.pos++] as number;
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
  }
  sub(): Reader {
    const n = this.varint();
    if (this.pos + n > this.end) throw new Error("length past the end");
    const r = new Reader(this.bytes, this.pos + n, this.pos);
    this.pos += n;
    return r;
  }
  string(): string {
    const r = this.sub();
    return decoder.decode(this.bytes.subarray(r.pos, r.end));
  }
  fields(each: (field: number, wire: number) => void): void {
    while (!this.done) {
      const key = this.varint();
      each(Math.floor(key / 8), key % 8);
    }
  }
}

function expectWire(field: number, wire: number, want: number): void {
  if (wire !== want) throw new Error(`field ${field}: wire type ${wire}, expected ${want}`);
}

/** Reads a RateLimitRequest; throws on anything a protobuf parser would refuse or we do not expect. */
export function decodeRequest(bytes: Uint8Array): SentRequest {
  const out: SentRequest = { domain: "", descriptors: [], hitsAddend: 0 };
  const r = new Reader(bytes);
  r.fields((field, wire) => {
    if (field === 1) {
      expectWire(field, wire, 2);
      out.domain = r.string();
    } else if (field === 2) {
      expectWire(field, wire, 2);
      const d = r.sub();
      const descriptor: SentDescriptor = { entries: [] };
      d.fields((f, w) => {
        expectWire(f, w, 2);
        const sub = d.sub();
        if (f === 1) {
          const entry: Entry = { key: "", value: "" };
          sub.fields((ef, ew) => {
            expectWire(ef, ew, 2);
            if (ef === 1) entry.key = sub.string();
            else if (ef === 2) entry.value = sub.string();
            else throw new Error(`entry field ${ef}`);
          });
          descriptor.entries.push(entry);
        } else if (f === 3) {
          descriptor.hits = 0;
          sub.fields((hf, hw) => {
            expectWire(hf, hw, 0);
            descriptor.hits = sub.varint();
          });
        } else {
          throw new Error(`descriptor field ${f}`);
        }
      });
      out.descriptors.push(descriptor);
    } else if (field === 3) {
      expectWire(field, wire, 0);
      out.hitsAddend = r.varint();
    } else {
      throw new Error(`request field ${field}`);
    }
  });
  return out;
}

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function len(field: number, payload: number[]): number[] {
  return [...varint(field * 8 + 2), ...varint(payload.length), ...payload];
}

function num(field: number, value: number): number[] {
  return value === 0 ? [] : [...varint(field * 8), ...varint(value)];
}

export const Code = { UNKNOWN: 0, OK: 1, OVER_LIMIT: 2 } as const;
export const Unit = { SECOND: 1, MINUTE: 2, HOUR: 3, DAY: 4, MONTH: 5, YEAR: 6, WEEK: 7 } as const;

export interface StatusInit {
  code: number;
  limit?: { requestsPerUnit: number; unit: number; name?: string };
  remaining?: number;
  /** duration_until_reset in seconds and nanoseconds. */
  reset?: { seconds: number; nanos?: number };
}

export function statusBytes(s: StatusInit): number[] {
  const out = [...num(1, s.code)];
  if (s.limit) {
    const l = [...num(1, s.limit.requestsPerUnit), ...num(2, s.limit.unit)];
    if (s.limit.name) l.push(...len(3, [...encoder.encode(s.limit.name)]));
    out.push(...len(2, l));
  }
  out.push(...num(3, s.remaining ?? 0));
  if (s.reset) out.push(...len(4, [...num(1, s.reset.seconds), ...num(2, s.reset.nanos ?? 0)]));
  return out;
}

/** A RateLimitResponse: the overall code, then a status per descriptor. */
export function encodeResponse(overall: number, statuses: StatusInit[] = []): Uint8Array {
  const out = [...num(1, overall)];
  for (const s of statuses) out.push(...len(2, statusBytes(s)));
  return new Uint8Array(out);
}

// ---- the decoding rules, as a model for the fuzz ----------------------------------------------

export interface ModelStatus {
  code: number;
  hasLimit: boolean;
  requestsPerUnit: number;
  unit: number;
  remaining: number;
  /** Milliseconds, clamped to 0..366 days; -1 when absent. */
  resetMs: number;
}

export interface ModelResponse {
  overall: number;
  statuses: ModelStatus[];
}

const U64 = (1n << 64n) - 1n;
const low32 = (v: bigint) => Number(BigInt.asIntN(32, v));
const low32u = (v: bigint) => Number(BigInt.asUintN(32, v));
const MAX_RESET_MS = 366 * 86_400_000;

class Strict {
  constructor(
    readonly b: Uint8Array,
    public pos: number,
    readonly end: number,
  ) {}
  varint(): bigint {
    let v = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.end) throw new Error("truncated");
      const byte = this.b[this.pos++] as number;
      v |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return v & U64;
    }
    throw new Error("varint over ten bytes");
  }
  key(): [number, number] {
    const k = this.varint();
    if (k > 0xffffffffn || k >> 3n === 0n) throw new Error("bad key");
    return [Number(k >> 3n), Number(k & 7n)];
  }
  nested(): Strict {
    const n = this.varint();
    if (n > BigInt(this.end - this.pos)) throw new Error("length past the end");
    const s = new Strict(this.b, this.pos, this.pos + Number(n));
    this.pos += Number(n);
    return s;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 2) this.nested();
    else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      if (this.end - this.pos < n) throw new Error("truncated fixed");
      this.pos += n;
    } else throw new Error(`wire type ${wire}`);
  }
  each(f: (field: number, wire: number) => void): void {
    while (this.pos < this.end) {
      const [field, wire] = this.key();
      f(field, wire);
    }
  }
}

function need(ok: boolean): void {
  if (!ok) throw new Error("known field, wrong wire type");
}

/** What the module's decoder makes of `bytes`: null where it refuses them. */
export function modelDecode(bytes: Uint8Array): ModelResponse | null {
  try {
    const r = new Strict(bytes, 0, bytes.length);
    const out: ModelResponse = { overall: 0, statuses: [] };
    r.each((field, wire) => {
      if (field === 1) {
        need(wire === 0);
        out.overall = low32(r.varint());
      } else if (field === 2) {
        need(wire === 2);
        if (out.statuses.length >= 64) throw new Error("too many statuses");
        const s = r.nested();
        const st: ModelStatus = {
          code: 0,
          hasLimit: false,
          requestsPerUnit: 0,
          unit: 0,
          remaining: 0,
          resetMs: -1,
        };
        s.each((f, w) => {
          if (f === 1) {
            need(w === 0);
            st.code = low32(s.varint());
          } else if (f === 2) {
            need(w === 2);
            st.hasLimit = true;
            const l = s.nested();
            l.each((lf, lw) => {
              if (lf === 1) {
                need(lw === 0);
                st.requestsPerUnit = low32u(l.varint());
              } else if (lf === 2) {
                need(lw === 0);
                st.unit = low32(l.varint());
              } else if (lf === 3) {
                need(lw === 2);
                l.skip(lw);
              } else l.skip(lw);
            });
          } else if (f === 3) {
            need(w === 0);
            st.remaining = low32u(s.varint());
          } else if (f === 4) {
            need(w === 2);
            const d = s.nested();
            let seconds = 0n;
            let nanos = 0;
            d.each((df, dw) => {
              if (df === 1) {
                need(dw === 0);
                seconds = BigInt.asIntN(64, d.varint());
              } else if (df === 2) {
                need(dw === 0);
                nanos = low32(d.varint());
              } else d.skip(dw);
            });
            let ms: number;
            if (seconds < 0n) ms = 0;
            else if (seconds >= BigInt(MAX_RESET_MS / 1000)) ms = MAX_RESET_MS;
            else
              ms =
                Number(seconds) * 1000 +
                (nanos > 0 ? Math.floor((nanos + 999_999) / 1_000_000) : 0);
            st.resetMs = Math.min(ms, MAX_RESET_MS);
          } else s.skip(w);
        });
        out.statuses.push(st);
      } else r.skip(wire);
    });
    return out;
  } catch {
    return null;
  }
}

/** A RateLimitRequest as a client writes it (for calling a real service directly). */
export function encodeRequest(req: SentRequest): Uint8Array {
  const out = [...len(1, [...encoder.encode(req.domain)])];
  for (const d of req.descriptors) {
    const payload: number[] = [];
    for (const e of d.entries) {
      payload.push(
        ...len(1, [...len(1, [...encoder.encode(e.key)]), ...len(2, [...encoder.encode(e.value)])]),
      );
    }
    if (d.hits !== undefined) payload.push(...len(3, num(1, d.hits)));
    out.push(...len(2, payload));
  }
  out.push(...num(3, req.hitsAddend));
  return new Uint8Array(out);
}

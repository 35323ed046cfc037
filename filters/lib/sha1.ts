// SHA-1 (FIPS 180-4), streaming and one-shot, on the same `Hash` base as SHA-2.
//
// Only for reading what older systems store: Apache htpasswd's `{SHA}` lines are base64 of a
// SHA-1 digest. SHA-1 is broken for collisions; never use it to sign or to choose between
// keys. It is deliberately not a `HashAlgorithm`, so no configuration can pick it for JWT or
// HMAC.
//
// Pure module: no host imports; legal in any callback.
//
//   new Sha1().update(bytes).finish()   // 20 bytes
//   sha1(bytes)                         // one-shot

import { Hash } from "./sha2";

// Initial state (FIPS 180-4 section 5.3.1).
const IV1: StaticArray<u32> = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];

/** SHA-1. Example: `const digest = new Sha1().update(data).finish()` (20 bytes). */
export class Sha1 extends Hash {
  private readonly state: StaticArray<u32> = new StaticArray<u32>(5);
  private readonly saved: StaticArray<u32> = new StaticArray<u32>(5);
  private readonly w: StaticArray<u32> = new StaticArray<u32>(80);

  constructor() {
    super(64, 20);
    this.reset();
  }

  reset(): Hash {
    memory.copy(changetype<usize>(this.state), changetype<usize>(IV1), 20);
    this.total = 0;
    this.buffered = 0;
    return this;
  }

  protected compress(ptr: usize): void {
    const w = changetype<usize>(this.w);
    for (let t: usize = 0; t < 16; t++) store<u32>(w + (t << 2), bswap<u32>(load<u32>(ptr + (t << 2))));
    for (let t: usize = 16; t < 80; t++) {
      const x =
        load<u32>(w + ((t - 3) << 2)) ^
        load<u32>(w + ((t - 8) << 2)) ^
        load<u32>(w + ((t - 14) << 2)) ^
        load<u32>(w + ((t - 16) << 2));
      store<u32>(w + (t << 2), rotl<u32>(x, 1));
    }
    const s = changetype<usize>(this.state);
    let a = load<u32>(s, 0);
    let b = load<u32>(s, 4);
    let c = load<u32>(s, 8);
    let d = load<u32>(s, 12);
    let e = load<u32>(s, 16);
    for (let t: usize = 0; t < 80; t++) {
      let f: u32;
      let k: u32;
      if (t < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (t < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (t < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8f1bbcdc;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6;
      }
      const temp = rotl<u32>(a, 5) + f + e + k + load<u32>(w + (t << 2));
      e = d;
      d = c;
      c = rotl<u32>(b, 30);
      b = a;
      a = temp;
    }
    store<u32>(s, load<u32>(s, 0) + a, 0);
    store<u32>(s, load<u32>(s, 4) + b, 4);
    store<u32>(s, load<u32>(s, 8) + c, 8);
    store<u32>(s, load<u32>(s, 12) + d, 12);
    store<u32>(s, load<u32>(s, 16) + e, 16);
  }

  protected writeDigest(out: usize): void {
    const s = changetype<usize>(this.state);
    for (let i: usize = 0; i < 5; i++) store<u32>(out + (i << 2), bswap<u32>(load<u32>(s + (i << 2))));
  }

  protected saveState(): void {
    memory.copy(changetype<usize>(this.saved), changetype<usize>(this.state), 20);
  }

  protected restoreState(): void {
    memory.copy(changetype<usize>(this.state), changetype<usize>(this.saved), 20);
  }
}

/** SHA-1 of `data` (allocates a hasher: keep a `Sha1` for per-request use). */
export function sha1(data: ArrayBuffer): ArrayBuffer {
  return new Sha1().update(data).finish();
}

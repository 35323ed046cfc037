// SHA-256, SHA-384 and SHA-512 (FIPS 180-4), streaming and one-shot.
//
// Why our own: the AssemblyScript SHA-2 packages on npm either ship only compiled modules for
// JavaScript callers (no source a filter can import) or target compilers from 2021; none
// covers SHA-384/512. State, message schedule and block buffer live in each hasher, allocated
// once; `update` and `finishInto` allocate nothing, so a hasher kept in the root's config
// hashes per request for free. Verified against node:crypto by filters/lib/test.
//
// Pure module: no host imports; legal in any callback.
//
//   const h = new Sha256();                  // once
//   h.reset(); h.update(bytes); h.finish();  // per message: an ArrayBuffer of 32 bytes
//   sha256(bytes)                            // one-shot

// Round constants: the first 32 (SHA-256) or 64 (SHA-512) bits of the fractional parts of the
// cube roots of the first 64 (80) primes; initial values likewise from square roots.
const K256: StaticArray<u32> = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

const K512: StaticArray<u64> = [
  0x428a2f98d728ae22, 0x7137449123ef65cd, 0xb5c0fbcfec4d3b2f, 0xe9b5dba58189dbbc,
  0x3956c25bf348b538, 0x59f111f1b605d019, 0x923f82a4af194f9b, 0xab1c5ed5da6d8118,
  0xd807aa98a3030242, 0x12835b0145706fbe, 0x243185be4ee4b28c, 0x550c7dc3d5ffb4e2,
  0x72be5d74f27b896f, 0x80deb1fe3b1696b1, 0x9bdc06a725c71235, 0xc19bf174cf692694,
  0xe49b69c19ef14ad2, 0xefbe4786384f25e3, 0x0fc19dc68b8cd5b5, 0x240ca1cc77ac9c65,
  0x2de92c6f592b0275, 0x4a7484aa6ea6e483, 0x5cb0a9dcbd41fbd4, 0x76f988da831153b5,
  0x983e5152ee66dfab, 0xa831c66d2db43210, 0xb00327c898fb213f, 0xbf597fc7beef0ee4,
  0xc6e00bf33da88fc2, 0xd5a79147930aa725, 0x06ca6351e003826f, 0x142929670a0e6e70,
  0x27b70a8546d22ffc, 0x2e1b21385c26c926, 0x4d2c6dfc5ac42aed, 0x53380d139d95b3df,
  0x650a73548baf63de, 0x766a0abb3c77b2a8, 0x81c2c92e47edaee6, 0x92722c851482353b,
  0xa2bfe8a14cf10364, 0xa81a664bbc423001, 0xc24b8b70d0f89791, 0xc76c51a30654be30,
  0xd192e819d6ef5218, 0xd69906245565a910, 0xf40e35855771202a, 0x106aa07032bbd1b8,
  0x19a4c116b8d2d0c8, 0x1e376c085141ab53, 0x2748774cdf8eeb99, 0x34b0bcb5e19b48a8,
  0x391c0cb3c5c95a63, 0x4ed8aa4ae3418acb, 0x5b9cca4f7763e373, 0x682e6ff3d6b2b8a3,
  0x748f82ee5defb2fc, 0x78a5636f43172f60, 0x84c87814a1f0ab72, 0x8cc702081a6439ec,
  0x90befffa23631e28, 0xa4506cebde82bde9, 0xbef9a3f7b2c67915, 0xc67178f2e372532b,
  0xca273eceea26619c, 0xd186b8c721c0c207, 0xeada7dd6cde0eb1e, 0xf57d4f7fee6ed178,
  0x06f067aa72176fba, 0x0a637dc5a2c898a6, 0x113f9804bef90dae, 0x1b710b35131c471b,
  0x28db77f523047d84, 0x32caab7b40c72493, 0x3c9ebe0a15c9bebc, 0x431d67c49c100d4c,
  0x4cc5d4becb3e42b6, 0x597f299cfc657e2a, 0x5fcb6fab3ad6faec, 0x6c44198c4a475817,
];

const IV256: StaticArray<u32> = [
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

const IV384: StaticArray<u64> = [
  0xcbbb9d5dc1059ed8, 0x629a292a367cd507, 0x9159015a3070dd17, 0x152fecd8f70e5939,
  0x67332667ffc00b31, 0x8eb44a8768581511, 0xdb0c2e0d64f98fa7, 0x47b5481dbefa4fa4,
];

const IV512: StaticArray<u64> = [
  0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b, 0xa54ff53a5f1d36f1,
  0x510e527fade682d1, 0x9b05688c2b3e6c1f, 0x1f83d9abfb41bd6b, 0x5be0cd19137e2179,
];

/** The SHA-2 functions offered here (by name in configs: "sha256", "sha384", "sha512"). */
export enum HashAlgorithm {
  Sha256 = 0,
  Sha384 = 1,
  Sha512 = 2,
}

/**
 * A streaming SHA-2 hasher. `update` any number of times, then `finish` (or `finishInto`);
 * `reset` starts over. `mark` remembers the state at a block boundary and `rewind` returns to
 * it (HMAC uses this to key a hasher once). Example: `new Sha256().update(a).update(b).finish()`.
 */
export abstract class Hash {
  protected readonly block: StaticArray<u8>;
  protected buffered: i32 = 0;
  protected total: u64 = 0;
  protected markedTotal: u64 = 0;

  constructor(
    /** Bytes per block: 64 or 128. */
    public readonly blockSize: i32,
    /** Bytes of digest: 32, 48 or 64. */
    public readonly outputSize: i32,
  ) {
    this.block = new StaticArray<u8>(blockSize);
  }

  /** Starts a new message. */
  abstract reset(): Hash;

  /** Adds `len` bytes at `ptr`. */
  updateRaw(ptr: usize, len: i32): Hash {
    const blockSize = this.blockSize;
    const block = changetype<usize>(this.block);
    this.total += <u64>len;
    let offset = 0;
    if (this.buffered > 0) {
      const take = min(blockSize - this.buffered, len);
      memory.copy(block + <usize>this.buffered, ptr, <usize>take);
      this.buffered += take;
      offset = take;
      if (this.buffered < blockSize) return this;
      this.compress(block);
      this.buffered = 0;
    }
    while (len - offset >= blockSize) {
      this.compress(ptr + <usize>offset);
      offset += blockSize;
    }
    if (offset < len) {
      memory.copy(block, ptr + <usize>offset, <usize>(len - offset));
      this.buffered = len - offset;
    }
    return this;
  }

  /** Adds the bytes of `data`. */
  update(data: ArrayBuffer): Hash {
    return this.updateRaw(changetype<usize>(data), data.byteLength);
  }

  /** Adds the UTF-8 bytes of `text` (encoded once, here). */
  updateString(text: string): Hash {
    return this.update(String.UTF8.encode(text));
  }

  /** Writes the digest (`outputSize` bytes) at `out`; the hasher must be reset before reuse. */
  finishInto(out: usize): void {
    const blockSize = this.blockSize;
    const block = changetype<usize>(this.block);
    const lengthBytes = blockSize >> 3; // 8 for SHA-256, 16 for SHA-512
    const bits = this.total << 3;
    store<u8>(block + <usize>this.buffered, 0x80);
    this.buffered++;
    if (this.buffered > blockSize - lengthBytes) {
      memory.fill(block + <usize>this.buffered, 0, <usize>(blockSize - this.buffered));
      this.compress(block);
      this.buffered = 0;
    }
    memory.fill(block + <usize>this.buffered, 0, <usize>(blockSize - this.buffered));
    // The message length in bits, big-endian in the last 8 bytes (the high 64 bits of SHA-512's
    // 128-bit length stay zero: messages here are far below 2^61 bytes).
    store<u64>(block + <usize>(blockSize - 8), bswap<u64>(bits));
    this.compress(block);
    this.writeDigest(out);
  }

  /** The digest as a new buffer. */
  finish(): ArrayBuffer {
    const out = new ArrayBuffer(this.outputSize);
    this.finishInto(changetype<usize>(out));
    return out;
  }

  /** Remembers the current state; only at a block boundary (false, nothing kept, if not). */
  mark(): bool {
    if (this.buffered != 0) return false;
    this.markedTotal = this.total;
    this.saveState();
    return true;
  }

  /** Returns to the state `mark` remembered. */
  rewind(): Hash {
    this.total = this.markedTotal;
    this.buffered = 0;
    this.restoreState();
    return this;
  }

  protected abstract compress(ptr: usize): void;
  protected abstract writeDigest(out: usize): void;
  protected abstract saveState(): void;
  protected abstract restoreState(): void;
}

/** SHA-256. Example: `const digest = new Sha256().update(data).finish()`. */
export class Sha256 extends Hash {
  private readonly state: StaticArray<u32> = new StaticArray<u32>(8);
  private readonly saved: StaticArray<u32> = new StaticArray<u32>(8);
  private readonly w: StaticArray<u32> = new StaticArray<u32>(64);

  constructor() {
    super(64, 32);
    this.reset();
  }

  reset(): Hash {
    memory.copy(changetype<usize>(this.state), changetype<usize>(IV256), 32);
    this.total = 0;
    this.buffered = 0;
    return this;
  }

  protected compress(ptr: usize): void {
    const w = changetype<usize>(this.w);
    const k = changetype<usize>(K256);
    const s = changetype<usize>(this.state);
    for (let t: usize = 0; t < 16; t++) {
      store<u32>(w + (t << 2), bswap<u32>(load<u32>(ptr + (t << 2))));
    }
    for (let t: usize = 16; t < 64; t++) {
      const w15 = load<u32>(w + ((t - 15) << 2));
      const w2 = load<u32>(w + ((t - 2) << 2));
      const s0 = rotr<u32>(w15, 7) ^ rotr<u32>(w15, 18) ^ (w15 >>> 3);
      const s1 = rotr<u32>(w2, 17) ^ rotr<u32>(w2, 19) ^ (w2 >>> 10);
      store<u32>(w + (t << 2), load<u32>(w + ((t - 16) << 2)) + s0 + load<u32>(w + ((t - 7) << 2)) + s1);
    }
    let a = load<u32>(s, 0);
    let b = load<u32>(s, 4);
    let c = load<u32>(s, 8);
    let d = load<u32>(s, 12);
    let e = load<u32>(s, 16);
    let f = load<u32>(s, 20);
    let g = load<u32>(s, 24);
    let h = load<u32>(s, 28);
    for (let t: usize = 0; t < 64; t++) {
      const s1 = rotr<u32>(e, 6) ^ rotr<u32>(e, 11) ^ rotr<u32>(e, 25);
      const ch = (e & f) ^ (~e & g);
      const t1 = h + s1 + ch + load<u32>(k + (t << 2)) + load<u32>(w + (t << 2));
      const s0 = rotr<u32>(a, 2) ^ rotr<u32>(a, 13) ^ rotr<u32>(a, 22);
      const maj = (a & b) ^ (a & c) ^ (b & c);
      h = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + s0 + maj;
    }
    store<u32>(s, load<u32>(s, 0) + a, 0);
    store<u32>(s, load<u32>(s, 4) + b, 4);
    store<u32>(s, load<u32>(s, 8) + c, 8);
    store<u32>(s, load<u32>(s, 12) + d, 12);
    store<u32>(s, load<u32>(s, 16) + e, 16);
    store<u32>(s, load<u32>(s, 20) + f, 20);
    store<u32>(s, load<u32>(s, 24) + g, 24);
    store<u32>(s, load<u32>(s, 28) + h, 28);
  }

  protected writeDigest(out: usize): void {
    const s = changetype<usize>(this.state);
    for (let i: usize = 0; i < 8; i++) store<u32>(out + (i << 2), bswap<u32>(load<u32>(s + (i << 2))));
  }

  protected saveState(): void {
    memory.copy(changetype<usize>(this.saved), changetype<usize>(this.state), 32);
  }

  protected restoreState(): void {
    memory.copy(changetype<usize>(this.state), changetype<usize>(this.saved), 32);
  }
}

/** SHA-512, and SHA-384 (the same function from other initial values, cut to 48 bytes). */
export class Sha512 extends Hash {
  private readonly state: StaticArray<u64> = new StaticArray<u64>(8);
  private readonly saved: StaticArray<u64> = new StaticArray<u64>(8);
  private readonly w: StaticArray<u64> = new StaticArray<u64>(80);

  /** SHA-512, or SHA-384 when `is384`. */
  constructor(private readonly is384: bool = false) {
    super(128, is384 ? 48 : 64);
    this.reset();
  }

  reset(): Hash {
    const iv = this.is384 ? IV384 : IV512;
    memory.copy(changetype<usize>(this.state), changetype<usize>(iv), 64);
    this.total = 0;
    this.buffered = 0;
    return this;
  }

  protected compress(ptr: usize): void {
    const w = changetype<usize>(this.w);
    const k = changetype<usize>(K512);
    const s = changetype<usize>(this.state);
    for (let t: usize = 0; t < 16; t++) {
      store<u64>(w + (t << 3), bswap<u64>(load<u64>(ptr + (t << 3))));
    }
    for (let t: usize = 16; t < 80; t++) {
      const w15 = load<u64>(w + ((t - 15) << 3));
      const w2 = load<u64>(w + ((t - 2) << 3));
      const s0 = rotr<u64>(w15, 1) ^ rotr<u64>(w15, 8) ^ (w15 >>> 7);
      const s1 = rotr<u64>(w2, 19) ^ rotr<u64>(w2, 61) ^ (w2 >>> 6);
      store<u64>(w + (t << 3), load<u64>(w + ((t - 16) << 3)) + s0 + load<u64>(w + ((t - 7) << 3)) + s1);
    }
    let a = load<u64>(s, 0);
    let b = load<u64>(s, 8);
    let c = load<u64>(s, 16);
    let d = load<u64>(s, 24);
    let e = load<u64>(s, 32);
    let f = load<u64>(s, 40);
    let g = load<u64>(s, 48);
    let h = load<u64>(s, 56);
    for (let t: usize = 0; t < 80; t++) {
      const s1 = rotr<u64>(e, 14) ^ rotr<u64>(e, 18) ^ rotr<u64>(e, 41);
      const ch = (e & f) ^ (~e & g);
      const t1 = h + s1 + ch + load<u64>(k + (t << 3)) + load<u64>(w + (t << 3));
      const s0 = rotr<u64>(a, 28) ^ rotr<u64>(a, 34) ^ rotr<u64>(a, 39);
      const maj = (a & b) ^ (a & c) ^ (b & c);
      h = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + s0 + maj;
    }
    store<u64>(s, load<u64>(s, 0) + a, 0);
    store<u64>(s, load<u64>(s, 8) + b, 8);
    store<u64>(s, load<u64>(s, 16) + c, 16);
    store<u64>(s, load<u64>(s, 24) + d, 24);
    store<u64>(s, load<u64>(s, 32) + e, 32);
    store<u64>(s, load<u64>(s, 40) + f, 40);
    store<u64>(s, load<u64>(s, 48) + g, 48);
    store<u64>(s, load<u64>(s, 56) + h, 56);
  }

  protected writeDigest(out: usize): void {
    const s = changetype<usize>(this.state);
    const words: usize = this.is384 ? 6 : 8;
    for (let i: usize = 0; i < words; i++) store<u64>(out + (i << 3), bswap<u64>(load<u64>(s + (i << 3))));
  }

  protected saveState(): void {
    memory.copy(changetype<usize>(this.saved), changetype<usize>(this.state), 64);
  }

  protected restoreState(): void {
    memory.copy(changetype<usize>(this.state), changetype<usize>(this.saved), 64);
  }
}

/** A new hasher for `algorithm`. Example: `newHash(HashAlgorithm.Sha384)`. */
export function newHash(algorithm: HashAlgorithm): Hash {
  if (algorithm == HashAlgorithm.Sha256) return new Sha256();
  return new Sha512(algorithm == HashAlgorithm.Sha384);
}

/** SHA-256 of `data` (allocates a hasher: keep a `Sha256` for per-request use). */
export function sha256(data: ArrayBuffer): ArrayBuffer {
  return new Sha256().update(data).finish();
}

/** SHA-384 of `data`. */
export function sha384(data: ArrayBuffer): ArrayBuffer {
  return new Sha512(true).update(data).finish();
}

/** SHA-512 of `data`. */
export function sha512(data: ArrayBuffer): ArrayBuffer {
  return new Sha512(false).update(data).finish();
}

// RSA signature verification (RFC 8017): RSASSA-PKCS1-v1_5 and RSASSA-PSS with SHA-256/384/
// 512, for JWT's RS* and PS* where the host has no verify_signature. Public-key operations
// only: nothing secret is computed, so timing is not a concern except in the final compare,
// which is constant-time anyway.
//
// Why our own: no maintained AssemblyScript RSA exists on npm. The arithmetic is Montgomery
// multiplication over 32-bit limbs (CIOS); a key precomputes its Montgomery constants once,
// and a verification reuses the key's scratch space (it allocates the digest and, for
// PKCS#1 v1.5, the expected encoding).
// Verified against node:crypto on generated keys by filters/lib/test/rsa.test.ts.
//
// Pure module: no host imports; legal in any callback.
//
//   const key = RsaPublicKey.fromBytes(nBytes, eBytes);   // JWK n and e, decoded; onConfigure
//   key!.verifyPkcs1(HashAlgorithm.Sha256, signingInput, signature);

import { bytesToLimbs, compare, limbsToBytes, montMul, negInverse, rSquared } from "./bignum";
import { constantTimeEqualRaw } from "./ct";
import { Hash, HashAlgorithm, newHash } from "./sha2";

/** Smallest modulus accepted by default (bits). */
// @ts-ignore: decorator
@inline export const RSA_MIN_BITS: i32 = 2048;
/** Largest modulus accepted (bits). */
// @ts-ignore: decorator
@inline export const RSA_MAX_BITS: i32 = 8192;

/** An RSA public key ready to verify; build with `fromBytes`. */
export class RsaPublicKey {
  /** Modulus size in bits and bytes. */
  readonly bits: i32;
  readonly byteLength: i32;
  private readonly limbs: i32;
  private readonly n: StaticArray<u32>; // little-endian limbs
  private readonly n0inv: u32; // -n^-1 mod 2^32
  private readonly r2: StaticArray<u32>; // R^2 mod n, R = 2^(32 * limbs)
  private readonly e: u64;
  // Scratch, reused by every verification.
  private readonly base: StaticArray<u32>;
  private readonly acc: StaticArray<u32>;
  private readonly tmp: StaticArray<u32>;
  private readonly em: StaticArray<u8>;
  private readonly hashes: Hash[] = [];
  // PSS scratch: DB, an MGF1 counter and block, the eight zero bytes of M'. Fields, not
  // locals: a buffer known only by its address could be collected by the next allocation.
  private readonly db: StaticArray<u8>;
  private readonly mgfBlock: StaticArray<u8> = new StaticArray<u8>(64 + 4 + 8);

  private constructor(n: StaticArray<u32>, bits: i32, e: u64) {
    const limbs = n.length;
    this.limbs = limbs;
    this.n = n;
    this.bits = bits;
    this.byteLength = (bits + 7) >> 3;
    this.e = e;
    this.n0inv = negInverse(unchecked(n[0]));
    this.base = new StaticArray<u32>(limbs);
    this.acc = new StaticArray<u32>(limbs);
    this.tmp = new StaticArray<u32>(limbs + 2);
    this.em = new StaticArray<u8>((bits + 7) >> 3);
    this.db = new StaticArray<u8>((bits + 7) >> 3);
    this.r2 = rSquared(n, bits);
    for (let i = 0; i < 3; i++) this.hashes.push(newHash(<HashAlgorithm>i));
  }

  /**
   * A key from the big-endian bytes of the modulus and exponent (a JWK's `n` and `e`, decoded),
   * or null when it is unusable: modulus outside minBits..8192 bits or even, exponent even,
   * below 3, above 64 bits or not below the modulus.
   */
  static fromBytes(modulus: ArrayBuffer, exponent: ArrayBuffer, minBits: i32 = RSA_MIN_BITS): RsaPublicKey | null {
    const mPtr = changetype<usize>(modulus);
    let mLen = modulus.byteLength;
    let start = 0;
    while (start < mLen && load<u8>(mPtr + <usize>start) == 0) start++; // leading zeros
    mLen -= start;
    if (mLen == 0) return null;
    const top = <u32>load<u8>(mPtr + <usize>start);
    const bits = mLen * 8 - (clz<u32>(top) - 24);
    if (bits < minBits || bits > RSA_MAX_BITS) return null;
    if ((load<u8>(mPtr + <usize>(start + mLen - 1)) & 1) == 0) return null;
    const limbs = (mLen + 3) >> 2;
    const n = new StaticArray<u32>(limbs);
    bytesToLimbs(mPtr + <usize>start, mLen, changetype<usize>(n), limbs);
    const ePtr = changetype<usize>(exponent);
    let e: u64 = 0;
    let eStart = 0;
    while (eStart < exponent.byteLength && load<u8>(ePtr + <usize>eStart) == 0) eStart++;
    if (exponent.byteLength - eStart > 8) return null;
    for (let i = eStart; i < exponent.byteLength; i++) e = (e << 8) | <u64>load<u8>(ePtr + <usize>i);
    if (e < 3 || (e & 1) == 0) return null;
    // e < n holds whenever n has more than 64 bits, which minBits guarantees.
    return new RsaPublicKey(n, bits, e);
  }

  /** RSASSA-PKCS1-v1_5: whether `signature` signs `len` bytes at `ptr` with `hash`. */
  verifyPkcs1Raw(hash: HashAlgorithm, ptr: usize, len: i32, signature: ArrayBuffer): bool {
    if (!this.open(signature)) return false;
    const h = this.digest(hash, ptr, len);
    const prefix = digestInfoPrefix(hash);
    // Expected EM: 00 01 FF..FF 00 DigestInfo(hash) digest; compared whole, in constant time.
    // `expected` is allocated last: nothing allocates while it is known by address only.
    const k = this.byteLength;
    const tLen = prefix.length + h.byteLength;
    if (k < tLen + 11) return false;
    const expected = new StaticArray<u8>(k);
    const out = changetype<usize>(expected);
    store<u8>(out, 0);
    store<u8>(out, 1, 1);
    memory.fill(out + 2, 0xff, <usize>(k - tLen - 3));
    store<u8>(out + <usize>(k - tLen - 1), 0);
    memory.copy(out + <usize>(k - tLen), changetype<usize>(prefix), <usize>prefix.length);
    memory.copy(out + <usize>(k - h.byteLength), changetype<usize>(h), <usize>h.byteLength);
    return constantTimeEqualRaw(changetype<usize>(this.em), k, out, k);
  }

  /** `verifyPkcs1Raw` over a buffer. Example: RS256 is `verifyPkcs1(HashAlgorithm.Sha256, ...)`. */
  verifyPkcs1(hash: HashAlgorithm, message: ArrayBuffer, signature: ArrayBuffer): bool {
    return this.verifyPkcs1Raw(hash, changetype<usize>(message), message.byteLength, signature);
  }

  /**
   * RSASSA-PSS with MGF1 over the same hash: whether `signature` signs the message. The salt
   * must be `saltLength` bytes (JWA's PS* use the digest length, the default: -1).
   */
  verifyPssRaw(hash: HashAlgorithm, ptr: usize, len: i32, signature: ArrayBuffer, saltLength: i32 = -1): bool {
    if (!this.open(signature)) return false;
    const mHash = this.digest(hash, ptr, len);
    const hLen = mHash.byteLength;
    const sLen = saltLength < 0 ? hLen : saltLength;
    const emBits = this.bits - 1;
    const emLen = (emBits + 7) >> 3;
    let em = changetype<usize>(this.em);
    if (emLen < this.byteLength) {
      if (load<u8>(em) != 0) return false; // the unused top byte must be zero
      em += 1;
    }
    if (emLen < hLen + sLen + 2) return false;
    if (load<u8>(em + <usize>(emLen - 1)) != 0xbc) return false;
    const dbLen = emLen - hLen - 1;
    const topMask = <u8>(<u32>0xff >> <u32>(8 * emLen - emBits));
    if ((load<u8>(em) & ~topMask) != 0) return false;
    // DB = maskedDB xor MGF1(H, dbLen), computed in place in a copy.
    const dbPtr = changetype<usize>(this.db);
    memory.copy(dbPtr, em, <usize>dbLen);
    this.mgf1Xor(hash, em + <usize>dbLen, hLen, dbPtr, dbLen);
    store<u8>(dbPtr, load<u8>(dbPtr) & topMask);
    const psLen = dbLen - sLen - 1;
    let bad: u32 = 0;
    for (let i = 0; i < psLen; i++) bad |= load<u8>(dbPtr + <usize>i);
    bad |= <u32>(load<u8>(dbPtr + <usize>psLen) ^ 0x01);
    if (bad != 0) return false;
    // H' = Hash(00 x 8 || mHash || salt)
    const hasher = this.hasher(hash);
    const zeros = changetype<usize>(this.mgfBlock) + 68;
    memory.fill(zeros, 0, 8);
    hasher.reset();
    hasher.updateRaw(zeros, 8);
    hasher.updateRaw(changetype<usize>(mHash), hLen);
    hasher.updateRaw(dbPtr + <usize>(psLen + 1), sLen);
    const h2 = hasher.finish();
    return constantTimeEqualRaw(em + <usize>dbLen, hLen, changetype<usize>(h2), hLen);
  }

  /** `verifyPssRaw` over a buffer. Example: PS256 is `verifyPss(HashAlgorithm.Sha256, ...)`. */
  verifyPss(hash: HashAlgorithm, message: ArrayBuffer, signature: ArrayBuffer, saltLength: i32 = -1): bool {
    return this.verifyPssRaw(hash, changetype<usize>(message), message.byteLength, signature, saltLength);
  }

  // s^e mod n into `em` (big-endian, byteLength bytes). False if the signature is not a number
  // below n of exactly the modulus length (RFC 8017 8.2.2 step 1).
  private open(signature: ArrayBuffer): bool {
    const k = this.byteLength;
    if (signature.byteLength != k) return false;
    const limbs = this.limbs;
    const s = changetype<usize>(this.base);
    bytesToLimbs(changetype<usize>(signature), k, s, limbs);
    if (compare(s, changetype<usize>(this.n), limbs) >= 0) return false;
    const acc = changetype<usize>(this.acc);
    const n = changetype<usize>(this.n);
    const tmp = changetype<usize>(this.tmp);
    // To Montgomery form: base = s * R mod n.
    montMul(acc, s, changetype<usize>(this.r2), n, this.n0inv, limbs, tmp);
    memory.copy(s, acc, <usize>limbs << 2);
    // Left-to-right square-and-multiply over e's bits (e is public).
    const e = this.e;
    const top = 63 - <i32>clz<u64>(e);
    for (let bit = top - 1; bit >= 0; bit--) {
      montMul(acc, acc, acc, n, this.n0inv, limbs, tmp);
      if (((e >> <u64>bit) & 1) != 0) montMul(acc, acc, s, n, this.n0inv, limbs, tmp);
    }
    // Out of Montgomery form: multiply by 1.
    memory.fill(s, 0, <usize>limbs << 2);
    store<u32>(s, 1);
    montMul(acc, acc, s, n, this.n0inv, limbs, tmp);
    limbsToBytes(acc, limbs, changetype<usize>(this.em), k);
    return true;
  }

  private hasher(hash: HashAlgorithm): Hash {
    return unchecked(this.hashes[<i32>hash]);
  }

  private digest(hash: HashAlgorithm, ptr: usize, len: i32): ArrayBuffer {
    const h = this.hasher(hash);
    h.reset();
    h.updateRaw(ptr, len);
    return h.finish();
  }

  // XORs MGF1(seed, len) into `len` bytes at `out`.
  private mgf1Xor(hash: HashAlgorithm, seed: usize, seedLen: i32, out: usize, len: i32): void {
    const h = this.hasher(hash);
    const b = changetype<usize>(this.mgfBlock);
    const c = b + 64;
    let done = 0;
    for (let i: u32 = 0; done < len; i++) {
      store<u32>(c, bswap<u32>(i));
      h.reset();
      h.updateRaw(seed, seedLen);
      h.updateRaw(c, 4);
      h.finishInto(b);
      const take = min(h.outputSize, len - done);
      for (let j = 0; j < take; j++) {
        store<u8>(out + <usize>(done + j), load<u8>(out + <usize>(done + j)) ^ load<u8>(b + <usize>j));
      }
      done += take;
    }
  }
}

// DER DigestInfo prefix for `hash`: SEQUENCE { SEQUENCE { OID 2.16.840.1.101.3.4.2.x, NULL },
// OCTET STRING (digest follows) }, built from the OID's arcs.
function digestInfoPrefix(hash: HashAlgorithm): StaticArray<u8> {
  const hLen: u8 = hash == HashAlgorithm.Sha256 ? 32 : hash == HashAlgorithm.Sha384 ? 48 : 64;
  const arc: u8 = hash == HashAlgorithm.Sha256 ? 1 : hash == HashAlgorithm.Sha384 ? 2 : 3;
  // 2.16 -> 2*40+16 = 96; 840 -> 0x86 0x48 (base 128); then 1, 101, 3, 4, 2, arc.
  const oid: u8[] = [96, 0x86, 0x48, 1, 101, 3, 4, 2, arc];
  const algId = 2 + oid.length + 2; // OID TLV + NULL TLV
  const out = new StaticArray<u8>(2 + 2 + algId + 2);
  let i = 0;
  out[i++] = 0x30;
  out[i++] = <u8>(2 + algId + 2 + hLen);
  out[i++] = 0x30;
  out[i++] = <u8>algId;
  out[i++] = 0x06;
  out[i++] = <u8>oid.length;
  for (let k = 0; k < oid.length; k++) out[i++] = oid[k];
  out[i++] = 0x05;
  out[i++] = 0x00;
  out[i++] = 0x04;
  out[i++] = hLen;
  return out;
}

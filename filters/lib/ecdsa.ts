// ECDSA signature verification on P-256 and P-384 (FIPS 186-5), for JWT's ES256 and ES384
// where the host has no verify_signature. Public-key work only (nothing secret), so the
// arithmetic may take variable time.
//
// Why our own: no maintained AssemblyScript ECDSA exists on npm. Field and scalar arithmetic
// are Montgomery multiplication (bignum.ts); points use Jacobian coordinates with the a = -3
// formulas; u1*G + u2*Q is one pass of Shamir's trick. A key keeps its scratch space, so a
// verification allocates only the digest. Verified against node:crypto on generated keys by
// filters/lib/test/ecdsa.test.ts.
//
// Pure module: no host imports; legal in any callback.
//
//   const key = EcdsaPublicKey.fromBytes(EcCurve.P256, x, y);   // JWK x and y, decoded
//   key!.verify(HashAlgorithm.Sha256, signingInput, signature);  // r || s, as in JWS

import {
  bytesToLimbs,
  compare,
  isZero,
  limbsToBytes,
  modAdd,
  modSub,
  montMul,
  montPow,
  negInverse,
  rSquared,
  subLimbs,
} from "./bignum";
import { HashAlgorithm, newHash } from "./sha2";

/** The curves offered. */
export enum EcCurve {
  P256 = 0,
  P384 = 1,
}

// Curve parameters (SEC 2 / FIPS 186): p, n, b, Gx, Gy as big-endian hex.
const P256_HEX: string[] = [
  "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff",
  "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551",
  "5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b",
  "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296",
  "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5",
];
const P384_HEX: string[] = [
  "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff",
  "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973",
  "b3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aef",
  "aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7",
  "3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5f",
];

const EMPTY = new StaticArray<u32>(0);

/** One curve's constants, built once on first use (then never changed). */
class Curve {
  limbs: i32 = 0;
  byteLength: i32 = 0;
  p: StaticArray<u32> = EMPTY;
  n: StaticArray<u32> = EMPTY;
  p0inv: u32 = 0;
  n0inv: u32 = 0;
  r2p: StaticArray<u32> = EMPTY;
  r2n: StaticArray<u32> = EMPTY;
  oneP: StaticArray<u32> = EMPTY; // R mod p: 1 in the Montgomery domain
  oneN: StaticArray<u32> = EMPTY;
  pMinus2: StaticArray<u32> = EMPTY;
  nMinus2: StaticArray<u32> = EMPTY;
  bM: StaticArray<u32> = EMPTY; // b in Montgomery form
  gx: StaticArray<u32> = EMPTY; // G in Montgomery form
  gy: StaticArray<u32> = EMPTY;
  scratch: StaticArray<u32> = EMPTY;

  constructor(hex: string[]) {
    const bytes = hex[0].length >> 1;
    const limbs = bytes >> 2;
    this.byteLength = bytes;
    this.limbs = limbs;
    this.p = fromHex(hex[0], limbs);
    this.n = fromHex(hex[1], limbs);
    this.p0inv = negInverse(this.p[0]);
    this.n0inv = negInverse(this.n[0]);
    this.r2p = rSquared(this.p, bytes * 8);
    this.r2n = rSquared(this.n, bytes * 8);
    // Scratch held by a field: a buffer known only by its address could be collected by the
    // next allocation.
    this.scratch = new StaticArray<u32>(limbs + 2);
    const t = changetype<usize>(this.scratch);
    const one = new StaticArray<u32>(limbs);
    one[0] = 1;
    this.oneP = new StaticArray<u32>(limbs);
    this.oneN = new StaticArray<u32>(limbs);
    montMul(changetype<usize>(this.oneP), changetype<usize>(one), changetype<usize>(this.r2p), changetype<usize>(this.p), this.p0inv, limbs, t);
    montMul(changetype<usize>(this.oneN), changetype<usize>(one), changetype<usize>(this.r2n), changetype<usize>(this.n), this.n0inv, limbs, t);
    const two = new StaticArray<u32>(limbs);
    two[0] = 2;
    this.pMinus2 = new StaticArray<u32>(limbs);
    this.nMinus2 = new StaticArray<u32>(limbs);
    subLimbs(changetype<usize>(this.pMinus2), changetype<usize>(this.p), changetype<usize>(two), limbs);
    subLimbs(changetype<usize>(this.nMinus2), changetype<usize>(this.n), changetype<usize>(two), limbs);
    this.bM = this.toMontP(fromHex(hex[2], limbs), t);
    this.gx = this.toMontP(fromHex(hex[3], limbs), t);
    this.gy = this.toMontP(fromHex(hex[4], limbs), t);
  }

  private toMontP(a: StaticArray<u32>, t: usize): StaticArray<u32> {
    const out = new StaticArray<u32>(this.limbs);
    montMul(changetype<usize>(out), changetype<usize>(a), changetype<usize>(this.r2p), changetype<usize>(this.p), this.p0inv, this.limbs, t);
    return out;
  }
}

let p256: Curve | null = null;
let p384: Curve | null = null;

function curveOf(curve: EcCurve): Curve {
  if (curve == EcCurve.P256) {
    if (p256 === null) p256 = new Curve(P256_HEX);
    return p256!;
  }
  if (p384 === null) p384 = new Curve(P384_HEX);
  return p384!;
}

function fromHex(hex: string, limbs: i32): StaticArray<u32> {
  const bytes = new StaticArray<u8>(hex.length >> 1);
  for (let i = 0; i < bytes.length; i++) bytes[i] = <u8>parseInt(hex.substr(i * 2, 2), 16);
  const out = new StaticArray<u32>(limbs);
  bytesToLimbs(changetype<usize>(bytes), bytes.length, changetype<usize>(out), limbs);
  return out;
}

// Scratch layout (in field elements of `limbs` words): temporaries, then points of three
// elements (X, Y, Z): the accumulator and the table G, Q, G + Q.
// @ts-ignore: decorator
@inline const TEMPS: i32 = 16;
// @ts-ignore: decorator
@inline const POINTS: i32 = 5;

/** An ECDSA public key on P-256 or P-384, validated on the curve. */
export class EcdsaPublicKey {
  private readonly c: Curve;
  private readonly qx: StaticArray<u32>; // Montgomery form
  private readonly qy: StaticArray<u32>;
  private readonly scratch: StaticArray<u32>;
  private readonly t: StaticArray<u32>;

  private constructor(c: Curve, qx: StaticArray<u32>, qy: StaticArray<u32>) {
    this.c = c;
    this.qx = qx;
    this.qy = qy;
    this.scratch = new StaticArray<u32>((TEMPS + 3 * POINTS) * c.limbs);
    this.t = new StaticArray<u32>(c.limbs + 2);
  }

  /** The curve's size in bytes (32 or 48); a signature is twice this. */
  get byteLength(): i32 {
    return this.c.byteLength;
  }

  /**
   * A key from the big-endian coordinates (a JWK's `x` and `y`, decoded; exactly the curve's
   * size), or null when the point is not on the curve.
   */
  static fromBytes(curve: EcCurve, x: ArrayBuffer, y: ArrayBuffer): EcdsaPublicKey | null {
    const c = curveOf(curve);
    const k = c.byteLength;
    const limbs = c.limbs;
    if (x.byteLength != k || y.byteLength != k) return null;
    const ax = new StaticArray<u32>(limbs);
    const ay = new StaticArray<u32>(limbs);
    bytesToLimbs(changetype<usize>(x), k, changetype<usize>(ax), limbs);
    bytesToLimbs(changetype<usize>(y), k, changetype<usize>(ay), limbs);
    const p = changetype<usize>(c.p);
    if (compare(changetype<usize>(ax), p, limbs) >= 0 || compare(changetype<usize>(ay), p, limbs) >= 0) return null;
    const key = new EcdsaPublicKey(c, ax, ay);
    // To Montgomery form, then check y^2 = x^3 - 3x + b.
    key.mul(changetype<usize>(ax), changetype<usize>(ax), changetype<usize>(c.r2p));
    key.mul(changetype<usize>(ay), changetype<usize>(ay), changetype<usize>(c.r2p));
    const lhs = key.temp(0);
    const rhs = key.temp(1);
    const t = key.temp(2);
    key.mul(lhs, changetype<usize>(ay), changetype<usize>(ay));
    key.mul(rhs, changetype<usize>(ax), changetype<usize>(ax));
    key.mul(rhs, rhs, changetype<usize>(ax));
    key.add(t, changetype<usize>(ax), changetype<usize>(ax));
    key.add(t, t, changetype<usize>(ax));
    key.sub(rhs, rhs, t);
    key.add(rhs, rhs, changetype<usize>(c.bM));
    if (compare(lhs, rhs, limbs) != 0) return null;
    return key;
  }

  /** Whether `signature` (r || s, big-endian, as in JWS) signs `len` bytes at `ptr`. */
  verifyRaw(hash: HashAlgorithm, ptr: usize, len: i32, signature: ArrayBuffer): bool {
    const h = newHash(hash);
    h.updateRaw(ptr, len);
    const digest = h.finish();
    return this.verifyDigest(changetype<usize>(digest), digest.byteLength, signature);
  }

  /** `verifyRaw` over a buffer. Example: ES256 is `verify(HashAlgorithm.Sha256, ...)`. */
  verify(hash: HashAlgorithm, message: ArrayBuffer, signature: ArrayBuffer): bool {
    return this.verifyRaw(hash, changetype<usize>(message), message.byteLength, signature);
  }

  /** Verifies against a precomputed digest (its leftmost curve-size bytes are used). */
  verifyDigest(digest: usize, digestLen: i32, signature: ArrayBuffer): bool {
    const c = this.c;
    const k = c.byteLength;
    const limbs = c.limbs;
    if (signature.byteLength != 2 * k) return false;
    const n = changetype<usize>(c.n);
    const r = this.temp(0);
    const s = this.temp(1);
    const e = this.temp(2);
    const w = this.temp(3);
    const u1 = this.temp(4);
    const u2 = this.temp(5);
    const sig = changetype<usize>(signature);
    bytesToLimbs(sig, k, r, limbs);
    bytesToLimbs(sig + <usize>k, k, s, limbs);
    if (isZero(r, limbs) || isZero(s, limbs)) return false;
    if (compare(r, n, limbs) >= 0 || compare(s, n, limbs) >= 0) return false;
    bytesToLimbs(digest, min(digestLen, k), e, limbs);
    // w = s^-1 (Montgomery form, mod n); u1 = e w, u2 = r w (plain).
    const t = changetype<usize>(this.t);
    montMul(u1, s, changetype<usize>(c.r2n), n, c.n0inv, limbs, t);
    montPow(w, u1, changetype<usize>(c.nMinus2), n, c.n0inv, limbs, changetype<usize>(c.oneN), t);
    montMul(u1, e, w, n, c.n0inv, limbs, t);
    montMul(u2, r, w, n, c.n0inv, limbs, t);
    // Table: G, Q, G + Q (Jacobian, Montgomery form).
    const g = this.point(1);
    const q = this.point(2);
    const gq = this.point(3);
    const acc = this.point(0);
    this.setAffine(g, changetype<usize>(c.gx), changetype<usize>(c.gy));
    this.setAffine(q, changetype<usize>(this.qx), changetype<usize>(this.qy));
    this.addPoints(gq, g, q);
    memory.fill(acc, 0, <usize>(3 * limbs) << 2); // infinity: Z = 0
    for (let i = limbs * 32 - 1; i >= 0; i--) {
      this.double(acc, acc);
      const b1 = (load<u32>(u1 + (<usize>(i >> 5) << 2)) >> <u32>(i & 31)) & 1;
      const b2 = (load<u32>(u2 + (<usize>(i >> 5) << 2)) >> <u32>(i & 31)) & 1;
      if ((b1 | b2) != 0) this.addPoints(acc, acc, b1 != 0 && b2 != 0 ? gq : b1 != 0 ? g : q);
    }
    const z = acc + (<usize>(2 * limbs) << 2);
    if (isZero(z, limbs)) return false;
    // x = X / Z^2, out of Montgomery form, reduced mod n, compared with r.
    const zinv = this.temp(6);
    const x = this.temp(7);
    const one = this.temp(8);
    montPow(zinv, z, changetype<usize>(c.pMinus2), changetype<usize>(c.p), c.p0inv, limbs, changetype<usize>(c.oneP), t);
    this.mul(zinv, zinv, zinv);
    this.mul(x, acc, zinv);
    memory.fill(one, 0, <usize>limbs << 2);
    store<u32>(one, 1);
    this.mul(x, x, one);
    if (compare(x, n, limbs) >= 0) subLimbs(x, x, n, limbs);
    return compare(x, r, limbs) == 0;
  }

  // ------------------------------------------------------------------------------------------
  // Field arithmetic mod p on Montgomery-form elements at raw addresses.

  private temp(i: i32): usize {
    return changetype<usize>(this.scratch) + (<usize>(i * this.c.limbs) << 2);
  }

  private point(i: i32): usize {
    return changetype<usize>(this.scratch) + (<usize>((TEMPS + 3 * i) * this.c.limbs) << 2);
  }

  private mul(out: usize, a: usize, b: usize): void {
    const c = this.c;
    montMul(out, a, b, changetype<usize>(c.p), c.p0inv, c.limbs, changetype<usize>(this.t));
  }

  private add(out: usize, a: usize, b: usize): void {
    modAdd(out, a, b, changetype<usize>(this.c.p), this.c.limbs);
  }

  private sub(out: usize, a: usize, b: usize): void {
    modSub(out, a, b, changetype<usize>(this.c.p), this.c.limbs);
  }

  private setAffine(pt: usize, x: usize, y: usize): void {
    const size = <usize>this.c.limbs << 2;
    memory.copy(pt, x, size);
    memory.copy(pt + size, y, size);
    memory.copy(pt + 2 * size, changetype<usize>(this.c.oneP), size);
  }

  // out = 2 p (Jacobian, a = -3; "dbl-2001-b"). `out` may alias `p`. Uses temps 9..13.
  private double(out: usize, pt: usize): void {
    const limbs = this.c.limbs;
    const size = <usize>limbs << 2;
    const x1 = pt;
    const y1 = pt + size;
    const z1 = pt + 2 * size;
    if (isZero(z1, limbs) || isZero(y1, limbs)) {
      memory.fill(out, 0, 3 * size);
      return;
    }
    const delta = this.temp(9);
    const gamma = this.temp(10);
    const beta = this.temp(11);
    const alpha = this.temp(12);
    const t = this.temp(13);
    this.mul(delta, z1, z1);
    this.mul(gamma, y1, y1);
    this.mul(beta, x1, gamma);
    this.sub(t, x1, delta);
    this.add(alpha, x1, delta);
    this.mul(alpha, t, alpha);
    this.add(t, alpha, alpha);
    this.add(alpha, t, alpha); // 3 (x - delta)(x + delta)
    // Z3 = (Y1 + Z1)^2 - gamma - delta, before Y1 and Z1 are overwritten.
    this.add(t, y1, z1);
    this.mul(t, t, t);
    this.sub(t, t, gamma);
    this.sub(out + 2 * size, t, delta);
    // X3 = alpha^2 - 8 beta
    this.add(beta, beta, beta);
    this.add(beta, beta, beta); // 4 beta
    this.mul(t, alpha, alpha);
    this.sub(t, t, beta);
    this.sub(out, t, beta);
    // Y3 = alpha (4 beta - X3) - 8 gamma^2
    this.sub(beta, beta, out);
    this.mul(beta, alpha, beta);
    this.mul(gamma, gamma, gamma);
    this.add(gamma, gamma, gamma);
    this.add(gamma, gamma, gamma);
    this.add(gamma, gamma, gamma);
    this.sub(out + size, beta, gamma);
  }

  // out = p + q (Jacobian; "add-2007-bl"). `out` may alias `p`. Uses temps 0..8 are kept
  // for the caller: this uses 14, 15 and point 4.
  private addPoints(out: usize, p: usize, q: usize): void {
    const limbs = this.c.limbs;
    const size = <usize>limbs << 2;
    const z1 = p + 2 * size;
    const z2 = q + 2 * size;
    if (isZero(z1, limbs)) {
      memory.copy(out, q, 3 * size);
      return;
    }
    if (isZero(z2, limbs)) {
      if (out != p) memory.copy(out, p, 3 * size);
      return;
    }
    // Point 4 holds Z1Z1, Z2Z2, U1; temps 14, 15 and the rest are computed in sequence.
    const w = this.point(4);
    const z1z1 = w;
    const z2z2 = w + size;
    const u1 = w + 2 * size;
    const u2 = this.temp(14);
    const s1 = this.temp(15);
    const s2 = this.temp(9);
    const h = this.temp(10);
    const rr = this.temp(11);
    const i = this.temp(12);
    const j = this.temp(13);
    this.mul(z1z1, z1, z1);
    this.mul(z2z2, z2, z2);
    this.mul(u1, p, z2z2);
    this.mul(u2, q, z1z1);
    this.mul(s1, p + size, z2);
    this.mul(s1, s1, z2z2);
    this.mul(s2, q + size, z1);
    this.mul(s2, s2, z1z1);
    this.sub(h, u2, u1);
    this.sub(rr, s2, s1);
    if (isZero(h, limbs)) {
      if (isZero(rr, limbs)) this.double(out, p);
      else memory.fill(out, 0, 3 * size);
      return;
    }
    this.add(i, h, h);
    this.mul(i, i, i); // I = (2H)^2
    this.mul(j, h, i); // J = H I
    this.add(rr, rr, rr); // r = 2 (S2 - S1)
    this.mul(u2, u1, i); // V = U1 I (u2 reused)
    // Z3 = ((Z1 + Z2)^2 - Z1Z1 - Z2Z2) H, before Z1 (maybe out's) is overwritten.
    this.add(s2, z1, z2);
    this.mul(s2, s2, s2);
    this.sub(s2, s2, z1z1);
    this.sub(s2, s2, z2z2);
    this.mul(out + 2 * size, s2, h);
    // X3 = r^2 - J - 2V
    this.mul(s2, rr, rr);
    this.sub(s2, s2, j);
    this.sub(s2, s2, u2);
    this.sub(out, s2, u2);
    // Y3 = r (V - X3) - 2 S1 J
    this.sub(u2, u2, out);
    this.mul(u2, rr, u2);
    this.mul(s1, s1, j);
    this.add(s1, s1, s1);
    this.sub(out + size, u2, s1);
  }
}

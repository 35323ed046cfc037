// HMAC (RFC 2104) over SHA-256, SHA-384 and SHA-512, keyed once.
//
// The constructor absorbs the padded key into the inner and outer hashers and remembers both
// states, so each message costs its own blocks plus two finishing blocks, with no allocation
// in `macInto` and `verify`. Verified against node:crypto by filters/lib/test.
//
// Pure module: no host imports; legal in any callback.
//
//   const signer = new Hmac(HashAlgorithm.Sha256, secret);   // onConfigure
//   signer.verify(signingInput, signature);                  // per request, constant time

import { constantTimeEqualRaw } from "./ct";
import { Hash, HashAlgorithm, newHash } from "./sha2";

/** A keyed HMAC. Example: `new Hmac(HashAlgorithm.Sha512, key).mac(data)`. */
export class Hmac {
  private readonly inner: Hash;
  private readonly outer: Hash;
  private readonly scratch: StaticArray<u8>;

  constructor(
    public readonly algorithm: HashAlgorithm,
    key: ArrayBuffer,
  ) {
    const inner = newHash(algorithm);
    const outer = newHash(algorithm);
    const blockSize = inner.blockSize;
    // A key longer than a block is hashed first; a shorter one is zero-padded. (Before `pad`
    // exists: nothing may allocate while `pad` is known only by its address.)
    const material = key.byteLength > blockSize ? inner.update(key).finish() : key;
    inner.reset();
    const pad = new StaticArray<u8>(blockSize);
    const padPtr = changetype<usize>(pad);
    memory.copy(padPtr, changetype<usize>(material), <usize>material.byteLength);
    for (let i = 0; i < blockSize; i++) store<u8>(padPtr + <usize>i, load<u8>(padPtr + <usize>i) ^ 0x36);
    inner.updateRaw(padPtr, blockSize);
    inner.mark();
    for (let i = 0; i < blockSize; i++) store<u8>(padPtr + <usize>i, load<u8>(padPtr + <usize>i) ^ (0x36 ^ 0x5c));
    outer.updateRaw(padPtr, blockSize);
    outer.mark();
    memory.fill(padPtr, 0, <usize>blockSize); // the key does not linger in memory
    this.inner = inner;
    this.outer = outer;
    this.scratch = new StaticArray<u8>(inner.outputSize);
  }

  /** Bytes of a tag: 32, 48 or 64. */
  get outputSize(): i32 {
    return this.inner.outputSize;
  }

  /** Writes the tag of `len` bytes at `ptr` to `out` (`outputSize` bytes). */
  macInto(ptr: usize, len: i32, out: usize): void {
    const inner = this.inner;
    const outer = this.outer;
    inner.rewind().updateRaw(ptr, len);
    inner.finishInto(out);
    outer.rewind().updateRaw(out, inner.outputSize);
    outer.finishInto(out);
  }

  /** The tag of `data`, as a new buffer. */
  mac(data: ArrayBuffer): ArrayBuffer {
    const out = new ArrayBuffer(this.outputSize);
    this.macInto(changetype<usize>(data), data.byteLength, changetype<usize>(out));
    return out;
  }

  /** Whether `tagLen` bytes at `tag` are the tag of the message, compared in constant time. */
  verifyRaw(ptr: usize, len: i32, tag: usize, tagLen: i32): bool {
    const expected = changetype<usize>(this.scratch);
    this.macInto(ptr, len, expected);
    return constantTimeEqualRaw(tag, tagLen, expected, this.outputSize);
  }

  /** `verifyRaw` over buffers. Example: `hmac.verify(signingInput, signature)`. */
  verify(data: ArrayBuffer, tag: ArrayBuffer): bool {
    return this.verifyRaw(changetype<usize>(data), data.byteLength, changetype<usize>(tag), tag.byteLength);
  }
}

/** One-shot HMAC (keys a new Hmac: keep one for per-request use). */
export function hmac(algorithm: HashAlgorithm, key: ArrayBuffer, data: ArrayBuffer): ArrayBuffer {
  return new Hmac(algorithm, key).mac(data);
}

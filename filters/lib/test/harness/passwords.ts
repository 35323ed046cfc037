// AssemblyScript test driver for SHA-1 and bcrypt: numeric exports over buffers owned here, so
// filters/lib/test/passwords.test.ts can compare them with node:crypto and bcryptjs.

import { BcryptHash, bcryptHash, Sha1 } from "../../index";

let input = new ArrayBuffer(0);
let second = new ArrayBuffer(0);
let result = new ArrayBuffer(0);

/** Room for the next input; returns its address. */
export function reserve(size: i32): usize {
  input = new ArrayBuffer(size);
  return changetype<usize>(input);
}

/** Room for a second input (a salt, a stored hash). */
export function reserveSecond(size: i32): usize {
  second = new ArrayBuffer(size);
  return changetype<usize>(second);
}

export function resultPtr(): usize {
  return changetype<usize>(result);
}

export function resultLength(): i32 {
  return result.byteLength;
}

/** SHA-1 of the input in chunks of `chunk` bytes (0: one update); the digest becomes the result. */
export function sha1(chunk: i32): void {
  const h = new Sha1();
  const ptr = changetype<usize>(input);
  const len = input.byteLength;
  if (chunk <= 0) {
    h.updateRaw(ptr, len);
  } else {
    for (let i = 0; i < len; i += chunk) h.updateRaw(ptr + <usize>i, min(chunk, len - i));
  }
  result = h.finish();
}

/** bcrypt of the input (the password) with the second buffer as salt; the text becomes the result. */
export function hash(cost: i32): void {
  result = String.UTF8.encode(bcryptHash(input, second, cost));
}

/** Verifies the input (the password) against the hash text in the second buffer:
 *  1 matches, 0 does not, -1 the text is not a hash (its reason becomes the result). */
export function verify(): i32 {
  const parsed = BcryptHash.parse(String.UTF8.decode(second));
  if (parsed.error !== null) {
    result = String.UTF8.encode(parsed.error!);
    return -1;
  }
  return parsed.hash!.verify(input) ? 1 : 0;
}

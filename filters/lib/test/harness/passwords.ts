// AssemblyScript test driver for SHA-1 and bcrypt: numeric exports over buffers owned here, so
// filters/lib/test/passwords.test.ts can compare them with node:crypto and bcryptjs.

import { BcryptHash, bcryptHash, Sha1 } from "../../index";
import { input, second, setResult } from "./buffers";

export { reserve, reserveSecond, resultLength, resultPtr } from "./buffers";

/** SHA-1 of the input in chunks of `chunk` bytes (0: one update); the digest becomes the result. */
export function sha1(chunk: i32): void {
  const h = new Sha1();
  const ptr = changetype<usize>(input());
  const len = input().byteLength;
  if (chunk <= 0) {
    h.updateRaw(ptr, len);
  } else {
    for (let i = 0; i < len; i += chunk) h.updateRaw(ptr + <usize>i, min(chunk, len - i));
  }
  setResult(h.finish());
}

/** bcrypt of the input (the password) with the second buffer as salt; the text becomes the result. */
export function hash(cost: i32): void {
  setResult(String.UTF8.encode(bcryptHash(input(), second(), cost)));
}

/** Verifies the input (the password) against the hash text in the second buffer:
 *  1 matches, 0 does not, -1 the text is not a hash (its reason becomes the result). */
export function verify(): i32 {
  const parsed = BcryptHash.parse(String.UTF8.decode(second()));
  if (parsed.error !== null) {
    setResult(String.UTF8.encode(parsed.error!));
    return -1;
  }
  return parsed.hash!.verify(input()) ? 1 : 0;
}

// AssemblyScript test driver for base64, constant-time compare, SHA-2 and HMAC: numeric
// exports over buffers owned here, so a TypeScript test can compare every result with
// node:crypto and Buffer (filters/lib/test/crypto.test.ts).

import {
  Base64Padding,
  base64DecodeBytes,
  base64Decode,
  base64Encode,
  base64Error,
  constantTimeEqual,
  HashAlgorithm,
  Hmac,
  newHash,
} from "../../index";

let input = new ArrayBuffer(0);
let second = new ArrayBuffer(0);
let result = new ArrayBuffer(0);
let signer: Hmac | null = null;

/** Room for the next input; returns its address. */
export function reserve(size: i32): usize {
  input = new ArrayBuffer(size);
  return changetype<usize>(input);
}

/** Room for a second input (a key, a tag, the other side of a compare). */
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

/** Hashes the input in chunks of `chunk` bytes (0: one update); the digest becomes the result. */
export function hash(algorithm: i32, chunk: i32): void {
  const h = newHash(<HashAlgorithm>algorithm);
  const ptr = changetype<usize>(input);
  const len = input.byteLength;
  if (chunk <= 0) {
    h.updateRaw(ptr, len);
  } else {
    for (let i = 0; i < len; i += chunk) h.updateRaw(ptr + <usize>i, min(chunk, len - i));
  }
  result = h.finish();
}

/** Keys an HMAC with the second buffer. */
export function hmacKey(algorithm: i32): void {
  signer = new Hmac(<HashAlgorithm>algorithm, second);
}

/** The tag of the input becomes the result. */
export function hmacMac(): void {
  result = signer!.mac(input);
}

/** Whether the second buffer is the tag of the input. */
export function hmacVerify(): i32 {
  return signer!.verify(input, second) ? 1 : 0;
}

/** Encodes the input; the UTF-8 of the text becomes the result. */
export function encode(url: bool, pad: bool): void {
  result = String.UTF8.encode(base64Encode(input, url, pad));
}

/** Decodes the input (UTF-8 text); returns 1 and sets the result, or 0. */
export function decode(url: bool, padding: i32): i32 {
  const out = base64DecodeBytes(input, url, <Base64Padding>padding);
  if (out === null) return 0;
  result = out;
  return 1;
}

/** Decodes the input read as UTF-16 text, through the string API. */
export function decodeString(url: bool, padding: i32): i32 {
  const text = String.UTF16.decodeUnsafe(changetype<usize>(input), input.byteLength);
  const out = base64Decode(text, url, <Base64Padding>padding);
  if (out === null) return 0;
  result = out;
  return 1;
}

/** The reason the UTF-16 input does not decode ("" if it does) becomes the result. */
export function decodeError(url: bool, padding: i32): void {
  const text = String.UTF16.decodeUnsafe(changetype<usize>(input), input.byteLength);
  result = String.UTF8.encode(base64Error(text, url, <Base64Padding>padding));
}

export function equal(): i32 {
  return constantTimeEqual(input, second) ? 1 : 0;
}

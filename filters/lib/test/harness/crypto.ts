// AssemblyScript test driver for base64, constant-time compare, SHA-2 and HMAC: numeric
// exports over buffers owned here, so a TypeScript test can compare every result with
// node:crypto and Buffer (filters/lib/test/crypto.test.ts).

import {
  Base64Padding,
  EcCurve,
  EcdsaPublicKey,
  base64DecodeBytes,
  base64Decode,
  base64Encode,
  base64Error,
  constantTimeEqual,
  HashAlgorithm,
  Hmac,
  JwtAlgorithm,
  newHash,
  parseJwtBytes,
  RsaPublicKey,
} from "../../index";
import { input, second, setResult } from "./buffers";

export { reserve, reserveSecond, resultLength, resultPtr } from "./buffers";

let signer: Hmac | null = null;

/** Hashes the input in chunks of `chunk` bytes (0: one update); the digest becomes the result. */
export function hash(algorithm: i32, chunk: i32): void {
  const h = newHash(<HashAlgorithm>algorithm);
  const ptr = changetype<usize>(input());
  const len = input().byteLength;
  if (chunk <= 0) {
    h.updateRaw(ptr, len);
  } else {
    for (let i = 0; i < len; i += chunk) h.updateRaw(ptr + <usize>i, min(chunk, len - i));
  }
  setResult(h.finish());
}

/** Keys an HMAC with the second buffer. */
export function hmacKey(algorithm: i32): void {
  signer = new Hmac(<HashAlgorithm>algorithm, second());
}

/** The tag of the input becomes the result. */
export function hmacMac(): void {
  setResult(signer!.mac(input()));
}

/** Whether the second buffer is the tag of the input. */
export function hmacVerify(): i32 {
  return signer!.verify(input(), second()) ? 1 : 0;
}

/** Encodes the input; the UTF-8 of the text becomes the result. */
export function encode(url: bool, pad: bool): void {
  setResult(String.UTF8.encode(base64Encode(input(), url, pad)));
}

/** Decodes the input (UTF-8 text); returns 1 and sets the result, or 0. */
export function decode(url: bool, padding: i32): i32 {
  const out = base64DecodeBytes(input(), url, <Base64Padding>padding);
  if (out === null) return 0;
  setResult(out);
  return 1;
}

/** Decodes the input read as UTF-16 text, through the string API. */
export function decodeString(url: bool, padding: i32): i32 {
  const text = String.UTF16.decodeUnsafe(changetype<usize>(input()), input().byteLength);
  const out = base64Decode(text, url, <Base64Padding>padding);
  if (out === null) return 0;
  setResult(out);
  return 1;
}

/** The reason the UTF-16 input does not decode ("" if it does) becomes the result. */
export function decodeError(url: bool, padding: i32): void {
  const text = String.UTF16.decodeUnsafe(changetype<usize>(input()), input().byteLength);
  setResult(String.UTF8.encode(base64Error(text, url, <Base64Padding>padding)));
}

export function equal(): i32 {
  return constantTimeEqual(input(), second()) ? 1 : 0;
}

let rsaKey: RsaPublicKey | null = null;

/** Loads an RSA key: modulus in the input, exponent in the second buffer. 1 if usable. */
export function rsaLoad(minBits: i32): i32 {
  rsaKey = RsaPublicKey.fromBytes(input(), second(), minBits);
  return rsaKey !== null ? 1 : 0;
}

export function rsaBits(): i32 {
  return rsaKey!.bits;
}

/** Verifies the second buffer as a signature of the input: kind 0 PKCS#1 v1.5, 1 PSS. */
export function rsaVerify(kind: i32, hash: i32): i32 {
  const key = rsaKey!;
  const ok = kind == 0
    ? key.verifyPkcs1(<HashAlgorithm>hash, input(), second())
    : key.verifyPss(<HashAlgorithm>hash, input(), second());
  return ok ? 1 : 0;
}

/**
 * Parses the input as a JWT (every algorithm allowed) and verifies it: HS* with an HMAC keyed
 * by the second buffer, RS and PS with the loaded RSA key, ES256/384 with the loaded EC key. Returns the JwtError (> 0) of a
 * refused token, 0 for a valid signature, -1 for a bad one.
 */
export function jwtVerify(): i32 {
  const parsed = parseJwtBytes(input(), 0xfff, 16384);
  if (parsed.jwt === null) return <i32>parsed.error;
  const jwt = parsed.jwt!;
  const alg = jwt.alg;
  const ptr = jwt.signingInputPtr;
  const len = jwt.signingInputLength;
  let ok = false;
  if (alg <= JwtAlgorithm.HS512) {
    const mac = new Hmac(<HashAlgorithm>(<i32>alg), second());
    ok = mac.verifyRaw(ptr, len, changetype<usize>(jwt.signature), jwt.signature.byteLength);
  } else if (alg <= JwtAlgorithm.RS512) {
    ok = rsaKey!.verifyPkcs1Raw(<HashAlgorithm>(<i32>alg - 3), ptr, len, jwt.signature);
  } else if (alg <= JwtAlgorithm.PS512) {
    ok = rsaKey!.verifyPssRaw(<HashAlgorithm>(<i32>alg - 6), ptr, len, jwt.signature);
  } else if (alg <= JwtAlgorithm.ES384 && ecKey !== null) {
    ok = ecKey!.verifyRaw(<HashAlgorithm>(<i32>alg - 9), ptr, len, jwt.signature);
  }
  return ok ? 0 : -1;
}

let ecKey: EcdsaPublicKey | null = null;

/** Loads an EC key: x in the input, y in the second buffer. 1 if on the curve. */
export function ecLoad(curve: i32): i32 {
  ecKey = EcdsaPublicKey.fromBytes(<EcCurve>curve, input(), second());
  return ecKey !== null ? 1 : 0;
}

/** Verifies the second buffer (r || s) as a signature of the input. */
export function ecVerify(hash: i32): i32 {
  return ecKey!.verify(<HashAlgorithm>hash, input(), second()) ? 1 : 0;
}

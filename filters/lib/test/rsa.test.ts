// RSA verification (PKCS#1 v1.5 and PSS, SHA-256/384/512) against node:crypto: keys generated
// here (2048 and 3072 bits), messages and signatures made by node, the modulus and exponent
// handed over the way a JWK carries them. Tampering with anything must fail.

import { constants, generateKeyPairSync, type KeyObject, randomBytes, sign } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { type BufferExports, type Buffers, buffersOf, loadHarness } from "./load-harness.ts";

interface Exports extends BufferExports {
  rsaLoad(minBits: number): number;
  rsaBits(): number;
  rsaVerify(kind: number, hash: number): number;
}

const HASHES = [
  { id: 0, node: "sha256", len: 32 },
  { id: 1, node: "sha384", len: 48 },
  { id: 2, node: "sha512", len: 64 },
];
const PKCS1 = 0;
const PSS = 1;

let x: Exports;
let io: Buffers;

beforeAll(async () => {
  x = await loadHarness<Exports>("crypto");
  io = buffersOf(x);
}, 120_000);

function load(publicKey: KeyObject, minBits = 2048): number {
  const jwk = publicKey.export({ format: "jwk" });
  io.put(Buffer.from(jwk.n as string, "base64url"));
  io.putSecond(Buffer.from(jwk.e as string, "base64url"));
  return x.rsaLoad(minBits);
}

function verify(kind: number, hash: number, message: Uint8Array, signature: Uint8Array): number {
  io.put(message);
  io.putSecond(signature);
  return x.rsaVerify(kind, hash);
}

function signWith(
  kind: number,
  hash: string,
  hLen: number,
  key: KeyObject,
  message: Buffer,
): Buffer {
  if (kind === PKCS1) return sign(hash, message, key);
  return sign(hash, message, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: hLen });
}

describe("RSA verification", () => {
  for (const bits of [2048, 3072]) {
    it(`accepts node's RS and PS signatures with a ${bits}-bit key and refuses tampering`, () => {
      const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: bits });
      const other = generateKeyPairSync("rsa", { modulusLength: bits });
      let checked = 0;
      const signed: [number, number, Buffer, Buffer][] = [];
      expect(load(publicKey)).toBe(1);
      expect(x.rsaBits()).toBe(bits);
      for (const kind of [PKCS1, PSS]) {
        for (const hash of HASHES) {
          for (const length of [0, 1, 100, 1000]) {
            const message = randomBytes(length);
            const signature = signWith(kind, hash.node, hash.len, privateKey, message);
            signed.push([kind, hash.id, message, signature]);
            expect(verify(kind, hash.id, message, signature), `${kind} ${hash.node}`).toBe(1);
            // A changed message, a flipped bit in the signature.
            const changed = Buffer.concat([message, Buffer.from([1])]);
            expect(verify(kind, hash.id, changed, signature)).toBe(0);
            const bad = Buffer.from(signature);
            bad[bad.length >> 1] = (bad[bad.length >> 1] as number) ^ 0x10;
            expect(verify(kind, hash.id, message, bad)).toBe(0);
            // The other padding, another hash.
            expect(verify(1 - kind, hash.id, message, signature)).toBe(0);
            expect(verify(kind, (hash.id + 1) % 3, message, signature)).toBe(0);
            checked++;
          }
        }
      }
      // Another key refuses every one of them.
      expect(load(other.publicKey)).toBe(1);
      for (const [kind, hash, message, signature] of signed) {
        expect(verify(kind, hash, message, signature)).toBe(0);
      }
      expect(checked).toBe(2 * 3 * 4);
    }, 120_000);
  }

  it("refuses signatures of the wrong length or not below the modulus", () => {
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const message = randomBytes(50);
    const signature = sign("sha256", message, privateKey);
    expect(load(publicKey)).toBe(1);
    expect(verify(PKCS1, 0, message, signature)).toBe(1);
    expect(verify(PKCS1, 0, message, signature.subarray(1))).toBe(0);
    expect(verify(PKCS1, 0, message, Buffer.concat([Buffer.from([0]), signature]))).toBe(0);
    expect(verify(PKCS1, 0, message, new Uint8Array(0))).toBe(0);
    const jwk = publicKey.export({ format: "jwk" });
    const n = Buffer.from(jwk.n as string, "base64url");
    expect(verify(PKCS1, 0, message, n)).toBe(0); // s = n
    expect(verify(PKCS1, 0, message, Buffer.alloc(256, 0xff))).toBe(0); // s > n
    expect(verify(PSS, 0, message, Buffer.alloc(256, 0))).toBe(0);
  });

  it("refuses unusable keys: too small, even modulus or exponent, exponent 1", () => {
    const small = generateKeyPairSync("rsa", { modulusLength: 1024 });
    expect(load(small.publicKey)).toBe(0);
    expect(load(small.publicKey, 1024)).toBe(1);
    const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const jwk = publicKey.export({ format: "jwk" });
    const n = Buffer.from(jwk.n as string, "base64url");
    const loadRaw = (modulus: Uint8Array, exponent: Uint8Array) => {
      io.put(modulus);
      io.putSecond(exponent);
      return x.rsaLoad(2048);
    };
    expect(loadRaw(n, Buffer.from([1, 0, 1]))).toBe(1);
    expect(loadRaw(Buffer.concat([Buffer.from([0, 0]), n]), Buffer.from([1, 0, 1]))).toBe(1);
    const even = Buffer.from(n);
    even[even.length - 1] = (even[even.length - 1] as number) & 0xfe;
    expect(loadRaw(even, Buffer.from([1, 0, 1]))).toBe(0);
    expect(loadRaw(n, Buffer.from([1]))).toBe(0);
    expect(loadRaw(n, Buffer.from([1, 0, 0]))).toBe(0);
    expect(loadRaw(n, Buffer.alloc(9, 1))).toBe(0);
    expect(loadRaw(new Uint8Array(0), Buffer.from([3]))).toBe(0);
  });
});

// ECDSA verification (P-256 with SHA-256, P-384 with SHA-384: JWT's ES256 and ES384) against
// node:crypto: keys generated here, signatures made by node in the JWS form (r || s), the
// coordinates handed over the way a JWK carries them. Tampering with anything must fail.

import { generateKeyPairSync, type KeyObject, randomBytes, sign } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { type BufferExports, type Buffers, buffersOf, loadHarness } from "./load-harness.ts";

interface Exports extends BufferExports {
  ecLoad(curve: number): number;
  ecVerify(hash: number): number;
}

const CURVES = [
  { id: 0, node: "P-256", hash: "sha256", hashId: 0, size: 32 },
  { id: 1, node: "P-384", hash: "sha384", hashId: 1, size: 48 },
];

let x: Exports;
let io: Buffers;

beforeAll(async () => {
  x = await loadHarness<Exports>("crypto");
  io = buffersOf(x);
}, 120_000);

function coordinates(key: KeyObject): [Buffer, Buffer] {
  const jwk = key.export({ format: "jwk" });
  return [Buffer.from(jwk.x as string, "base64url"), Buffer.from(jwk.y as string, "base64url")];
}

function load(curve: number, key: KeyObject): number {
  const [px, py] = coordinates(key);
  io.put(px);
  io.putSecond(py);
  return x.ecLoad(curve);
}

function verify(hash: number, message: Uint8Array, signature: Uint8Array): number {
  io.put(message);
  io.putSecond(signature);
  return x.ecVerify(hash);
}

describe("ECDSA verification", () => {
  for (const curve of CURVES) {
    it(`accepts node's ${curve.node} signatures and refuses tampering`, () => {
      const keys = generateKeyPairSync("ec", { namedCurve: curve.node });
      const other = generateKeyPairSync("ec", { namedCurve: curve.node });
      const signed: [Buffer, Buffer][] = [];
      expect(load(curve.id, keys.publicKey)).toBe(1);
      for (let k = 0; k < 20; k++) {
        const message = randomBytes(k * 13);
        const signature = sign(curve.hash, message, {
          key: keys.privateKey,
          dsaEncoding: "ieee-p1363",
        });
        expect(signature.length).toBe(2 * curve.size);
        signed.push([message, signature]);
        expect(verify(curve.hashId, message, signature), `message ${k}`).toBe(1);
        expect(verify(curve.hashId, Buffer.concat([message, Buffer.from([0])]), signature)).toBe(0);
        for (const at of [0, curve.size - 1, curve.size, 2 * curve.size - 1]) {
          const bad = Buffer.from(signature);
          bad[at] = (bad[at] as number) ^ 0x01;
          expect(verify(curve.hashId, message, bad), `byte ${at}`).toBe(0);
        }
        expect(verify(1 - curve.hashId, message, signature)).toBe(0);
      }
      expect(load(curve.id, other.publicKey)).toBe(1);
      for (const [message, signature] of signed)
        expect(verify(curve.hashId, message, signature)).toBe(0);
    }, 120_000);

    it(`refuses malformed ${curve.node} signatures and points off the curve`, () => {
      const keys = generateKeyPairSync("ec", { namedCurve: curve.node });
      const message = randomBytes(32);
      const signature = sign(curve.hash, message, {
        key: keys.privateKey,
        dsaEncoding: "ieee-p1363",
      });
      expect(load(curve.id, keys.publicKey)).toBe(1);
      expect(verify(curve.hashId, message, signature)).toBe(1);
      const der = sign(curve.hash, message, keys.privateKey); // DER, not JWS
      expect(verify(curve.hashId, message, der)).toBe(0);
      expect(verify(curve.hashId, message, signature.subarray(1))).toBe(0);
      expect(verify(curve.hashId, message, Buffer.alloc(2 * curve.size))).toBe(0); // r = s = 0
      expect(verify(curve.hashId, message, Buffer.alloc(2 * curve.size, 0xff))).toBe(0); // >= n
      const [px, py] = coordinates(keys.publicKey);
      const offCurve = Buffer.from(py);
      offCurve[offCurve.length - 1] = (offCurve[offCurve.length - 1] as number) ^ 1;
      io.put(px);
      io.putSecond(offCurve);
      expect(x.ecLoad(curve.id)).toBe(0);
      io.put(px.subarray(1));
      io.putSecond(py);
      expect(x.ecLoad(curve.id)).toBe(0);
      io.put(Buffer.alloc(curve.size, 0xff));
      io.putSecond(py);
      expect(x.ecLoad(curve.id)).toBe(0);
    });
  }
});

// The largest RSA modulus accepted, 8192 bits. Apart from signatures.spec.ts: building its
// Montgomery constants takes longer than every other RSA case together.
import { RsaPublicKey } from "../index";

describe("RSA modulus limit", () => {
  it("accepts a modulus of exactly 8192 bits", () => {
    const max = new ArrayBuffer(1024);
    store<u8>(changetype<usize>(max), 0x80);
    store<u8>(changetype<usize>(max) + 1023, 1);
    const e = new ArrayBuffer(3);
    store<u8>(changetype<usize>(e), 1);
    store<u8>(changetype<usize>(e) + 2, 1);
    const key = RsaPublicKey.fromBytes(max, e);
    expect<bool>(key === null).toBe(false);
    expect<i32>(key!.bits).toBe(8192);
    expect<i32>(key!.byteLength).toBe(1024);
  });
});

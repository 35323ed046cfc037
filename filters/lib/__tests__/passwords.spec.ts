// Properties of SHA-1 and bcrypt that need no reference values. The values themselves are
// checked against node:crypto and bcryptjs in filters/lib/test/passwords.test.ts.
import { BcryptHash, bcryptHash, Sha1, sha1 } from "../index";

function utf8(text: string): ArrayBuffer {
  return String.UTF8.encode(text);
}

function salt(seed: u8): ArrayBuffer {
  const out = new ArrayBuffer(16);
  for (let i = 0; i < 16; i++) store<u8>(changetype<usize>(out) + <usize>i, <u8>(seed + <u8>i * 17));
  return out;
}

function same(a: ArrayBuffer, b: ArrayBuffer): bool {
  if (a.byteLength != b.byteLength) return false;
  return memory.compare(changetype<usize>(a), changetype<usize>(b), a.byteLength) == 0;
}

describe("sha1", () => {
  it("gives 20 bytes, the same streamed as in one piece", () => {
    const data = utf8("a message longer than one sixty-four byte block of SHA-1, to cross it");
    const whole = sha1(data);
    expect(whole.byteLength).toBe(20);
    const h = new Sha1();
    for (let i = 0; i < data.byteLength; i++) h.updateRaw(changetype<usize>(data) + <usize>i, 1);
    expect(same(h.finish(), whole)).toBe(true);
  });

  it("tells messages one bit apart", () => {
    expect(same(sha1(utf8("abc")), sha1(utf8("abd")))).toBe(false);
  });
});

describe("bcrypt", () => {
  it("verifies what it hashed, and only that", () => {
    const text = bcryptHash(utf8("hunter2"), salt(1), 4);
    expect(text.length).toBe(60);
    expect(text.startsWith("$2b$04$")).toBe(true);
    const parsed = BcryptHash.parse(text);
    expect(parsed.error).toBeNull();
    expect(parsed.hash!.cost).toBe(4);
    expect(parsed.hash!.variant).toBe("2b");
    expect(parsed.hash!.verify(utf8("hunter2"))).toBe(true);
    expect(parsed.hash!.verify(utf8("hunter3"))).toBe(false);
    expect(parsed.hash!.verify(utf8(""))).toBe(false);
  });

  it("depends on the salt and the cost", () => {
    const a = bcryptHash(utf8("pw"), salt(1), 4);
    expect(a == bcryptHash(utf8("pw"), salt(2), 4)).toBe(false);
    expect(a.substring(29) == bcryptHash(utf8("pw"), salt(1), 5).substring(29)).toBe(false);
  });

  it("uses only the first 72 bytes of a password", () => {
    const base = "x".repeat(72);
    const stored = BcryptHash.parse(bcryptHash(utf8(base), salt(3), 4)).hash!;
    expect(stored.verify(utf8(base + "tail"))).toBe(true);
    expect(stored.verify(utf8(base.substring(1)))).toBe(false);
  });

  it("refuses what is not a hash, naming the part", () => {
    const good = bcryptHash(utf8("pw"), salt(4), 4);
    expect(BcryptHash.parse("").error!.includes("60 characters")).toBe(true);
    expect(BcryptHash.parse("$2x" + good.substring(3)).error!.includes("$2x$")).toBe(true);
    expect(BcryptHash.parse(good.substring(0, 4) + "99" + good.substring(6)).error!.includes("cost 99")).toBe(true);
    expect(BcryptHash.parse(good.substring(0, 8) + "*" + good.substring(9)).error!.includes("salt")).toBe(true);
    expect(BcryptHash.parse(good.substring(0, 50) + "*" + good.substring(51)).error!.includes("digest")).toBe(true);
  });
});

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

  it("reads and writes costs of two digits, a 0 among them", () => {
    const rest = ".PGhLCTUX1gHkos6xb5t..ZLsiJ8PYjCgAOZrNmz1uSYaykqcz8.S";
    const costs: i32[] = [10, 20, 31, 4];
    for (let i = 0; i < costs.length; i++) {
      const cost = costs[i];
      const text = "$2b$" + (cost < 10 ? "0" : "") + cost.toString() + "$" + rest;
      const parsed = BcryptHash.parse(text);
      expect(parsed.error).toBeNull();
      expect(parsed.hash!.cost).toBe(cost);
    }
    expect(BcryptHash.parse("$2b$1a$" + rest).error).toBe('bcrypt cost "1a" is not two digits');
    expect(BcryptHash.parse("$2b$/4$" + rest).error).toBe('bcrypt cost "/4" is not two digits');
    expect(bcryptHash(utf8("pw"), salt(1), 10).startsWith("$2b$10$")).toBe(true);
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
    // The salt is characters 7..28 and the digest 29..59: each edge belongs to its own part.
    expect(BcryptHash.parse(good.substring(0, 28) + "*" + good.substring(29)).error!.includes("salt")).toBe(true);
    expect(BcryptHash.parse(good.substring(0, 29) + "*" + good.substring(30)).error!.includes("digest")).toBe(true);
    expect(BcryptHash.parse(good.substring(0, 7) + "*" + good.substring(8)).error!.includes("salt")).toBe(true);
    expect(BcryptHash.parse(good.substring(0, 59) + "*").error!.includes("digest")).toBe(true);
  });
});

const BCRYPT_KAT: string[][] = [
  ["", "1", "$2b$04$.PGhLCTUX1gHkos6xb5t..ZLsiJ8PYjCgAOZrNmz1uSYaykqcz8.S"],
  ["a", "2", "$2b$04$.fKiLSXVYFkIk4w7xr9u.Oro9Y8.OKWAushokumeBQIGHKpjDFwCe"],
  ["hunter2", "3", "$2b$05$.vOjLibWYVoJlI08x8Bv.e7yYEUulgsVG/Gh74WaniskpaK.ToHBe"],
  ["xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "4", "$2b$04$//SkLyfXYlsKlY49yMFw.u53H6HRBlV7RxIF7xHuBw5x8bdLwtiRq"],
  ["xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "5", "$2b$04$/PWlMCjYY1wLlo9.ycJx/.viQtzILBDFzTwgpPvVg5dK67gKPo2bO"],
  ["été", "6", "$2b$04$/famMSnZZF0Ml5B/ysNy/OR9ktzb7G8v.krg7qn6PzXc0cNxV2bS."],
  ["pass\u0000word", "7", "$2b$04$/venMiraZV4NmJFAy8Rz/eXYaNB9YKIH8zsxPMwAU3yyjRZrrOk5G"],
  ["0123456789012345678901234567890123456789", "8", "$2b$05$A/ioMyvbZl8OmZJBzMV0/uCoEGOCmYTVQAIVV/BCmV4qeh3DLvhcq"],
  ["ABCabc./", "9", "$2b$04$APmpNCzcZ2APmpNCzcZ1A.AX4CVpEJ1fWblmEktGNibdaHlAPg8OW"],
];

describe("bcrypt known answers", () => {
  it("makes and accepts what bcryptjs makes from the same password, salt and cost", () => {
    for (let i = 0; i < BCRYPT_KAT.length; i++) {
      const password = utf8(BCRYPT_KAT[i][0]);
      const stored = BCRYPT_KAT[i][2];
      const cost = I32.parseInt(stored.substring(4, 6));
      expect(bcryptHash(password, salt(<u8>I32.parseInt(BCRYPT_KAT[i][1])), cost)).toBe(stored);
      const parsed = BcryptHash.parse(stored);
      expect(parsed.error).toBeNull();
      expect(parsed.hash!.cost).toBe(cost);
      expect(parsed.hash!.verify(password)).toBe(true);
      // One byte more (past 72 bytes: ignored), one byte less, or the last byte changed: refused.
      expect(parsed.hash!.verify(utf8(BCRYPT_KAT[i][0] + "x"))).toBe(password.byteLength >= 72);
      if (password.byteLength > 0) {
        expect(parsed.hash!.verify(password.slice(0, password.byteLength - 1))).toBe(false);
        const changed = password.slice(0);
        const last = changetype<usize>(changed) + <usize>(password.byteLength - 1);
        store<u8>(last, load<u8>(last) ^ 1);
        expect(parsed.hash!.verify(changed)).toBe(false);
      }
    }
  });

  it("reads $2a$ and $2y$ as $2b$, and refuses a changed salt or digest", () => {
    const stored = BCRYPT_KAT[2][2];
    for (let v = 0; v < 2; v++) {
      const variant = v == 0 ? "2a" : "2y";
      const parsed = BcryptHash.parse("$" + variant + stored.substring(3));
      expect(parsed.error).toBeNull();
      expect(parsed.hash!.variant).toBe(variant);
      expect(parsed.hash!.verify(utf8("hunter2"))).toBe(true);
    }
    // The salt's and the digest's last characters carry unused bits: change a used one.
    const otherSalt = BcryptHash.parse(stored.substring(0, 7) + "/" + stored.substring(8));
    expect(otherSalt.hash!.verify(utf8("hunter2"))).toBe(false);
    const otherDigest = BcryptHash.parse(stored.substring(0, 40) + "A" + stored.substring(41));
    expect(otherDigest.hash!.verify(utf8("hunter2"))).toBe(false);
  });

  it("takes every character of its base64 in the salt and digest", () => {
    const alphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    // Salt of 21 + 1 characters (the last with its unused bits clear) and a digest of 31.
    for (let at = 0; at < 64; at += 21) {
      const text = "$2b$04$" + alphabet.substring(at, at + 21).padEnd(21, "A") + "." + alphabet.substring(0, 30) + ".";
      expect(BcryptHash.parse(text).error).toBeNull();
    }
    const good = BCRYPT_KAT[0][2];
    const refused: string[] = ["-", "@", "[", "`", "{", ":", " "];
    for (let i = 0; i < refused.length; i++) {
      expect(BcryptHash.parse(good.substring(0, 10) + refused[i] + good.substring(11)).error!.includes("salt")).toBe(true);
      expect(BcryptHash.parse(good.substring(0, 40) + refused[i] + good.substring(41)).error!.includes("digest")).toBe(true);
    }
  });

  it("reads the cost's two digits, from 04 to 31", () => {
    const tail = BCRYPT_KAT[0][2].substring(6);
    expect(BcryptHash.parse("$2b$04" + tail).hash!.cost).toBe(4);
    expect(BcryptHash.parse("$2b$31" + tail).hash!.cost).toBe(31);
    expect(BcryptHash.parse("$2b$19" + tail).hash!.cost).toBe(19);
    expect(BcryptHash.parse("$2b$03" + tail).error).toBe("bcrypt cost 3 is outside 4..31");
    expect(BcryptHash.parse("$2b$32" + tail).error).toBe("bcrypt cost 32 is outside 4..31");
    expect(BcryptHash.parse("$2b$/4" + tail).error).toBe('bcrypt cost "/4" is not two digits');
    expect(BcryptHash.parse("$2b$:4" + tail).error).toBe('bcrypt cost ":4" is not two digits');
    expect(BcryptHash.parse("$2b$0/" + tail).error).toBe('bcrypt cost "0/" is not two digits');
    expect(BcryptHash.parse("$2b$0:" + tail).error).toBe('bcrypt cost "0:" is not two digits');
    expect(BcryptHash.parse("x2b$04" + tail).error).toBe("a bcrypt hash reads $2b$NN$ followed by 53 characters");
    expect(BcryptHash.parse("$2bx04" + tail).error).toBe("a bcrypt hash reads $2b$NN$ followed by 53 characters");
    expect(BcryptHash.parse("$2b$04x" + tail.substring(1)).error).toBe("a bcrypt hash reads $2b$NN$ followed by 53 characters");
    expect(BcryptHash.parse("$2b$04" + tail + "x").error).toBe("a bcrypt hash has 60 characters, this has 61");
    expect(bcryptHash(utf8("a"), salt(2), 4)).toBe(BCRYPT_KAT[1][2]);
  });
});

describe("sha1 known answers", () => {
  it("matches the FIPS 180 examples", () => {
    expect(hexOf(sha1(utf8("")))).toBe("da39a3ee5e6b4b0d3255bfef95601890afd80709");
    expect(hexOf(sha1(utf8("abc")))).toBe("a9993e364706816aba3e25717850c26c9cd0d89d");
    expect(hexOf(sha1(utf8("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")))).toBe(
      "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
    );
  });
});

function hexOf(buffer: ArrayBuffer): string {
  let out = "";
  const bytes = Uint8Array.wrap(buffer);
  for (let i = 0; i < bytes.length; i++) out += (<u32>bytes[i] + 0x100).toString(16).substring(1);
  return out;
}

describe("bcryptHash's preconditions", () => {
  it("stops on a salt that is not 16 bytes", () => {
    expect(() => {
      bcryptHash(String.UTF8.encode("pw"), new ArrayBuffer(15), 4);
    }).toThrow();
    expect(() => {
      bcryptHash(String.UTF8.encode("pw"), new ArrayBuffer(17), 4);
    }).toThrow();
  });

  it("stops on a cost below 4 or above 31", () => {
    expect(() => {
      bcryptHash(String.UTF8.encode("pw"), new ArrayBuffer(16), 3);
    }).toThrow();
    expect(() => {
      bcryptHash(String.UTF8.encode("pw"), new ArrayBuffer(16), 32);
    }).toThrow();
    expect(() => {
      bcryptHash(String.UTF8.encode("pw"), new ArrayBuffer(16), 4);
    }).not.toThrow();
  });
});

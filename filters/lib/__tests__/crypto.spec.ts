// Properties of base64, constant-time compare, SHA-2 and HMAC that need no reference values.
// The values themselves are checked against node:crypto in filters/lib/test/crypto.test.ts.
import {
  Base64Padding,
  base64Decode,
  base64DecodedLength,
  base64DecodeInto,
  base64Encode,
  base64Error,
  constantTimeEqual,
  constantTimeEqualString,
  HashAlgorithm,
  Hmac,
  hmac,
  newHash,
  Sha256,
  Sha512,
  sha256,
  sha384,
  sha512,
} from "../index";

function hex(buffer: ArrayBuffer): string {
  let out = "";
  const bytes = Uint8Array.wrap(buffer);
  for (let i = 0; i < bytes.length; i++) out += (<u32>bytes[i] + 0x100).toString(16).substring(1);
  return out;
}

function utf8(text: string): ArrayBuffer {
  return String.UTF8.encode(text);
}

function concat(a: ArrayBuffer, b: ArrayBuffer): ArrayBuffer {
  const out = new ArrayBuffer(a.byteLength + b.byteLength);
  memory.copy(changetype<usize>(out), changetype<usize>(a), a.byteLength);
  memory.copy(changetype<usize>(out) + a.byteLength, changetype<usize>(b), b.byteLength);
  return out;
}

describe("SHA-2", () => {
  it("gives digests of 32, 48 and 64 bytes that differ by input and algorithm", () => {
    expect<i32>(sha256(utf8("abc")).byteLength).toBe(32);
    expect<i32>(sha384(utf8("abc")).byteLength).toBe(48);
    expect<i32>(sha512(utf8("abc")).byteLength).toBe(64);
    expect<string>(hex(sha256(utf8("abc")))).not.toBe(hex(sha256(utf8("abd"))));
    expect<string>(hex(sha384(utf8("abc")))).not.toBe(hex(sha512(utf8("abc"))).substring(0, 96));
  });

  it("is the same in one update or many, and after reset", () => {
    const data = new ArrayBuffer(1000);
    for (let i = 0; i < 1000; i++) store<u8>(changetype<usize>(data) + i, <u8>(i * 7));
    for (let alg = 0; alg < 3; alg++) {
      const h = newHash(<HashAlgorithm>alg);
      const whole = hex(h.update(data).finish());
      h.reset();
      for (let i = 0; i < 1000; i += 13) h.updateRaw(changetype<usize>(data) + i, min(13, 1000 - i));
      expect<string>(hex(h.finish())).toBe(whole);
      h.reset();
      expect<string>(hex(h.update(data).finish())).toBe(whole);
    }
  });

  it("rewinds to a marked block boundary; refuses to mark mid-block", () => {
    const block = new ArrayBuffer(64);
    const h = new Sha256();
    h.update(block);
    expect<bool>(h.mark()).toBe(true);
    h.update(utf8("tail"));
    const first = hex(h.finish());
    expect<string>(hex(h.rewind().update(utf8("tail")).finish())).toBe(first);
    expect<string>(first).toBe(hex(sha256(concat(block, utf8("tail")))));
    const s = new Sha512();
    s.update(utf8("x"));
    expect<bool>(s.mark()).toBe(false);
  });
});

describe("HMAC", () => {
  it("keys longer than a block act as their hash (RFC 2104)", () => {
    const long = new ArrayBuffer(200);
    for (let i = 0; i < 200; i++) store<u8>(changetype<usize>(long) + i, <u8>i);
    const msg = utf8("message");
    expect<string>(hex(hmac(HashAlgorithm.Sha256, long, msg))).toBe(
      hex(hmac(HashAlgorithm.Sha256, sha256(long), msg)),
    );
    expect<string>(hex(hmac(HashAlgorithm.Sha512, long, msg))).toBe(
      hex(hmac(HashAlgorithm.Sha512, sha512(long), msg)),
    );
  });

  it("is the outer hash of the inner hash of the padded key", () => {
    const key = utf8("key");
    const msg = utf8("The quick brown fox");
    const ipad = new ArrayBuffer(64);
    const opad = new ArrayBuffer(64);
    for (let i = 0; i < 64; i++) {
      const k: u8 = i < 3 ? load<u8>(changetype<usize>(key) + i) : 0;
      store<u8>(changetype<usize>(ipad) + i, k ^ 0x36);
      store<u8>(changetype<usize>(opad) + i, k ^ 0x5c);
    }
    const inner = sha256(concat(ipad, msg));
    expect<string>(hex(hmac(HashAlgorithm.Sha256, key, msg))).toBe(hex(sha256(concat(opad, inner))));
  });

  it("gives the same tag message after message, and verifies it", () => {
    const signer = new Hmac(HashAlgorithm.Sha384, utf8("secret"));
    const a = hex(signer.mac(utf8("one")));
    signer.mac(utf8("two"));
    expect<string>(hex(signer.mac(utf8("one")))).toBe(a);
    expect<i32>(signer.outputSize).toBe(48);
    const tag = signer.mac(utf8("one"));
    expect<bool>(signer.verify(utf8("one"), tag)).toBe(true);
    expect<bool>(signer.verify(utf8("one!"), tag)).toBe(false);
    expect<bool>(signer.verify(utf8("one"), tag.slice(0, 47))).toBe(false);
  });
});

describe("base64", () => {
  it("encodes and decodes the RFC 4648 alphabet", () => {
    expect<string>(base64Encode(utf8("Man"))).toBe("TWFu");
    expect<string>(base64Encode(utf8("Ma"))).toBe("TWE=");
    expect<string>(base64Encode(utf8("M"), true)).toBe("TQ");
    expect<string>(base64Encode(utf8("\xfb\xff"), false)).toBe("w7vDvw==");
    expect<string>(base64Encode(utf8("\xfb\xff"), true)).toBe("w7vDvw");
    expect<string>(String.UTF8.decode(base64Decode("TWFu")!)).toBe("Man");
    expect<string>(String.UTF8.decode(base64Decode("TQ", true, Base64Padding.Forbidden)!)).toBe("M");
  });

  it("round-trips every length in both alphabets", () => {
    for (let n = 0; n < 70; n++) {
      const data = new ArrayBuffer(n);
      for (let i = 0; i < n; i++) store<u8>(changetype<usize>(data) + i, <u8>(i * 37 + n));
      const std = base64Encode(data);
      const url = base64Encode(data, true);
      expect<string>(hex(base64Decode(std)!)).toBe(hex(data));
      expect<string>(hex(base64Decode(url, true, Base64Padding.Forbidden)!)).toBe(hex(data));
      expect<bool>(base64DecodedLength(std.length) >= n).toBe(true);
    }
  });

  it("decodes into a caller's buffer without allocating, or says -1", () => {
    const text = utf8("aGVsbG8");
    const out = new ArrayBuffer(base64DecodedLength(text.byteLength));
    const n = base64DecodeInto(changetype<usize>(text), text.byteLength, true, Base64Padding.Forbidden, changetype<usize>(out));
    expect<i32>(n).toBe(5);
    expect<string>(String.UTF8.decode(out.slice(0, n))).toBe("hello");
    const bad = utf8("aGV*bG8");
    expect<i32>(base64DecodeInto(changetype<usize>(bad), bad.byteLength, true, Base64Padding.Forbidden, changetype<usize>(out))).toBe(-1);
  });

  it("explains refusals by offset, never echoing the text", () => {
    expect<string>(base64Error("c2VjcmV0")).toBe("");
    expect<string>(base64Error("c2Vj*mV0")).toBe("invalid base64 character at offset 4");
    expect<string>(base64Error("c2VjcmV0=", false, Base64Padding.Optional)).toBe(
      "misplaced or wrong base64 padding at offset 8",
    );
    expect<bool>(base64Decode("c2Vj cmV0") === null).toBe(true);
  });
});

describe("constant-time compare", () => {
  it("compares bytes and strings", () => {
    expect<bool>(constantTimeEqual(utf8("abc"), utf8("abc"))).toBe(true);
    expect<bool>(constantTimeEqual(utf8("abc"), utf8("abd"))).toBe(false);
    expect<bool>(constantTimeEqual(utf8("abc"), utf8("abcd"))).toBe(false);
    expect<bool>(constantTimeEqual(utf8(""), utf8(""))).toBe(true);
    expect<bool>(constantTimeEqual(utf8(""), utf8("a"))).toBe(false);
    expect<bool>(constantTimeEqualString("key-1", "key-1")).toBe(true);
    expect<bool>(constantTimeEqualString("key-1", "key-2")).toBe(false);
  });
});

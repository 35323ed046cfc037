// Byte-level find and replace: exact output sizes, binary-safe, and the same result whether
// the input comes whole or in chunks.
import { ByteReplacer, indexOfBytes, replaceAllBytes } from "../bytes";

function b(text: string): ArrayBuffer {
  return String.UTF8.encode(text);
}

function bytesOf(values: u8[]): ArrayBuffer {
  const out = new ArrayBuffer(values.length);
  for (let i = 0; i < values.length; i++) store<u8>(changetype<usize>(out) + i, values[i]);
  return out;
}

function listOf(buf: ArrayBuffer): u8[] {
  const out = new Array<u8>(buf.byteLength);
  for (let i = 0; i < buf.byteLength; i++) out[i] = load<u8>(changetype<usize>(buf) + i);
  return out;
}

function text(buf: ArrayBuffer): string {
  return String.UTF8.decode(buf);
}

describe("indexOfBytes", () => {
  it("finds a needle, from an offset, and says -1 when absent", () => {
    expect<i32>(indexOfBytes(b("abcabc"), b("bc"))).toBe(1);
    expect<i32>(indexOfBytes(b("abcabc"), b("bc"), 2)).toBe(4);
    expect<i32>(indexOfBytes(b("abc"), b("abcd"))).toBe(-1);
    expect<i32>(indexOfBytes(b(""), b("a"))).toBe(-1);
  });
});

describe("replaceAllBytes", () => {
  it("replaces with a mask much longer than the input (the replaceAll overflow)", () => {
    const out = replaceAllBytes(b("ssn!"), b("ssn"), b("[redacted-by-a-very-long-policy-mask]"));
    expect<string>(text(out)).toBe("[redacted-by-a-very-long-policy-mask]!");
    const many = replaceAllBytes(b("aaaa"), b("a"), b("0123456789"));
    expect<i32>(many.byteLength).toBe(40);
  });

  it("works on binary data around invalid UTF-8 and NUL", () => {
    const data = bytesOf([0xff, 0x20, 0x73, 0x65, 0x63, 0x00, 0x73, 0x65, 0x63, 0xfe]);
    const out = replaceAllBytes(data, b("sec"), b("#"));
    expect<u8[]>(listOf(out)).toStrictEqual([0xff, 0x20, 0x23, 0x00, 0x23, 0xfe]);
  });

  it("returns the input unchanged when nothing matches or the needle is empty", () => {
    const data = b("nothing here");
    expect<bool>(replaceAllBytes(data, b("zzz"), b("x")) == data).toBe(true);
    expect<bool>(replaceAllBytes(data, b(""), b("x")) == data).toBe(true);
  });
});

describe("ByteReplacer", () => {
  it("prefers the longest needle at a position and never rescans the replacement", () => {
    const r = new ByteReplacer([b("ab"), b("abc"), b("x")], b("x"));
    expect<string>(text(r.apply(b("abcab-abx")))).toBe("xx-xx");
    expect<i32>(r.matches).toBe(4);
  });

  it("gives the same output for every way of cutting the input into two chunks", () => {
    const r = new ByteReplacer([b("secret"), b("token")], b("[redacted]"));
    const input = "a secret and a tokensecret; secre";
    const whole = text(r.apply(b(input)));
    expect<string>(whole).toBe("a [redacted] and a [redacted][redacted]; secre");
    for (let cut = 0; cut <= input.length; cut++) {
      // The proxy's view: the first chunk, and if the replacer waits, both chunks together.
      const first = b(input.substring(0, cut));
      let out = "";
      const early = r.rewrite(first, false);
      if (early === null) {
        out = text(r.rewrite(b(input), true)!);
      } else {
        out = text(early) + text(r.rewrite(b(input.substring(cut)), true)!);
      }
      expect<string>(out).toBe(whole);
    }
  });

  it("waits only while a needle could still match at the end", () => {
    const r = new ByteReplacer([b("secret")], b("*"));
    expect<ArrayBuffer | null>(r.rewrite(b("my sec"), false)).toBeNull();
    expect<ArrayBuffer | null>(r.rewrite(b("my sex"), false)).not.toBeNull();
    // At the end of the stream a partial match is not a match.
    expect<string>(text(r.rewrite(b("my sec"), true)!)).toBe("my sec");
  });
});

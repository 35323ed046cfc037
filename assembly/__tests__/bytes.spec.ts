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

  it("searches from the start by default and from 0 for a negative offset", () => {
    expect<i32>(indexOfBytes(b("abc"), b("a"))).toBe(0);
    expect<i32>(indexOfBytes(b("abc"), b("a"), -3)).toBe(0);
    expect<i32>(indexOfBytes(b("abc"), b("ab"), -1)).toBe(0);
  });

  it("finds a needle as long as the data, and one at the very end", () => {
    expect<i32>(indexOfBytes(b("abc"), b("abc"))).toBe(0);
    expect<i32>(indexOfBytes(b("abcd"), b("cd"))).toBe(2);
    expect<i32>(indexOfBytes(b("abcd"), b("cd"), 2)).toBe(2);
    expect<i32>(indexOfBytes(b("abcd"), b("cd"), 3)).toBe(-1);
  });

  it("needs every byte of the needle, not only the first", () => {
    expect<i32>(indexOfBytes(b("axayaz"), b("az"))).toBe(4);
    expect<i32>(indexOfBytes(b("axay"), b("az"))).toBe(-1);
  });

  it("matches an empty needle at the offset, up to the end", () => {
    expect<i32>(indexOfBytes(b("abc"), b(""))).toBe(0);
    expect<i32>(indexOfBytes(b("abc"), b(""), 2)).toBe(2);
    expect<i32>(indexOfBytes(b("abc"), b(""), 3)).toBe(3);
    expect<i32>(indexOfBytes(b("abc"), b(""), 4)).toBe(-1);
    expect<i32>(indexOfBytes(b("abc"), b(""), -2)).toBe(0);
  });
});

describe("replaceAllBytes", () => {
  it("replaces with a mask much longer than the input (the replaceAll overflow)", () => {
    const out = replaceAllBytes(b("ssn!"), b("ssn"), b("[redacted-by-a-very-long-policy-mask]"));
    expect<string>(text(out)).toBe("[redacted-by-a-very-long-policy-mask]!");
    const many = replaceAllBytes(b("aaaa"), b("a"), b("0123456789"));
    expect<i32>(many.byteLength).toBe(40);
    expect<string>(text(many)).toBe("0123456789".repeat(4));
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
  it("has made no replacements before its first use", () => {
    expect<i32>(new ByteReplacer([b("a")], b("b")).matches).toBe(0);
  });

  it("prefers the longest needle whatever order the needles are given in", () => {
    expect<string>(text(new ByteReplacer([b("abc"), b("ab")], b("#")).apply(b("abcd")))).toBe("#d");
    expect<string>(text(new ByteReplacer([b("ab"), b("abc")], b("#")).apply(b("abcd")))).toBe("#d");
  });

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
    // An empty chunk holds no start of a match: nothing to wait for.
    const empty = b("");
    expect<bool>(r.rewrite(empty, false) == empty).toBe(true);
    expect<bool>(r.rewrite(empty, true) == empty).toBe(true);
  });
});

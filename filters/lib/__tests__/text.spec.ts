// The text builder: what it writes equals what string concatenation and the SDK's
// quoteJsonString write, including escapes, surrogates, padding and growth.
import { quoteJsonString } from "../../../assembly/json";
import { TextBuilder } from "../text";

describe("TextBuilder", () => {
  it("appends strings, characters and numbers as concatenation would", () => {
    const b = new TextBuilder(4);
    b.str("id=").int(42).char(0x2c).int(0).char(0x2c).int(-17).char(0x2c).int(9223372036854775807);
    expect<string>(b.toString()).toBe("id=42,0,-17,9223372036854775807");
    expect<string>(b.reset().padded(7, 3).char(0x20).padded(12345, 3).char(0x20).padded(-5, 4).toString()).toBe(
      "007 12345 00-5",
    );
    expect<string>(b.reset().hex(0xab, 2).hex(0x3, 4).toString()).toBe("ab0003");
  });

  it("quotes as quoteJsonString does", () => {
    const samples: string[] = [
      "",
      "plain",
      'a"b\\c',
      "line\nfeed\r\ttab\b\f",
      "\u0001\u001f ctl",
      "pair \uD83D\uDE00 ok",
      "lone high \uD83D end",
      "lone low \uDE00 end",
      "high at end \uD83D",
      "\uDE00\uD83D",
      "ünïcødé",
      // Characters to escape just before a low surrogate; a pair after a lone high one.
      'x"\uDE00',
      "\n\uDC00",
      "\uD83D\uD83D\uDE00",
      "\uDBFF\uDFFF",
    ];
    const b = new TextBuilder(2);
    for (let i = 0; i < samples.length; i++) {
      expect<string>(b.reset().quoted(samples[i]).toString()).toBe(quoteJsonString(samples[i]), samples[i]);
    }
  });

  it("grows past its capacity, truncates, copies ranges and gives back a huge buffer", () => {
    const b = new TextBuilder(1);
    const long = "x".repeat(20000);
    expect<string>(b.str(long).str("y").toString()).toBe(long + "y");
    expect<i32>(b.codeAt(20000)).toBe(0x79);
    expect<i32>(b.codeAt(20001)).toBe(0);
    expect<string>(b.truncate(3).toString()).toBe("xxx");
    const c = new TextBuilder();
    c.str("abcdef");
    expect<string>(b.reset().range(c, 1, 4).range(c, 5, 9).toString()).toBe("bcd");
    expect<i32>(b.length).toBe(3);
  });

  it("gives what it wrote as UTF-8, byte for byte what encoding its string gives", () => {
    const samples: string[] = [
      "",
      "plain ascii",
      "\u007f\u0080 two \u07ff\u0800 three \uffff",
      "pair \uD83D\uDE00 ok",
      "lone high \uD83D end",
      "lone low \uDE00 end",
      "high at end \uD83D",
      "\uDE00\uD83D",
      "ünïcødé",
    ];
    const b = new TextBuilder(2);
    for (let i = 0; i < samples.length; i++) {
      const got = Uint8Array.wrap(b.reset().str(samples[i]).utf8());
      const want = Uint8Array.wrap(String.UTF8.encode(samples[i]));
      expect<i32>(got.length).toBe(want.length, samples[i]);
      for (let j = 0; j < want.length; j++) expect<u8>(got[j]).toBe(want[j], samples[i]);
    }
  });
});


describe("TextBuilder edges", () => {
  it("truncates to zero, and ignores a negative length or one at or past the end", () => {
    const b = new TextBuilder();
    expect<string>(b.str("abc").truncate(-1).toString()).toBe("abc");
    expect<string>(b.truncate(4).toString()).toBe("abc");
    expect<string>(b.truncate(0).toString()).toBe("");
    expect<i32>(b.length).toBe(0);
  });

  it("reads code units inside the text only", () => {
    const b = new TextBuilder();
    b.str("abcdef").truncate(3);
    expect<i32>(b.codeAt(0)).toBe(0x61);
    expect<i32>(b.codeAt(2)).toBe(0x63);
    expect<i32>(b.codeAt(3)).toBe(0); // "d" is still in the buffer, past the end
    expect<i32>(b.codeAt(-1)).toBe(0);
  });

  it("copies a range to the end of what it holds, and refuses ranges outside the other", () => {
    const c = new TextBuilder();
    c.str("abcdef");
    const b = new TextBuilder();
    expect<string>(b.str("xy").range(c, 0, 1).toString()).toBe("xya");
    expect<string>(b.reset().range(c, 0, 2).range(c, 4, 6).toString()).toBe("abef");
    expect<string>(b.reset().range(c, -1, 2).range(c, 5, 7).range(c, 3, 2).toString()).toBe("");
  });

  it("grows for every kind of write", () => {
    const c = new TextBuilder();
    c.str("abcdef");
    // Each builder starts with room for one character; a string made after it sits next to
    // its buffer and would be overwritten by a write that did not grow the buffer first.
    const long = new TextBuilder();
    long.str("0123456789".repeat(4));
    const ranged = new TextBuilder(1);
    const after1 = "z".repeat(16);
    expect<string>(ranged.range(long, 0, 40).toString()).toBe("0123456789".repeat(4));
    expect<string>(after1).toBe("z".repeat(16));
    const hexed = new TextBuilder(1);
    const after2 = "z".repeat(16);
    expect<string>(hexed.hex(0x89abcdef, 8).toString()).toBe("89abcdef");
    expect<string>(after2).toBe("z".repeat(16));
    const padded = new TextBuilder(1);
    const after3 = "z".repeat(16);
    expect<string>(padded.padded(42, 8).toString()).toBe("00000042");
    expect<string>(after3).toBe("z".repeat(16));
    const quoted = new TextBuilder(1);
    const after4 = "z".repeat(16);
    const plain = "b".repeat(40);
    expect<string>(quoted.quoted("a\u0001" + plain).toString()).toBe('"a\\u0001' + plain + '"');
    expect<string>(after4).toBe("z".repeat(16));
  });

  it("writes every power of ten and the numbers either side", () => {
    const b = new TextBuilder();
    let p: i64 = 1;
    for (let k = 0; k < 19; k++) {
      expect<string>(b.reset().int(p).toString()).toBe(p.toString());
      expect<string>(b.reset().int(p - 1).toString()).toBe((p - 1).toString());
      expect<string>(b.reset().int(p + 1).toString()).toBe((p + 1).toString());
      expect<string>(b.reset().padded(p, 3).toString()).toBe(p.toString().padStart(3, "0"));
      p *= 10;
    }
    expect<string>(b.reset().padded(0, 3).toString()).toBe("000");
    expect<string>(b.reset().padded(-1, 3).toString()).toBe("0-1");
  });
});

describe("TextBuilder as UTF-8", () => {
  it("sizes a high surrogate left last by a truncate as one lone surrogate", () => {
    // The low half of the pair is still in the buffer, past the end.
    const b = new TextBuilder();
    b.str("a\uD83D\uDE00").truncate(2);
    const got = Uint8Array.wrap(b.utf8());
    const want = Uint8Array.wrap(String.UTF8.encode(b.toString()));
    expect<i32>(got.length).toBe(want.length);
    for (let j = 0; j < want.length; j++) expect<u8>(got[j]).toBe(want[j]);
    // A three-byte character before a lone low surrogate is no pair.
    expect<i32>(b.reset().str("\u0800\uDC00").utf8().byteLength).toBe(6);
  });
});

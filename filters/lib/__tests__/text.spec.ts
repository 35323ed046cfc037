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


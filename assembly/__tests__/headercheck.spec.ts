// What a header write may contain (internal/headercheck.ts), byte by byte.
import { Protected, escapeForLog, headerNameProblem, headerNameProblemAt, headerValueProblem, headerValueProblemAt } from "../internal/headercheck";

const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

function nameWith(c: u32, at: i32, len: i32): ArrayBuffer {
  const out = new ArrayBuffer(len);
  for (let i = 0; i < len; i++) store<u8>(changetype<usize>(out) + <usize>i, i == at ? <u8>c : 0x61);
  return out;
}

describe("header names", () => {
  it("accepts exactly RFC 9110's token bytes, anywhere in the name, and names the problem", () => {
    let accepted = 0;
    let wrong = "";
    for (let c: u32 = 0; c < 256; c++) {
      const token = c < 0x80 && TCHARS.indexOf(String.fromCharCode(<i32>c)) >= 0;
      if (token) accepted++;
      for (let at = 0; at < 3; at++) {
        const name = nameWith(c, at, 3);
        const problem = headerNameProblemAt(changetype<usize>(name), 3, Protected.Refuse);
        let expected: string | null = "is not a token";
        if (token) expected = null;
        else if (c == 0x0d || c == 0x0a) expected = "contains CR or LF";
        else if (c == 0) expected = "contains NUL";
        else if (c == 0x3a && at == 0) expected = "is a pseudo-header";
        if (problem != expected && wrong.length == 0) wrong = "byte " + c.toString() + " at " + at.toString();
      }
    }
    expect(wrong).toBe("");
    expect(accepted).toBe(TCHARS.length);
  });

  it("judges every byte at every place of names 1 to 19 bytes long, eight at a time or not", () => {
    // Fillers: only the bytes the eight-byte test passes (letters either case, digits, '-'),
    // so every word but the one changed takes it; and one with other tchars too, so words
    // fall back to the byte-by-byte test. After a ':' the rest is judged the same way.
    const FILLS = ["aZ0-9zAm", "aZ0-9zA~_m.Mq"];
    let wrong = "";
    let checked = 0;
    for (let f = 0; f < 2; f++) {
    const FILL = FILLS[f];
    for (let pseudo = 0; pseudo < 2; pseudo++) {
      for (let len = 1 + pseudo; len <= 19; len++) {
        for (let at = pseudo; at < len; at++) {
          for (let c: u32 = 0; c < 256; c++) {
            const name = new ArrayBuffer(len);
            const p = changetype<usize>(name);
            for (let i = 0; i < len; i++) store<u8>(p + <usize>i, <u8>FILL.charCodeAt((i * 7 + len) % FILL.length));
            if (pseudo == 1) store<u8>(p, 0x3a);
            store<u8>(p + <usize>at, <u8>c);
            const problem = headerNameProblemAt(p, <usize>len, Protected.Allow);
            // The oracle: a leading ':' makes a pseudo-header (allowed here; alone it is no
            // token); the first byte after it that is no tchar names the problem.
            const colon = load<u8>(p) == 0x3a;
            let expected: string | null = colon && len == 1 ? "is not a token" : null;
            for (let i = colon ? 1 : 0; i < len && expected === null; i++) {
              const b = <u32>load<u8>(p + <usize>i);
              if (b < 0x80 && TCHARS.indexOf(String.fromCharCode(<i32>b)) >= 0) continue;
              if (b == 0x0d || b == 0x0a) expected = "contains CR or LF";
              else if (b == 0) expected = "contains NUL";
              else expected = "is not a token";
            }
            if (problem != expected && wrong.length == 0) {
              wrong = "byte " + c.toString() + " at " + at.toString() + " of " + len.toString() +
                (pseudo == 1 ? " after ':'" : "") + " in " + FILL;
            }
            checked++;
          }
        }
      }
    }
    }
    expect(wrong).toBe("");
    expect(checked).toBe(2 * (190 + 171) * 256);
  });

  it("names the first bad byte's problem", () => {
    const name = String.UTF8.encode("a b\r\n");
    expect(headerNameProblemAt(changetype<usize>(name), 5, Protected.Refuse)).toBe("is not a token");
    const crlf = String.UTF8.encode("a\r b");
    expect(headerNameProblemAt(changetype<usize>(crlf), 4, Protected.Refuse)).toBe("contains CR or LF");
  });
});

const PROTECTED = "is protected (the proxy frames and routes with it)";

describe("protected names", () => {
  it("refuses content-length, transfer-encoding and host in any case unless allowed", () => {
    const names = [
      "content-length", "Content-Length", "CONTENT-LENGTH", "transfer-encoding", "Transfer-Encoding",
      "trAnsfer-encodinG", "host", "Host", "HOST", "hOsT",
    ];
    for (let i = 0; i < names.length; i++) {
      expect<string | null>(headerNameProblem(names[i])).toBe(PROTECTED);
      expect<string | null>(headerNameProblem(names[i], Protected.Allow)).toBeNull();
    }
  });

  it("lets names that differ from a protected one in any byte or its length through", () => {
    const names = ["hos", "hosts", "xost", "hxst", "hoxt", "hosx", "content-lengtx", "xontent-length", "transfer-encodin", "hos-"];
    for (let i = 0; i < names.length; i++) {
      expect<string | null>(headerNameProblem(names[i])).toBeNull();
    }
  });

  it("refuses pseudo-headers unless allowed, and a lone colon either way", () => {
    expect<string | null>(headerNameProblem(":path")).toBe("is a pseudo-header");
    expect<string | null>(headerNameProblem(":path", Protected.Allow)).toBeNull();
    expect<string | null>(headerNameProblem(":", Protected.Allow)).toBe("is not a token");
    expect<string | null>(headerNameProblem("")).toBe("is empty");
  });
});

// The host's blocks hold many names side by side: the bytes either side of the one judged
// here are letters, which the eight-byte test must never read as part of it.
function judged(text: string): string | null {
  const block = String.UTF8.encode("abcdefghijklmnopqrstuvwxyzabcdef" + text + "ghijklmnopqrstuvwxyzabcdefghijkl");
  return headerNameProblemAt(changetype<usize>(block) + 32, <usize>(block.byteLength - 64), Protected.Refuse);
}

describe("names and values inside a larger block", () => {
  it("judges each byte of the name, not its neighbours'", () => {
    expect<string | null>(judged("a b")).toBe("is not a token");
    expect<string | null>(judged("abcdefgh b")).toBe("is not a token");
    expect<string | null>(judged("abcdefgh abcdefgh")).toBe("is not a token");
    expect<string | null>(judged("abcdefghijklmnopq r")).toBe("is not a token");
    expect<string | null>(judged("abcdefghi ")).toBe("is not a token");
    expect<string | null>(judged("abcdefghijklmnop")).toBeNull();
    expect<string | null>(judged("x-abcdefghijklmn")).toBeNull();
  });

  it("finds CR, LF and NUL in a value, not in its neighbours", () => {
    const block = String.UTF8.encode("\r\n\0\r\n\0\r\nabcdefghijklmnopq\r\n\0\r\n\0\r\n");
    expect<string | null>(headerValueProblemAt(changetype<usize>(block) + 8, 17)).toBeNull();
    const clean = String.UTF8.encode("abcdefghijklmnopabcdefgh\rbcdefghqrstuvwxyzabcdef");
    expect<string | null>(headerValueProblemAt(changetype<usize>(clean) + 16, 16)).toBe("contains CR or LF");
    expect<string | null>(headerValueProblem("value with spaces and ~ and \t")).toBeNull();
    expect<string | null>(headerValueProblem("a\r")).toBe("contains CR or LF");
    // CR, LF and NUL all in one word, then a clean word.
    expect<string | null>(headerValueProblem("\r\n\0abcdefghijklm")).toBe("contains CR or LF");
  });
});

describe("escapeForLog", () => {
  it("escapes CR, LF, quotes, backslashes and control bytes, and keeps the rest", () => {
    expect<string>(escapeForLog("a\rb\nc\"d\\e")).toBe("a\\rb\\nc\\\"d\\\\e");
    expect<string>(escapeForLog("\x00\x01\x0b\x10\x1f \x7e\x7f\x80é")).toBe(
      "\\x00\\x01\\x0b\\x10\\x1f ~\\x7f\x80é",
    );
  });

  it("cuts at 80 characters and marks the cut", () => {
    const eighty = "0123456789".repeat(8);
    expect<string>(escapeForLog(eighty)).toBe(eighty);
    expect<string>(escapeForLog(eighty + "x")).toBe(eighty + "...");
    expect<string>(escapeForLog("")).toBe("");
  });
});

// Bytes next to CR, LF and NUL (and their values with the top bit set), which a test of
// eight bytes at a time could mistake for them.
const NEAR: u32[] = [0x01, 0x09, 0x0b, 0x0c, 0x0e, 0x20, 0x61, 0x7f, 0x80, 0x81, 0x8a, 0x8d, 0xff];

describe("header values", () => {
  it("refuses CR, LF and NUL at any place and length, and nothing else", () => {
    let wrong = "";
    let checked = 0;
    for (let len = 1; len <= 19; len++) {
      for (let at = 0; at < len; at++) {
        for (let k = -3; k < NEAR.length; k++) {
          const c: u32 = k == -3 ? 0x0d : k == -2 ? 0x0a : k == -1 ? 0 : NEAR[k];
          const value = nameWith(c, at, len);
          const problem = headerValueProblemAt(changetype<usize>(value), <usize>len);
          let expected: string | null = null;
          if (c == 0x0d || c == 0x0a) expected = "contains CR or LF";
          else if (c == 0) expected = "contains NUL";
          if (problem != expected && wrong.length == 0) {
            wrong = "byte " + c.toString() + " at " + at.toString() + " of " + len.toString();
          }
          checked++;
        }
      }
    }
    expect(wrong).toBe("");
    expect(checked).toBe(190 * 16);
  });
});

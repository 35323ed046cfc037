// JSON text at the edges of the grammar (RFC 8259): every hex digit of a \u escape, the
// bounds of each UTF-8 lead byte, how an error names a character, the first error of a broken
// member, the echo of an out-of-range number, and quoting where only one character needs an
// escape.

import {
  JsonObject,
  JsonString,
  parseJson,
  parseJsonString,
  quoteJsonString,
  stringifyJson,
} from "../json";

function bytes(values: u8[]): ArrayBuffer {
  const buffer = new ArrayBuffer(values.length);
  for (let i = 0; i < values.length; i++) store<u8>(changetype<usize>(buffer) + i, values[i]);
  return buffer;
}

/** The string a quoted UTF-8 byte sequence parses to, or the error text. */
function stringOfBytes(values: u8[]): string {
  const framed: u8[] = [0x22];
  for (let i = 0; i < values.length; i++) framed.push(values[i]);
  framed.push(0x22);
  const result = parseJson(bytes(framed));
  const error = result.error;
  return error !== null ? error.toString() : result.value!.asString()!.value;
}

function errorOfBytes(values: u8[]): string {
  const error = parseJson(bytes(values)).error;
  return error !== null ? error.toString() : "ok";
}

function errorOf(text: string): string {
  const error = parseJsonString(text).error;
  return error !== null ? error.toString() : "ok";
}

function str(text: string): string {
  const result = parseJsonString(text);
  const error = result.error;
  if (error !== null) return error.toString();
  return result.value!.asString()!.value;
}

describe("\\u escapes", () => {
  it("reads the hex digits a to f and A to F", () => {
    expect<string>(str('"\\u00af\\u00AF"')).toBe("\u00af\u00af");
    expect<string>(str('"\\uabcd\\uABCD"')).toBe("\uabcd\uabcd");
    expect<string>(str('"\\u00fa\\u00FA"')).toBe("\u00fa\u00fa");
  });

  it("decodes \\u0000 to a NUL character", () => {
    const text = str('"a\\u0000b"');
    expect<i32>(text.length).toBe(3);
    expect<i32>(text.charCodeAt(1)).toBe(0);
  });

  it("pairs a high surrogate only with a following \\u escape", () => {
    expect<string>(errorOf('"\\ud83dxude00"')).toBe(
      "lone surrogate \\ud83d in string at line 1, column 2",
    );
    expect<string>(errorOf('"\\ud83d\\\\ude00"')).toBe(
      "lone surrogate \\ud83d in string at line 1, column 2",
    );
    expect<string>(str('"\\ud83d\\ude00"')).toBe("\uD83D\uDE00");
  });
});

describe("UTF-8 in strings", () => {
  it("accepts the first and last code point of each sequence length", () => {
    expect<string>(stringOfBytes([0xc2, 0x80])).toBe("\u0080");
    expect<string>(stringOfBytes([0xdf, 0xbf])).toBe("\u07ff");
    expect<string>(stringOfBytes([0xe0, 0xa0, 0x80])).toBe("\u0800");
    expect<string>(stringOfBytes([0xef, 0xbf, 0xbf])).toBe("\uffff");
    expect<string>(stringOfBytes([0xf0, 0x90, 0x80, 0x80])).toBe("\uD800\uDC00");
    expect<string>(stringOfBytes([0xf4, 0x8f, 0xbf, 0xbf])).toBe("\uDBFF\uDFFF");
  });

  it("rejects bytes that lead no sequence, even before continuation bytes", () => {
    expect<string>(stringOfBytes([0x84, 0x80, 0x80, 0x80])).toBe(
      "invalid UTF-8 byte 0x84 at line 1, column 2",
    );
    expect<string>(stringOfBytes([0xf8, 0x90, 0x80, 0x80])).toBe(
      "invalid UTF-8 byte 0xF8 at line 1, column 2",
    );
    expect<string>(stringOfBytes([0xc1, 0xbf])).toBe("invalid UTF-8 byte 0xC1 at line 1, column 2");
  });
});

describe("UTF-8 in strings, encoded surrogates", () => {
  it("rejects the last encoded surrogate, U+DFFF, as it does the first", () => {
    expect<string>(stringOfBytes([0xed, 0xbf, 0xbf])).toBe(
      "invalid UTF-8 byte 0xED at line 1, column 2",
    );
    expect<string>(stringOfBytes([0xed, 0x9f, 0xbf])).toBe("\ud7ff");
  });
});

describe("the character an error names", () => {
  it("quotes printable ASCII only, from '!' to '~'", () => {
    expect<string>(errorOf('"\\ "')).toBe(
      "invalid escape '\\' followed by U+0020 at line 1, column 2",
    );
    expect<string>(errorOf('"\\\u007f"')).toBe(
      "invalid escape '\\' followed by U+007F at line 1, column 2",
    );
    expect<string>(errorOf('"\\~"')).toBe("invalid escape '\\~' at line 1, column 2");
    expect<string>(errorOf("\u007f")).toBe("unexpected character U+007F at line 1, column 1");
    expect<string>(errorOf("\u001b")).toBe("unexpected character U+001B at line 1, column 1");
  });

  it("names a byte that is no UTF-8 by its hex value", () => {
    expect<string>(errorOfBytes([0x22, 0x5c, 0x80, 0x22])).toBe(
      "invalid escape '\\' followed by byte 0x80 at line 1, column 2",
    );
    expect<string>(errorOfBytes([0x22, 0x5c, 0xff, 0x22])).toBe(
      "invalid escape '\\' followed by byte 0xFF at line 1, column 2",
    );
    expect<string>(errorOfBytes([0x80])).toBe("invalid UTF-8 byte 0x80 at line 1, column 1");
  });

  it("gives a code point four hex digits up to U+FFFF, six past it", () => {
    expect<string>(errorOfBytes([0xef, 0xbf, 0xbf])).toBe(
      "unexpected character U+FFFF at line 1, column 1",
    );
    expect<string>(errorOfBytes([0xf0, 0x90, 0x80, 0x80])).toBe(
      "unexpected character U+010000 at line 1, column 1",
    );
  });
});

describe("a broken member", () => {
  it("is reported at its first error, whatever follows", () => {
    expect<string>(errorOf('{"a":1,2}')).toBe("unexpected character '2' at line 1, column 8");
    expect<string>(errorOf("{1}")).toBe("unexpected character '1' at line 1, column 2");
    expect<string>(errorOf('{"\n1}')).toBe(
      "unescaped control character U+000A in string at line 1, column 3",
    );
    expect<string>(errorOf('{"a":1,"a" 2}')).toBe('duplicate key "a" at line 1, column 8');
  });
});

describe("an out-of-range number's echo", () => {
  it("shows up to 24 characters whole, and marks a longer one cut", () => {
    expect<string>(errorOf("10000000000000000000e400")).toBe(
      "number 10000000000000000000e400 is out of range at line 1, column 1",
    );
    expect<string>(errorOf("100000000000000000000e400")).toBe(
      "number 100000000000000000000e40... is out of range at line 1, column 1",
    );
  });
});

describe("quoteJsonString", () => {
  it("escapes a string whose only special character is its first", () => {
    expect<string>(quoteJsonString("\nabc")).toBe('"\\nabc"');
    expect<string>(quoteJsonString('"')).toBe('"\\""');
    expect<string>(quoteJsonString("\\")).toBe('"\\\\"');
    expect<string>(quoteJsonString("\uDC00")).toBe('"\\udc00"');
    expect<string>(quoteJsonString("\uD800")).toBe('"\\ud800"');
  });

  it("leaves a string without special characters as it is", () => {
    const text = " ~\u007f\u00e9\uD83D\uDE00";
    expect<string>(quoteJsonString(text)).toBe('"' + text + '"');
  });
});

describe("stringifyJson of sibling containers", () => {
  it("writes each container after a closed one from its first member", () => {
    const text = '[{"a":1,"b":2},[5,6],{"c":[7]},{"d":{"e":8}},{"f":9}]';
    expect<string>(stringifyJson(parseJsonString(text).value!)).toBe(text);
    const obj = new JsonObject();
    const inner = new JsonObject();
    inner.set("k", new JsonString("v"));
    obj.set("x", inner);
    obj.set("y", inner);
    expect<string>(stringifyJson(obj)).toBe('{"x":{"k":"v"},"y":{"k":"v"}}');
  });
});

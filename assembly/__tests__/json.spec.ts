import {
  describeJson,
  formatJsonNumber,
  JsonArray,
  JsonKind,
  JsonNull,
  JsonNumber,
  JsonObject,
  JsonString,
  JsonValue,
  parseJson,
  parseJsonString,
  quoteJsonString,
  stringifyJson,
} from "../json";

/** The parsed value, failing the test when parsing failed. */
function parsed(text: string): JsonValue {
  const result = parseJsonString(text);
  const error = result.error;
  if (error !== null) {
    expect<string>(error.toString()).toBe("(no error)", "parsing " + text);
  }
  return result.value!;
}

/** The full error text for `text`, or "ok" when it parsed. */
function errorOf(text: string): string {
  const error = parseJsonString(text).error;
  return error !== null ? error.toString() : "ok";
}

function bytes(values: u8[]): ArrayBuffer {
  const buffer = new ArrayBuffer(values.length);
  for (let i = 0; i < values.length; i++) store<u8>(changetype<usize>(buffer) + i, values[i]);
  return buffer;
}

function errorOfBytes(values: u8[]): string {
  const error = parseJson(bytes(values)).error;
  return error !== null ? error.toString() : "ok";
}

function roundTrip(text: string): string {
  return stringifyJson(parsed(text));
}

function number(text: string): JsonNumber {
  return parsed(text).asNumber()!;
}

function str(text: string): string {
  return parsed(text).asString()!.value;
}

describe("JsonKind", () => {
  it("numbers the six kinds 0 to 5, in the order of its declaration", () => {
    expect<i32>(JsonKind.Null).toBe(0);
    expect<i32>(JsonKind.Bool).toBe(1);
    expect<i32>(JsonKind.Number).toBe(2);
    expect<i32>(JsonKind.String).toBe(3);
    expect<i32>(JsonKind.Array).toBe(4);
    expect<i32>(JsonKind.Object).toBe(5);
  });
});

describe("parseJson scalars", () => {
  it("reads the three literals", () => {
    expect<JsonKind>(parsed("null").kind).toBe(JsonKind.Null);
    expect<bool>(parsed("null").isNull).toBe(true);
    expect<bool>(parsed("true").asBool()!.value).toBe(true);
    expect<bool>(parsed("false").asBool()!.value).toBe(false);
  });

  it("reads integers exactly", () => {
    expect<f64>(number("0").value).toBe(0);
    expect<i64>(number("123").integer).toBe(123);
    expect<i64>(number("-123").integer).toBe(-123);
    expect<bool>(number("-123").isInteger).toBe(true);
  });

  it("keeps integers beyond 2^53 exact in `integer`", () => {
    const n = number("9007199254740993");
    expect<bool>(n.isInteger).toBe(true);
    expect<i64>(n.integer).toBe(9007199254740993);
    expect<f64>(n.value).toBe(9007199254740992.0);
  });

  it("accepts the i64 extremes and no further", () => {
    expect<i64>(number("9223372036854775807").integer).toBe(i64.MAX_VALUE);
    expect<i64>(number("-9223372036854775808").integer).toBe(i64.MIN_VALUE);
    expect<bool>(number("9223372036854775808").isInteger).toBe(false);
    expect<bool>(number("-9223372036854775809").isInteger).toBe(false);
    expect<f64>(number("9223372036854775808").value).toBe(9223372036854775808.0);
  });

  it("reads fractions and exponents", () => {
    expect<f64>(number("1.5").value).toBe(1.5);
    expect<bool>(number("1.5").isInteger).toBe(false);
    expect<f64>(number("-0.25").value).toBe(-0.25);
    expect<f64>(number("1e3").value).toBe(1000);
    expect<f64>(number("1E-2").value).toBe(0.01);
    expect<f64>(number("2.5e+3").value).toBe(2500);
    expect<f64>(number("0.1").value).toBe(0.1);
  });

  it("treats whole numbers written with a fraction or exponent as integers", () => {
    expect<i64>(number("1.0").integer).toBe(1);
    expect<bool>(number("1.0").isInteger).toBe(true);
    expect<i64>(number("1.50e1").integer).toBe(15);
    expect<i64>(number("1e18").integer).toBe(1000000000000000000);
    expect<i64>(number("120e-1").integer).toBe(12);
    expect<bool>(number("1e19").isInteger).toBe(false);
    expect<bool>(number("1.0000000000000000001").isInteger).toBe(false);
    expect<bool>(number("0e999999999999").isInteger).toBe(true);
  });

  it("reads negative zero as the integer 0 with a negative f64", () => {
    const n = number("-0");
    expect<bool>(n.isInteger).toBe(true);
    expect<i64>(n.integer).toBe(0);
    expect<f64>(1 / n.value).toBe(-Infinity);
  });

  it("rounds correctly where AssemblyScript's parseFloat does not", () => {
    expect<f64>(number("1.4034970365003757e+42").value).toBe(1.4034970365003757e42);
    expect<f64>(number("123456789012345.78901234").value).toBe(123456789012345.78);
    expect<f64>(number("12345678981235678901234").value).toBe(1.2345678981235678e22);
  });

  it("rounds halfway cases to even", () => {
    // 2^53 + 1 lies halfway between 2^53 and 2^53 + 2; the even one is 2^53.
    expect<f64>(number("9007199254740993").value).toBe(9007199254740992.0);
    expect<f64>(number("9007199254740995").value).toBe(9007199254740996.0);
    expect<f64>(number("9007199254740993.0000000001").value).toBe(9007199254740994.0);
  });

  it("reads the extremes of f64", () => {
    expect<f64>(number("1.7976931348623157e308").value).toBe(f64.MAX_VALUE);
    expect<f64>(number("2.2250738585072014e-308").value).toBe(f64.MIN_NORMAL_VALUE);
    expect<f64>(number("5e-324").value).toBe(f64.MIN_VALUE);
    expect<f64>(number("2.4703282292062328e-324").value).toBe(f64.MIN_VALUE);
    expect<f64>(number("2.4703282292062327e-324").value).toBe(0);
    expect<string>(errorOf("1.7976931348623159e308")).toBe(
      "number 1.7976931348623159e308 is out of range at line 1, column 1",
    );
  });

  it("uses every digit of a long mantissa", () => {
    expect<f64>(number("0." + "0".repeat(330) + "1e330").value).toBe(0.1);
    expect<f64>(number("1" + "0".repeat(1000) + "e-1000").value).toBe(1);
  });

  it("rounds tiny numbers to zero", () => {
    expect<f64>(number("1e-400").value).toBe(0);
    expect<f64>(number("-1e-99999999999").value).toBe(0);
  });

  it("saturates an exponent past a billion at a billion", () => {
    // Out of range either way; the text keeps the saturated exponent.
    expect<string>(number("1e-10000000000").text).toBe("1e-1000000000");
    expect<f64>(number("1e-10000000000").value).toBe(0);
  });

  it("draws the overflow line at the exact midpoint above f64's largest value", () => {
    // (2^53 - 1) * 2^971 + 2^970: a tie, which rounds to even, that is to infinity.
    const midpoint =
      "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792";
    expect<string>(errorOf(midpoint)).toBe(
      "number 179769313486231580793728... is out of range at line 1, column 1",
    );
    const below = midpoint.substring(0, 308) + "1";
    expect<f64>(number(below).value).toBe(f64.MAX_VALUE);
    expect<f64>(number(midpoint.substring(0, 200) + "." + midpoint.substring(200)).value).toBe(
      1.7976931348623159e199,
    );
    expect<string>(errorOf(midpoint + "1e-1")).toBe(
      "number 179769313486231580793728... is out of range at line 1, column 1",
    );
    expect<f64>(number("1.7976931348623158e308").value).toBe(f64.MAX_VALUE);
    expect<f64>(number("-1.7976931348623158e308").value).toBe(-f64.MAX_VALUE);
  });

  it("rejects numbers that overflow f64", () => {
    expect<string>(errorOf("1e400")).toBe("number 1e400 is out of range at line 1, column 1");
    expect<string>(errorOf("[-1e309]")).toBe("number -1e309 is out of range at line 1, column 2");
    expect<string>(errorOf("1e99999999999999999999")).toBe(
      "number 1e99999999999999999999 is out of range at line 1, column 1",
    );
  });

  it("rejects a 100000-digit number without trapping", () => {
    const digits = "9".repeat(100000);
    expect<string>(errorOf(digits)).toBe(
      "number 999999999999999999999999... is out of range at line 1, column 1",
    );
    expect<f64>(number("0." + digits).value).toBe(1);
  });

  it("decodes every escape", () => {
    expect<string>(str('"\\" \\\\ \\/ \\b \\f \\n \\r \\t"')).toBe('" \\ / \b \f \n \r \t');
    expect<string>(str('"\\u0041\\u00e9\\u00E9"')).toBe("A\u00e9\u00e9");
    expect<string>(str('"\\ud83d\\ude00"')).toBe("\uD83D\uDE00");
  });

  it("decodes raw UTF-8", () => {
    expect<string>(str('"caf\u00e9 \uD83D\uDE00 \u4e2d"')).toBe("caf\u00e9 \uD83D\uDE00 \u4e2d");
    expect<string>(str('""')).toBe("");
  });

  it("reads long strings", () => {
    const long = "x".repeat(5000) + "\u00e9";
    expect<string>(str('"' + long + '"')).toBe(long);
  });
});

describe("parseJson containers", () => {
  it("reads arrays in order", () => {
    const arr = parsed(' [ 1 , "two" , [ ] , { } ] ').asArray()!;
    expect<i32>(arr.length).toBe(4);
    expect<i64>(arr.at(0)!.asNumber()!.integer).toBe(1);
    expect<string>(arr.at(1)!.asString()!.value).toBe("two");
    expect<i32>(arr.at(2)!.asArray()!.length).toBe(0);
    expect<i32>(arr.at(3)!.asObject()!.size).toBe(0);
    expect<bool>(arr.at(4) === null).toBe(true);
    expect<bool>(arr.at(-1) === null).toBe(true);
  });

  it("keeps object keys in document order and looks them up", () => {
    const obj = parsed('{"b": 1, "a": {"c": [true]}, "": null}').asObject()!;
    expect<i32>(obj.size).toBe(3);
    expect<string>(obj.keys.join(",")).toBe("b,a,");
    expect<bool>(obj.has("a")).toBe(true);
    expect<bool>(obj.has("z")).toBe(false);
    expect<bool>(obj.get("z") === null).toBe(true);
    expect<bool>(obj.get("")!.isNull).toBe(true);
    const inner = obj.get("a")!.asObject()!.get("c")!.asArray()!;
    expect<bool>(inner.at(0)!.asBool()!.value).toBe(true);
  });

  it("returns null from the wrong accessor instead of trapping", () => {
    const v = parsed("[1]");
    expect<bool>(v.asObject() === null).toBe(true);
    expect<bool>(v.asString() === null).toBe(true);
    expect<bool>(v.asNumber() === null).toBe(true);
    expect<bool>(v.asBool() === null).toBe(true);
  });

  it("accepts all four whitespace characters", () => {
    expect<string>(roundTrip('\t\r\n {\r\n\t"a" :\t[ 1 ]\n}\n ')).toBe('{"a":[1]}');
  });

  it("accepts nesting up to the depth limit", () => {
    const text = "[".repeat(64) + "]".repeat(64);
    expect<string>(errorOf(text)).toBe("ok");
  });

  it("rejects nesting past the depth limit", () => {
    const text = "[".repeat(65) + "]".repeat(65);
    expect<string>(errorOf(text)).toBe("nesting deeper than 64 levels at line 1, column 65");
  });

  it("rejects 100000 open brackets without exhausting the stack", () => {
    expect<string>(errorOf("[".repeat(100000))).toBe(
      "nesting deeper than 64 levels at line 1, column 65",
    );
    expect<string>(errorOf('{"a":'.repeat(100000))).toBe(
      "nesting deeper than 64 levels at line 1, column 321",
    );
  });

  it("takes a custom depth limit", () => {
    expect<bool>(parseJson(String.UTF8.encode("[[1]]"), 2).ok).toBe(true);
    expect<string>(parseJson(String.UTF8.encode("[[[1]]]"), 2).error!.toString()).toBe(
      "nesting deeper than 2 levels at line 1, column 3",
    );
  });

  it("reads a wide array", () => {
    const text = "[" + "0,".repeat(20000) + "0]";
    expect<i32>(parsed(text).asArray()!.length).toBe(20001);
  });
});

describe("parseJson errors", () => {
  it("reports the position of an unexpected character", () => {
    expect<string>(errorOf('{\n  "a": 1,\n    }')).toBe(
      "unexpected character '}' at line 3, column 5",
    );
  });

  it("rejects empty and whitespace-only input", () => {
    expect<string>(errorOf("")).toBe("unexpected end of input at line 1, column 1");
    expect<string>(errorOf(" \n\t ")).toBe("unexpected end of input at line 2, column 3");
  });

  it("gives the byte offset", () => {
    const error = parseJsonString('[1,\n "\u00e9", x]').error!;
    expect<i32>(error.offset).toBe(11);
    expect<i32>(error.line).toBe(2);
    expect<i32>(error.column).toBe(7);
    expect<string>(error.message).toBe("unexpected character 'x'");
  });

  it("rejects trailing garbage", () => {
    expect<string>(errorOf('{"a":1} x')).toBe("unexpected character 'x' at line 1, column 9");
    expect<string>(errorOf("1 2")).toBe("unexpected character '2' at line 1, column 3");
    expect<string>(errorOf("truex")).toBe("unexpected character 'x' at line 1, column 5");
    expect<string>(errorOf("[1]]")).toBe("unexpected character ']' at line 1, column 4");
  });

  it("rejects trailing commas and missing separators", () => {
    expect<string>(errorOf("[1,]")).toBe("unexpected character ']' at line 1, column 4");
    expect<string>(errorOf('{"a":1,}')).toBe("unexpected character '}' at line 1, column 8");
    expect<string>(errorOf("[1 2]")).toBe("unexpected character '2' at line 1, column 4");
    expect<string>(errorOf('{"a" 1}')).toBe("unexpected character '1' at line 1, column 6");
    expect<string>(errorOf("[,1]")).toBe("unexpected character ',' at line 1, column 2");
  });

  it("rejects unquoted and single-quoted keys", () => {
    expect<string>(errorOf("{a:1}")).toBe("unexpected character 'a' at line 1, column 2");
    expect<string>(errorOf("{'a':1}")).toBe("unexpected character ''' at line 1, column 2");
  });

  it("rejects leading zeros", () => {
    expect<string>(errorOf("01")).toBe("leading zero in number at line 1, column 1");
    expect<string>(errorOf("[-007]")).toBe("leading zero in number at line 1, column 3");
    expect<string>(errorOf("0")).toBe("ok");
    expect<string>(errorOf("0.01")).toBe("ok");
  });

  it("rejects malformed numbers", () => {
    expect<string>(errorOf("-")).toBe("unexpected end of input at line 1, column 2");
    expect<string>(errorOf("1.")).toBe("unexpected end of input at line 1, column 3");
    expect<string>(errorOf("1.e5")).toBe("unexpected character 'e' at line 1, column 3");
    expect<string>(errorOf(".5")).toBe("unexpected character '.' at line 1, column 1");
    expect<string>(errorOf("+1")).toBe("unexpected character '+' at line 1, column 1");
    expect<string>(errorOf("1e")).toBe("unexpected end of input at line 1, column 3");
    expect<string>(errorOf("1e+")).toBe("unexpected end of input at line 1, column 4");
    expect<string>(errorOf("0x10")).toBe("unexpected character 'x' at line 1, column 2");
    expect<string>(errorOf("- 1")).toBe("unexpected character U+0020 at line 1, column 2");
  });

  it("rejects NaN, Infinity and other JavaScript-only literals", () => {
    expect<string>(errorOf("NaN")).toBe("unexpected character 'N' at line 1, column 1");
    expect<string>(errorOf("-Infinity")).toBe("unexpected character 'I' at line 1, column 2");
    expect<string>(errorOf("undefined")).toBe("unexpected character 'u' at line 1, column 1");
    expect<string>(errorOf("True")).toBe("unexpected character 'T' at line 1, column 1");
    expect<string>(errorOf("nul")).toBe("unexpected end of input at line 1, column 4");
    expect<string>(errorOf("nulL")).toBe("unexpected character 'L' at line 1, column 4");
  });

  it("rejects truncated documents", () => {
    expect<string>(errorOf("{")).toBe("unexpected end of input at line 1, column 2");
    expect<string>(errorOf("[")).toBe("unexpected end of input at line 1, column 2");
    expect<string>(errorOf('{"a"')).toBe("unexpected end of input at line 1, column 5");
    expect<string>(errorOf('{"a":')).toBe("unexpected end of input at line 1, column 6");
    expect<string>(errorOf('{"a":1')).toBe("unexpected end of input at line 1, column 7");
    expect<string>(errorOf("[1,")).toBe("unexpected end of input at line 1, column 4");
    expect<string>(errorOf("tr")).toBe("unexpected end of input at line 1, column 3");
    expect<string>(errorOf('"abc')).toBe("unterminated string at line 1, column 1");
    expect<string>(errorOf('["a\\')).toBe("unterminated string at line 1, column 4");
    expect<string>(errorOf('"\\u12')).toBe("invalid \\u escape at line 1, column 2");
  });

  it("rejects lone surrogates in escapes", () => {
    expect<string>(errorOf('"\\ud800"')).toBe(
      "lone surrogate \\ud800 in string at line 1, column 2",
    );
    expect<string>(errorOf('"\\uDC00"')).toBe(
      "lone surrogate \\uDC00 in string at line 1, column 2",
    );
    expect<string>(errorOf('"\\ud800\\u0041"')).toBe(
      "lone surrogate \\ud800 in string at line 1, column 2",
    );
    expect<string>(errorOf('"\\ud800\\ud800"')).toBe(
      "lone surrogate \\ud800 in string at line 1, column 2",
    );
    expect<string>(errorOf('"x\\ud800')).toBe(
      "lone surrogate \\ud800 in string at line 1, column 3",
    );
  });

  it("rejects bad escapes", () => {
    expect<string>(errorOf('"\\x"')).toBe("invalid escape '\\x' at line 1, column 2");
    expect<string>(errorOf('"\\u12G4"')).toBe("invalid \\u escape at line 1, column 2");
    expect<string>(errorOf('"\\U0041"')).toBe("invalid escape '\\U' at line 1, column 2");
    expect<string>(errorOf('"\\\u00e9"')).toBe(
      "invalid escape '\\' followed by U+00E9 at line 1, column 2",
    );
  });

  it("rejects control characters in strings", () => {
    expect<string>(errorOf('"a\nb"')).toBe(
      "unescaped control character U+000A in string at line 1, column 3",
    );
    expect<string>(errorOf('"\t"')).toBe(
      "unescaped control character U+0009 in string at line 1, column 2",
    );
    expect<string>(errorOf("\u0007")).toBe("unexpected character U+0007 at line 1, column 1");
  });

  it("rejects duplicate keys at the second occurrence", () => {
    expect<string>(errorOf('{"a":1,"a":2}')).toBe('duplicate key "a" at line 1, column 8');
    expect<string>(errorOf('{"x":{"k":1,\n"k":[]}}')).toBe('duplicate key "k" at line 2, column 1');
    expect<string>(errorOf('[{"a":1},{"a":2}]')).toBe("ok");
  });

  it("rejects characters outside the grammar", () => {
    expect<string>(errorOf("\u00e9")).toBe("unexpected character U+00E9 at line 1, column 1");
    expect<string>(errorOf("[1]\uD83D\uDE00")).toBe(
      "unexpected character U+01F600 at line 1, column 4",
    );
    expect<string>(errorOf("// comment\n1")).toBe("unexpected character '/' at line 1, column 1");
  });

  it("rejects a byte order mark", () => {
    expect<string>(errorOfBytes([0xef, 0xbb, 0xbf, 0x31])).toBe(
      "unexpected character U+FEFF at line 1, column 1",
    );
  });
});

describe("parseJson invalid UTF-8", () => {
  it("rejects a stray byte in a string", () => {
    expect<string>(errorOfBytes([0x22, 0x61, 0xff, 0x22])).toBe(
      "invalid UTF-8 byte 0xFF at line 1, column 3",
    );
  });

  it("rejects a stray continuation byte", () => {
    expect<string>(errorOfBytes([0x22, 0x80, 0x22])).toBe(
      "invalid UTF-8 byte 0x80 at line 1, column 2",
    );
  });

  it("rejects overlong encodings", () => {
    expect<string>(errorOfBytes([0x22, 0xc0, 0xaf, 0x22])).toBe(
      "invalid UTF-8 byte 0xC0 at line 1, column 2",
    );
    expect<string>(errorOfBytes([0x22, 0xe0, 0x80, 0xaf, 0x22])).toBe(
      "invalid UTF-8 byte 0xE0 at line 1, column 2",
    );
  });

  it("rejects UTF-8 encoded surrogates and code points past U+10FFFF", () => {
    expect<string>(errorOfBytes([0x22, 0xed, 0xa0, 0x80, 0x22])).toBe(
      "invalid UTF-8 byte 0xED at line 1, column 2",
    );
    expect<string>(errorOfBytes([0x22, 0xf4, 0x90, 0x80, 0x80, 0x22])).toBe(
      "invalid UTF-8 byte 0xF4 at line 1, column 2",
    );
  });

  it("rejects a sequence cut by the end of input", () => {
    expect<string>(errorOfBytes([0x22, 0xe2, 0x82])).toBe(
      "invalid UTF-8 byte 0xE2 at line 1, column 2",
    );
  });

  it("rejects invalid UTF-8 outside strings", () => {
    expect<string>(errorOfBytes([0xff])).toBe("invalid UTF-8 byte 0xFF at line 1, column 1");
    expect<string>(errorOfBytes([0x5b, 0x31, 0x2c, 0xc3])).toBe(
      "invalid UTF-8 byte 0xC3 at line 1, column 4",
    );
  });

  it("rejects a NUL byte", () => {
    expect<string>(errorOfBytes([0x5b, 0x00, 0x5d])).toBe(
      "unexpected character U+0000 at line 1, column 2",
    );
  });

  it("reports a lone surrogate in a string argument as invalid UTF-8", () => {
    expect<string>(errorOf('"\uD800"')).toBe("invalid UTF-8 byte 0xED at line 1, column 2");
  });

  it("accepts four-byte sequences", () => {
    const value = parseJson(bytes([0x22, 0xf0, 0x9f, 0x98, 0x80, 0x22])).value!;
    expect<string>(value.asString()!.value).toBe("\uD83D\uDE00");
  });
});

describe("stringifyJson", () => {
  it("round-trips a document compactly and in key order", () => {
    const text = '{"z":[1,2.5,-3,"x\\n\\u0001",true,false,null],"a":{"c":{}},"e":[]}';
    expect<string>(roundTrip(text)).toBe(text);
    expect<string>(roundTrip(roundTrip(text))).toBe(text);
  });

  it("writes numbers in their shortest form", () => {
    expect<string>(roundTrip("[1.0,1e3,0.1,-0,1e21,1.5e-7,9007199254740993]")).toBe(
      "[1,1000,0.1,-0,1e+21,1.5e-7,9007199254740993]",
    );
  });

  it("writes a parsed number with its own digits, laid out as JavaScript prints numbers", () => {
    expect<string>(roundTrip("[1.50e1,0.000001,1e-7,12.3400,123e-2,1e20,-2.5E+30,1e-400]")).toBe(
      "[15,0.000001,1e-7,12.34,1.23,100000000000000000000,-2.5e+30,1e-400]",
    );
    // More digits than a double holds are kept: the text reads back as the same f64.
    expect<string>(roundTrip("[0.30000000000000001]")).toBe("[0.30000000000000001]");
    expect<string>(number("0.30000000000000001").text).toBe("0.30000000000000001");
    expect<f64>(number("0.30000000000000001").value).toBe(0.3);
    expect<string>(JsonNumber.fromF64(2.5e-9).text).toBe("2.5e-9");
    expect<string>(JsonNumber.fromI64(-42).text).toBe("-42");
  });

  it("works out the f64 of a parsed number when it is read, from its text", () => {
    const n = number("-12.5e-1");
    expect<string>(n.text).toBe("-1.25");
    expect<f64>(n.value).toBe(-1.25);
    expect<f64>(n.value).toBe(-1.25);
    expect<f64>(number("1" + "0".repeat(900) + "1e-901").value).toBe(1);
    expect<f64>(number("-1e-400").value).toBe(0);
    expect<f64>(1 / number("-1e-400").value).toBe(-Infinity);
  });

  it("tells whole numbers from fractions by their digits", () => {
    expect<bool>(number("1e30").isWhole).toBe(true);
    expect<bool>(number("-12").isWhole).toBe(true);
    expect<bool>(number("1.5").isWhole).toBe(false);
    expect<bool>(number("-1e-400").isWhole).toBe(false);
    expect<bool>(number("1.0000000000000000001").isWhole).toBe(false);
    expect<bool>(JsonNumber.fromF64(1e300).isWhole).toBe(true);
    expect<bool>(JsonNumber.fromF64(0.5).isWhole).toBe(false);
    expect<bool>(JsonNumber.fromF64(NaN).isWhole).toBe(false);
  });

  it("keeps the sign of -0, as formatJsonNumber documents", () => {
    expect<string>(roundTrip("[-0]")).toBe("[-0]");
    expect<string>(roundTrip("[-0.0,0,-0e5]")).toBe("[-0,0,-0]");
    expect<string>(stringifyJson(JsonNumber.fromF64(-0.0))).toBe("-0");
  });

  it("writes non-finite numbers as null", () => {
    expect<string>(stringifyJson(JsonNumber.fromF64(NaN))).toBe("null");
    expect<string>(stringifyJson(JsonNumber.fromF64(-Infinity))).toBe("null");
    expect<string>(formatJsonNumber(-0.0)).toBe("-0");
    expect<string>(formatJsonNumber(2.5)).toBe("2.5");
  });

  it("escapes quotes, backslashes, control characters and lone surrogates", () => {
    expect<string>(quoteJsonString('a"b\\c\nd\u0001\u007f')).toBe('"a\\"b\\\\c\\nd\\u0001\u007f"');
    expect<string>(quoteJsonString("\uD800x\uDC00")).toBe('"\\ud800x\\udc00"');
    expect<string>(quoteJsonString("\uD83D\uDE00\u00e9")).toBe('"\uD83D\uDE00\u00e9"');
    expect<string>(quoteJsonString("\b\f\r\t")).toBe('"\\b\\f\\r\\t"');
  });

  it("serializes hand-built trees", () => {
    const obj = new JsonObject();
    obj.set("b", JsonNumber.fromI64(-7));
    obj.set("a", new JsonArray([new JsonNull(), new JsonString("q")]));
    obj.set("b", JsonNumber.fromF64(0.5));
    expect<string>(stringifyJson(obj)).toBe('{"b":0.5,"a":[null,"q"]}');
    expect<string>(obj.toString()).toBe('{"b":0.5,"a":[null,"q"]}');
  });

  it("stops at a hand-built cycle instead of overflowing the stack", () => {
    const arr = new JsonArray();
    arr.items.push(arr);
    // 10,000 levels open, the next one is written as "...", and every level closes again.
    const text = stringifyJson(arr);
    expect<string>(text).toBe("[".repeat(10000) + "..." + "]".repeat(10000));
    // The cut is the same however the cycle is reached, and the value after it still appears.
    const outer = new JsonArray();
    outer.items.push(arr);
    outer.items.push(new JsonString("after"));
    const nested = stringifyJson(outer);
    expect<string>(nested).toBe("[".repeat(10000) + "..." + "]".repeat(9999) + ',"after"]');
  });
});

describe("describeJson", () => {
  it("leaves short values whole", () => {
    expect<string>(describeJson(parsed('{"a":[1,"x"]}'))).toBe('{"a":[1,"x"]}');
    expect<string>(describeJson(new JsonString("PUTT"))).toBe('"PUTT"');
  });

  it("cuts long values at 60 characters", () => {
    const long = new JsonString("y".repeat(200));
    const text = describeJson(long);
    expect<string>(text).toBe('"' + "y".repeat(59) + "...");
    expect<i32>(text.length).toBe(63);
  });

  it("does not split a surrogate pair", () => {
    const text = describeJson(new JsonString("\uD83D\uDE00".repeat(40)), 10);
    expect<string>(text).toBe('"' + "\uD83D\uDE00".repeat(4) + "...");
  });

  it("escapes only the visible part of a huge string", () => {
    const text = describeJson(new JsonString("a".repeat(1000000) + "\n"));
    expect<string>(text).toBe('"' + "a".repeat(59) + "...");
  });

  it("returns the whole text when the limit is 0", () => {
    expect<string>(describeJson(new JsonString("abc"), 0)).toBe('"abc"');
  });

  it("stops early on huge arrays", () => {
    const arr = new JsonArray();
    for (let i = 0; i < 100000; i++) arr.items.push(JsonNumber.fromI64(i));
    expect<string>(describeJson(arr, 20)).toBe("[0,1,2,3,4,5,6,7,8,9...");
  });
});

// JSON values built by hand and read back: number nodes made from floats and integers, the
// f64 of a parsed number, array bounds, and where describeJson cuts its echo.

import {
  describeJson,
  formatJsonNumber,
  JsonArray,
  JsonNumber,
  JsonString,
  JsonValue,
  parseJsonString,
  stringifyJson,
} from "../json";

function number(text: string): JsonNumber {
  const result = parseJsonString(text);
  const error = result.error;
  if (error !== null) expect<string>(error.toString()).toBe("(no error)", "parsing " + text);
  return result.value!.asNumber()!;
}

function bitsOf(text: string): u64 {
  return reinterpret<u64>(number(text).value);
}

function digits(count: i32): JsonArray {
  const arr = new JsonArray();
  for (let i = 0; i < count; i++) arr.items.push(JsonNumber.fromI64(i));
  return arr;
}

describe("JsonNumber.fromF64", () => {
  it("marks a whole float as an integer and holds it exactly", () => {
    const port = JsonNumber.fromF64(8080);
    expect<bool>(port.isInteger).toBe(true);
    expect<i64>(port.integer).toBe(8080);
    expect<string>(port.text).toBe("8080");
    const lowest = JsonNumber.fromF64(-9223372036854775808.0);
    expect<bool>(lowest.isInteger).toBe(true);
    expect<i64>(lowest.integer).toBe(i64.MIN_VALUE);
  });

  it("leaves 2^63 and fractions out of i64, with integer 0", () => {
    const past = JsonNumber.fromF64(9223372036854775808.0);
    expect<bool>(past.isInteger).toBe(false);
    expect<i64>(past.integer).toBe(0);
    expect<bool>(past.isWhole).toBe(true);
    const half = JsonNumber.fromF64(0.5);
    expect<bool>(half.isInteger).toBe(false);
    expect<i64>(half.integer).toBe(0);
  });

  it("keeps the float as its value, NaN and the infinities included", () => {
    expect<bool>(isNaN(JsonNumber.fromF64(NaN).value)).toBe(true);
    expect<f64>(JsonNumber.fromF64(Infinity).value).toBe(Infinity);
    expect<f64>(JsonNumber.fromF64(-Infinity).value).toBe(-Infinity);
    expect<f64>(JsonNumber.fromF64(0.1).value).toBe(0.1);
    expect<string>(JsonNumber.fromF64(Infinity).text).toBe("null");
  });

  it("writes whole floats from 2^53 to 1e21 as digits alone, as JavaScript does", () => {
    expect<string>(formatJsonNumber(9007199254740992.0)).toBe("9007199254740992");
    expect<string>(formatJsonNumber(-9007199254740992.0)).toBe("-9007199254740992");
    expect<string>(formatJsonNumber(1e20)).toBe("100000000000000000000");
    expect<string>(formatJsonNumber(1e21)).toBe("1e+21");
    const big = JsonNumber.fromF64(1e20);
    expect<bool>(big.isWhole).toBe(true);
    expect<string>(stringifyJson(big)).toBe("100000000000000000000");
    expect<f64>(number(formatJsonNumber(18014398509481984.0)).value).toBe(18014398509481984.0);
  });
});

describe("JsonNumber.fromI64", () => {
  it("is an integer whose value is the same number", () => {
    const n = JsonNumber.fromI64(-42);
    expect<bool>(n.isInteger).toBe(true);
    expect<i64>(n.integer).toBe(-42);
    expect<f64>(n.value).toBe(-42);
    expect<bool>(JsonNumber.fromI64(i64.MIN_VALUE).isInteger).toBe(true);
  });
});

describe("a parsed number's value", () => {
  it("is the integer itself, with its sign", () => {
    expect<f64>(number("-5").value).toBe(-5);
    expect<f64>(number("-9223372036854775808").value).toBe(-9223372036854775808.0);
    expect<f64>(number("7").value).toBe(7);
  });

  it("is +0 for 0 and -0 for -0", () => {
    expect<f64>(1 / number("0").value).toBe(Infinity);
    expect<f64>(1 / number("0.0e3").value).toBe(Infinity);
    expect<f64>(1 / number("-0").value).toBe(-Infinity);
  });

  it("is whole for a negative number too large for i64", () => {
    const n = number("-1e30");
    expect<bool>(n.isInteger).toBe(false);
    expect<bool>(n.isWhole).toBe(true);
    expect<bool>(number("-1e-30").isWhole).toBe(false);
  });

  it("is whole in exponent form when the exponent covers the digits after the point", () => {
    expect<string>(number("1.5e30").text).toBe("1.5e+30");
    expect<bool>(number("1.5e30").isWhole).toBe(true);
    expect<bool>(number("-1.5e30").isWhole).toBe(true);
    expect<bool>(JsonNumber.fromF64(1.5e30).isWhole).toBe(true);
    // 23 digits: 22 after the point in exponent form, and the exponent is 22.
    const whole = number("12345678901234567890123");
    expect<string>(whole.text).toBe("1.2345678901234567890123e+22");
    expect<bool>(whole.isWhole).toBe(true);
    const fraction = number("12345678901234567890123.5");
    expect<string>(fraction.text).toBe("1.23456789012345678901235e+22");
    expect<bool>(fraction.isWhole).toBe(false);
    expect<bool>(number("1.5e-30").isWhole).toBe(false);
  });
});

describe("a parsed number's value, correctly rounded", () => {
  it("reads whole numbers beyond i64 with few digits", () => {
    expect<f64>(number("1e23").value).toBe(1e23);
    expect<f64>(number("1e30").value).toBe(1e30);
    expect<f64>(number("123456789012345e22").value).toBe(1.23456789012345e36);
    expect<f64>(number("12345e30").value).toBe(1.2345e34);
    expect<f64>(number("1e37").value).toBe(1e37);
    expect<f64>(number("1e42").value).toBe(1e42);
    expect<f64>(number("-7e60").value).toBe(-7e60);
  });

  // Each is a case where one more power of ten or one more digit in the fast path (a float
  // times or over a float power of ten) rounds twice and lands one ulp off.
  it("rounds once where a float power of ten would round twice", () => {
    expect<f64>(number("10366081434143e23").value).toBe(1.0366081434143e36);
    expect<f64>(number("9.55952121827964e-9").value).toBe(9.55952121827964e-9);
    expect<f64>(number("0.9514242627359937").value).toBe(0.9514242627359937);
  });

  it("rounds an exact tie between two f64s to the even one", () => {
    // 1 + 2^-53, halfway between 1 and 1 + 2^-52: to 1.
    expect<f64>(number("1.00000000000000011102230246251565404236316680908203125").value).toBe(1);
    // 1 + 3 * 2^-53, halfway between 1 + 2^-52 and 1 + 2^-51: to 1 + 2^-51.
    expect<f64>(number("1.00000000000000033306690738754696212708950042724609375").value).toBe(
      1.0000000000000004,
    );
    // Just above and below the first tie.
    expect<f64>(number("1.00000000000000011102230246251565404236316680908203126").value).toBe(
      1.0000000000000002,
    );
    expect<f64>(number("1.00000000000000011102230246251565404236316680908203124").value).toBe(1);
  });

  it("reads numbers whose digits fit in one 32-bit limb, or lie one bit from the midpoint", () => {
    expect<f64>(number("1.5e-30").value).toBe(1.5e-30);
    expect<f64>(number("7e-300").value).toBe(7e-300);
    // Between 2^54 and 2^55, where f64s are 4 apart: 1.5 below the next one up, 2.5 above it.
    expect<f64>(number("18014398509481985.5").value).toBe(18014398509481984.0);
  });

  it("lets a digit past the 800 it keeps break a tie", () => {
    // 2^53 + 1 is halfway between two f64s; a 1 as the 801st digit puts it above halfway.
    const above = "9007199254740993." + "0".repeat(784) + "1";
    expect<f64>(number(above).value).toBe(9007199254740994.0);
    const tie = "9007199254740993." + "0".repeat(800);
    expect<f64>(number(tie).value).toBe(9007199254740992.0);
  });
});

// The expected bits are JavaScript's Number(text), which rounds correctly.
describe("a parsed number's value, bit for bit", () => {
  it("rounds a tie up to the even f64 when the estimate lands below it", () => {
    // Between 2^52 and 2^53 f64s are the integers: .5 is a tie, and the even one is above.
    expect<u64>(bitsOf("8904086725635661.5")).toBe(0x433fa2383e54ae4e); // 8904086725635662
    expect<u64>(bitsOf("7271149295734363.5")).toBe(0x4339d5125ee18e5c); // 7271149295734364
  });

  it("scales by more than 10^300 in steps of exactly 10^300", () => {
    expect<u64>(bitsOf("1e301")).toBe(0x7e6ddd4baa009303);
    expect<u64>(bitsOf("74e304")).toBe(0x7f70dc581fd2a300);
  });

  it("reads a subnormal whose midpoint's 2m + 1 has a second 32-bit limb of 1", () => {
    // 1.5e-314 rounds to 3036033800 * 2^-1074: 2m + 1 lies between 2^32 and 2^33.
    expect<u64>(bitsOf("1.5e-314")).toBe(0x00000000b4f63308);
  });

  it("compares big integers of different lengths by their lengths", () => {
    // 2^64 - 1 as the digits: one limb shorter than the midpoint it is compared with.
    expect<u64>(bitsOf("18446744073709551615e-2")).toBe(0x43847ae147ae147b);
    // And one whose digits, shifted, take one limb more than the midpoint.
    expect<u64>(bitsOf("2.56e-30")).toBe(0x39c9f623d5a8a733);
  });
});

describe("JsonArray.at", () => {
  it("is null past the end, also after the array shrank", () => {
    const arr = new JsonArray();
    arr.items.push(new JsonString("kept"));
    arr.items.push(new JsonString("popped"));
    arr.items.pop();
    expect<i32>(arr.length).toBe(1);
    expect<string>(arr.at(0)!.asString()!.value).toBe("kept");
    expect<bool>(arr.at(1) === null).toBe(true);
  });
});

describe("describeJson's cut", () => {
  it("leaves a value exactly `limit` characters long whole", () => {
    expect<string>(describeJson(new JsonString("abc"), 5)).toBe('"abc"');
    expect<string>(describeJson(digits(3), 7)).toBe("[0,1,2]");
    expect<string>(describeJson(new JsonString("abcd"), 5)).toBe('"abcd...');
  });

  it("cuts after one character at limit 1", () => {
    expect<string>(describeJson(new JsonString("abc"), 1)).toBe('"...');
    expect<string>(describeJson(digits(3), 1)).toBe("[...");
  });

  it("marks a cut that falls where the writer stopped", () => {
    // The writer stops once past the limit; "[0,1" is 4 characters, and more follows.
    expect<string>(describeJson(digits(10), 4)).toBe("[0,1...");
    expect<string>(describeJson(digits(10), 5)).toBe("[0,1,...");
  });

  it("echoes what stringifyJson writes when the limit is not reached", () => {
    const value: JsonValue = digits(12);
    expect<string>(describeJson(value, 100)).toBe(stringifyJson(value));
  });
});

// Field paths given to the config reader: malformed ones are refused as written, indexes of
// every digit and of several digits read their element, and the reader's own helpers (keys,
// raw, a one-character document) behave at their edges.
import { ConfigReader, readConfig } from "../config";

function config(text: string): ConfigReader {
  return readConfig(String.UTF8.encode(text));
}

const DIGITS = '{"a":[0,1,2,3,4,5,6,7,8,9,10,11,12],"b":{"c":1},"n":3,"a b":4}';

describe("config field paths", () => {
  it("refuses a malformed path, naming it as written", () => {
    const bad = [
      "a[", "a[]", "a[x]", "a[/]", "a[:]", "a[1", "a[1x]", "a[1]x", "a.", "a..b", ".a", "[0]x",
      "a[2147483648]", "a[99999999999]",
    ];
    for (let i = 0; i < bad.length; i++) {
      const cfg = config(DIGITS);
      expect<string>(cfg.string(bad[i], "default")).toBe("default");
      expect<string>(cfg.firstError).toBe(
        'invalid configuration: field "' + bad[i] + '": invalid field path',
        bad[i],
      );
    }
  });

  it("refuses an empty path instead of reading the whole object", () => {
    const cfg = config(DIGITS);
    expect<string>(cfg.string("", "default")).toBe("default");
    expect<string>(cfg.firstError).toBe("invalid configuration: invalid field path");
  });

  it("reads an index of any digit and of several digits", () => {
    const cfg = config(DIGITS);
    for (let i = 0; i <= 12; i++) {
      expect<i64>(cfg.integer("a[" + i.toString() + "]", -1)).toBe(<i64>i);
    }
    // The largest index a path may name is absent here, not malformed.
    expect<i64>(cfg.integer("a[2147483647]", -1)).toBe(-1);
    expect<bool>(cfg.ok).toBe(true);
  });

  it("names a key that would not read back as a path in brackets", () => {
    const cfg = config(DIGITS);
    expect<string>(cfg.string("a b", "default")).toBe("default");
    expect<string>(cfg.firstError).toBe(
      'invalid configuration: field "[\\"a b\\"]": expected a string, got 4',
    );
  });

  it("lists every key in document order", () => {
    const keys = config(DIGITS).keys;
    expect<i32>(keys.length).toBe(4);
    expect<string>(keys[0]).toBe("a");
    expect<string>(keys[3]).toBe("a b");
  });

  it("reports a value of the wrong type on the way to a raw value", () => {
    const cfg = config(DIGITS);
    expect<bool>(cfg.raw("n.x") === null).toBe(true);
    expect<string>(cfg.firstError).toBe('invalid configuration: field "n": expected an object, got 3');
    expect<bool>(config(DIGITS).raw("b.c") !== null).toBe(true);
  });

  it("reads a one-character document as a document, not as blank", () => {
    expect<string>(config("7").firstError).toBe(
      "invalid configuration: expected a JSON object, got 7",
    );
    expect<string>(config("{}").firstError).toBe("");
  });
});

import { ConfigReader, readConfig } from "../config";
import { JsonObject, JsonString, parseJsonString } from "../json";

function config(text: string): ConfigReader {
  return readConfig(String.UTF8.encode(text));
}

describe("readConfig", () => {
  it("treats an empty buffer as {} so all-default filters start", () => {
    const cfg = readConfig(new ArrayBuffer(0));
    expect<string>(cfg.string("cluster", "outbound")).toBe("outbound");
    expect<i64>(cfg.integer("port", 8080, 1, 65535)).toBe(8080);
    expect<bool>(cfg.bool("dry_run", true)).toBe(true);
    expect<bool>(cfg.ok).toBe(true);
    expect<string>(cfg.firstError).toBe("");
  });

  it("treats a whitespace-only buffer as {}", () => {
    const cfg = config(" \n\t\r ");
    expect<i32>(cfg.keys.length).toBe(0);
    expect<bool>(cfg.ok).toBe(true);
  });

  it("reports a parse error with its position", () => {
    const cfg = config('{\n  "a": 1,\n    }');
    expect<bool>(cfg.ok).toBe(false);
    expect<string>(cfg.firstError).toBe(
      "invalid configuration: unexpected character '}' at line 3, column 5",
    );
    // Reads after a parse error return defaults instead of trapping.
    expect<string>(cfg.string("a", "d")).toBe("d");
  });

  it("reports a document that is not an object", () => {
    expect<string>(config("[1,2]").firstError).toBe(
      "invalid configuration: expected a JSON object, got [1,2]",
    );
    expect<string>(config('"x"').firstError).toBe(
      'invalid configuration: expected a JSON object, got "x"',
    );
  });

  it("reports hostile input without trapping", () => {
    expect<string>(config("[".repeat(100000)).firstError).toBe(
      "invalid configuration: nesting deeper than 64 levels at line 1, column 65",
    );
    // {"a":"\xff"}
    const bad = new ArrayBuffer(9);
    const raw: u8[] = [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d];
    for (let i = 0; i < raw.length; i++) store<u8>(changetype<usize>(bad) + i, raw[i]);
    expect<string>(readConfig(bad).firstError).toBe(
      "invalid configuration: invalid UTF-8 byte 0xFF at line 1, column 7",
    );
    expect<string>(config('{"a":1,"a":2}').firstError).toBe(
      'invalid configuration: duplicate key "a" at line 1, column 8',
    );
  });

  it("builds a reader from a parse result", () => {
    const cfg = ConfigReader.fromParseResult(parseJsonString('{"a":"b"}'));
    expect<string>(cfg.string("a")).toBe("b");
    expect<bool>(cfg.ok).toBe(true);
  });
});

describe("ConfigReader strings", () => {
  it("reads a string", () => {
    const cfg = config('{"cluster":"backend","empty":""}');
    expect<string>(cfg.string("cluster")).toBe("backend");
    expect<string>(cfg.string("empty", "x")).toBe("");
    expect<bool>(cfg.ok).toBe(true);
  });

  it("reports a missing required string", () => {
    const cfg = config("{}");
    expect<string>(cfg.string("cluster")).toBe("");
    expect<string>(cfg.firstError).toBe(
      'invalid configuration: field "cluster": required field missing',
    );
  });

  it("reports a value of the wrong type, echoing it", () => {
    const cfg = config('{"name":42}');
    expect<string>(cfg.string("name", "dflt")).toBe("dflt");
    expect<string>(cfg.firstError).toBe(
      'invalid configuration: field "name": expected a string, got 42',
    );
  });

  it("uses the default for null, but rejects null for a required field", () => {
    const cfg = config('{"a":null}');
    expect<string>(cfg.string("a", "d")).toBe("d");
    expect<bool>(cfg.ok).toBe(true);
    cfg.string("a");
    expect<string>(cfg.firstError).toBe(
      'invalid configuration: field "a": expected a string, got null',
    );
  });

  it("reads optional strings", () => {
    const cfg = config('{"a":"x","n":null}');
    expect<string | null>(cfg.optionalString("a")).toBe("x");
    expect<string | null>(cfg.optionalString("n")).toBeNull();
    expect<string | null>(cfg.optionalString("missing")).toBeNull();
    expect<bool>(cfg.ok).toBe(true);
    const wrong = config('{"a":[]}');
    expect<string | null>(wrong.optionalString("a")).toBeNull();
    expect<bool>(wrong.ok).toBe(false);
    expect<string>(wrong.firstError).toBe('invalid configuration: field "a": expected a string, got []');
  });

  it("truncates long echoed values", () => {
    const cfg = config('{"name":["' + "v".repeat(500) + '"]}');
    cfg.string("name");
    expect<string>(cfg.firstError).toBe(
      'invalid configuration: field "name": expected a string, got ["' + "v".repeat(58) + "...",
    );
  });
});

describe("ConfigReader oneOf", () => {
  it("accepts an allowed value", () => {
    const cfg = config('{"method":"POST"}');
    expect<string>(cfg.oneOf("method", ["GET", "POST"])).toBe("POST");
    expect<bool>(cfg.ok).toBe(true);
  });

  it("rejects a value outside the list", () => {
    const cfg = config('{"method":"PUTT"}');
    expect<string>(cfg.oneOf("method", ["GET", "POST"], "GET")).toBe("GET");
    expect<string>(cfg.firstError).toBe(
      'invalid configuration: field "method": "PUTT" is not one of GET, POST',
    );
  });

  it("uses the default when absent and requires a value without one", () => {
    expect<string>(config("{}").oneOf("mode", ["allow", "deny"], "deny")).toBe("deny");
    const cfg = config("{}");
    cfg.oneOf("mode", ["allow", "deny"]);
    expect<string>(cfg.firstError).toBe(
      'invalid configuration: field "mode": required field missing',
    );
  });
});

describe("ConfigReader numbers", () => {
  it("reads integers within range", () => {
    const cfg = config('{"port":443,"big":9007199254740993,"whole":8.0}');
    expect<i64>(cfg.integer("port", 80, 1, 65535)).toBe(443);
    expect<i64>(cfg.integer("big", 0)).toBe(9007199254740993);
    expect<i64>(cfg.integer("whole", 0)).toBe(8);
    expect<i64>(cfg.integer("absent", 7, 1, 5)).toBe(7);
    expect<bool>(cfg.ok).toBe(true);
  });

  it("takes both bounds themselves as in range", () => {
    const cfg = config('{"low":1,"high":65535,"min":0.5,"max":2}');
    expect<i64>(cfg.integer("low", 80, 1, 65535)).toBe(1);
    expect<i64>(cfg.integer("high", 80, 1, 65535)).toBe(65535);
    expect<f64>(cfg.number("min", 1, 0.5, 2)).toBe(0.5);
    expect<f64>(cfg.number("max", 1, 0.5, 2)).toBe(2);
    expect<string>(cfg.firstError).toBe("");
  });

  it("reports an integer out of range", () => {
    const cfg = config('{"port":99999}');
    expect<i64>(cfg.integer("port", 80, 1, 65535)).toBe(80);
    expect<string>(cfg.firstError).toBe(
      'invalid configuration: field "port": 99999 is out of range 1..65535',
    );
  });

  it("names a one-sided bound", () => {
    const low = config('{"n":-1}');
    low.integer("n", 0, 0);
    expect<string>(low.firstError).toBe(
      'invalid configuration: field "n": -1 is below the minimum 0',
    );
    const high = config('{"n":11}');
    high.integer("n", 0, i64.MIN_VALUE, 10);
    expect<string>(high.firstError).toBe(
      'invalid configuration: field "n": 11 is above the maximum 10',
    );
  });

  it("names a one-sided bound of a number", () => {
    const low = config('{"x":0.25}');
    low.number("x", 1, 0.5);
    expect<string>(low.firstError).toBe(
      'invalid configuration: field "x": 0.25 is below the minimum 0.5',
    );
    const high = config('{"x":2.5}');
    high.number("x", 1, -Infinity, 2);
    expect<string>(high.firstError).toBe(
      'invalid configuration: field "x": 2.5 is above the maximum 2',
    );
  });

  it("rejects fractions and non-numbers as integers", () => {
    const cfg = config('{"a":1.5,"b":"80","c":true}');
    cfg.integer("a", 0);
    cfg.integer("b", 0);
    cfg.integer("c", 0);
    const errors = cfg.allErrors;
    expect<i32>(errors.length).toBe(3);
    expect<string>(errors[0]).toBe(
      'invalid configuration: field "a": expected an integer, got 1.5',
    );
    expect<string>(errors[1]).toBe(
      'invalid configuration: field "b": expected an integer, got "80"',
    );
    expect<string>(errors[2]).toBe(
      'invalid configuration: field "c": expected an integer, got true',
    );
  });

  it("reports whole numbers beyond i64 as out of range", () => {
    const cfg = config('{"port":1e30}');
    cfg.integer("port", 80, 1, 65535);
    expect<string>(cfg.firstError).toBe(
      'invalid configuration: field "port": 1e+30 is out of range 1..65535',
    );
    // Whole too, though written with a point: 1500000000000000000000000000000.
    const pointed = config('{"port":1.5e30}');
    pointed.integer("port", 80, 1, 65535);
    expect<string>(pointed.firstError).toBe(
      'invalid configuration: field "port": 1.5e+30 is out of range 1..65535',
    );
  });

  it("requires integers when asked", () => {
    const cfg = config("{}");
    expect<i64>(cfg.requiredInteger("port", 1, 65535)).toBe(0);
    expect<string>(cfg.firstError).toBe(
      'invalid configuration: field "port": required field missing',
    );
  });

  it("reads floats within range", () => {
    const cfg = config('{"ratio":0.25,"n":3}');
    expect<f64>(cfg.number("ratio", 1, 0, 1)).toBe(0.25);
    expect<f64>(cfg.number("n", 0)).toBe(3);
    expect<f64>(cfg.number("absent", 0.5)).toBe(0.5);
    expect<bool>(cfg.ok).toBe(true);
  });

  it("reports floats out of range and of the wrong type", () => {
    const cfg = config('{"ratio":1.5,"s":"x"}');
    expect<f64>(cfg.number("ratio", 1, 0, 1)).toBe(1);
    // What a refused or missing required number reads as: 0.
    expect<f64>(cfg.requiredNumber("s")).toBe(0);
    expect<f64>(cfg.requiredNumber("absent")).toBe(0);
    const errors = cfg.allErrors;
    expect<string>(errors[0]).toBe(
      'invalid configuration: field "ratio": 1.5 is out of range 0..1',
    );
    expect<string>(errors[1]).toBe('invalid configuration: field "s": expected a number, got "x"');
    expect<string>(errors[2]).toBe(
      'invalid configuration: field "absent": required field missing',
    );
  });
});

describe("ConfigReader booleans", () => {
  it("reads booleans and defaults", () => {
    const cfg = config('{"a":true,"b":false}');
    expect<bool>(cfg.bool("a", false)).toBe(true);
    expect<bool>(cfg.bool("b", true)).toBe(false);
    expect<bool>(cfg.bool("c", true)).toBe(true);
    expect<bool>(cfg.ok).toBe(true);
  });

  it("rejects strings that look like booleans", () => {
    const cfg = config('{"dry_run":"yes"}');
    expect<bool>(cfg.bool("dry_run", false)).toBe(false);
    expect<string>(cfg.firstError).toBe(
      'invalid configuration: field "dry_run": expected true or false, got "yes"',
    );
  });

  it("requires booleans when asked", () => {
    const cfg = config('{"on":true,"s":"true"}');
    expect<bool>(cfg.requiredBool("on")).toBe(true);
    expect<bool>(cfg.ok).toBe(true);
    // A missing or refused required boolean reads as false.
    expect<bool>(cfg.requiredBool("enabled")).toBe(false);
    expect<bool>(cfg.requiredBool("s")).toBe(false);
    expect<string>(cfg.firstError).toBe(
      'invalid configuration: field "enabled": required field missing',
    );
  });
});

describe("ConfigReader arrays and maps", () => {
  it("reads a string array", () => {
    const cfg = config('{"methods":["GET","HEAD"]}');
    expect<string>(cfg.stringArray("methods").join(",")).toBe("GET,HEAD");
    expect<string>(cfg.stringArray("absent", ["X"]).join(",")).toBe("X");
    expect<bool>(cfg.ok).toBe(true);
  });

  it("reports the index of a bad element and skips it", () => {
    const cfg = config('{"methods":["GET",3,"POST"]}');
    expect<string>(cfg.stringArray("methods", []).join(",")).toBe("GET,POST");
    expect<string>(cfg.firstError).toBe(
      'invalid configuration: field "methods[1]": expected a string, got 3',
    );
  });

  it("rejects a single string where an array is expected", () => {
    const cfg = config('{"methods":"GET"}');
    cfg.stringArray("methods", []);
    expect<string>(cfg.firstError).toBe(
      'invalid configuration: field "methods": expected an array, got "GET"',
    );
  });

  it("requires a string array without a default", () => {
    const cfg = config("{}");
    expect<i32>(cfg.stringArray("methods").length).toBe(0);
    expect<string>(cfg.firstError).toBe(
      'invalid configuration: field "methods": required field missing',
    );
  });

  it("reads a string map in document order", () => {
    const cfg = config('{"add":{"x-b":"2","x-a":"1"}}');
    const map = cfg.stringMap("add");
    expect<string>(map.keys().join(",")).toBe("x-b,x-a");
    expect<string>(map.get("x-a")).toBe("1");
    expect<i32>(cfg.stringMap("absent").size).toBe(0);
    expect<bool>(cfg.ok).toBe(true);
  });

  it("reports a bad map value by key", () => {
    const cfg = config('{"add":{"x-a":"1","x-b":2,"odd key":false}}');
    const map = cfg.stringMap("add");
    expect<i32>(map.size).toBe(1);
    const errors = cfg.allErrors;
    expect<string>(errors[0]).toBe(
      'invalid configuration: field "add.x-b": expected a string, got 2',
    );
    expect<string>(errors[1]).toBe(
      'invalid configuration: field "add[\\"odd key\\"]": expected a string, got false',
    );
  });

  it("reports a map that is not an object", () => {
    const cfg = config('{"add":["x"]}');
    cfg.stringMap("add", true);
    expect<string>(cfg.firstError).toBe(
      'invalid configuration: field "add": expected an object, got ["x"]',
    );
  });
});

describe("ConfigReader nesting", () => {
  it("names the full path of a field inside an array of objects", () => {
    const cfg = config('{"headers":[{"name":"a"},{"name":"b"},{"name":42}]}');
    const headers = cfg.array("headers");
    expect<i32>(headers.length).toBe(3);
    expect<string>(headers[0].string("name")).toBe("a");
    expect<string>(headers[1].path).toBe("headers[1]");
    headers[2].string("name");
    expect<string>(cfg.firstError).toBe(
      'invalid configuration: field "headers[2].name": expected a string, got 42',
    );
  });

  it("an absent array is empty, and an error only when required", () => {
    const cfg = config("{}");
    expect<i32>(cfg.array("rules").length).toBe(0);
    expect<bool>(cfg.ok).toBe(true);
    expect<i32>(cfg.array("rules", true).length).toBe(0);
    expect<bool>(cfg.ok).toBe(false);
  });

  it("reads the same field through a path", () => {
    const cfg = config('{"headers":[{"name":"a"},{"name":"b"},{"name":42}]}');
    expect<string>(cfg.string("headers[1].name")).toBe("b");
    cfg.string("headers[2].name");
    expect<string>(cfg.firstError).toBe(
      'invalid configuration: field "headers[2].name": expected a string, got 42',
    );
  });

  it("reports a non-object element and keeps indexes aligned", () => {
    const cfg = config('{"rules":[{"a":1},7,{"a":3}]}');
    const rules = cfg.array("rules");
    expect<i32>(rules.length).toBe(3);
    expect<i64>(rules[2].integer("a", 0)).toBe(3);
    expect<string>(cfg.firstError).toBe(
      'invalid configuration: field "rules[1]": expected an object, got 7',
    );
  });

  it("reads nested objects and dotted paths", () => {
    const cfg = config('{"upstream":{"cluster":"c","port":9000}}');
    const upstream = cfg.object("upstream");
    expect<string>(upstream.string("cluster")).toBe("c");
    expect<i64>(cfg.integer("upstream.port", 0, 1, 65535)).toBe(9000);
    expect<string>(upstream.path).toBe("upstream");
    expect<bool>(cfg.ok).toBe(true);
  });

  it("gives an empty reader for an absent optional object", () => {
    const cfg = config("{}");
    const upstream = cfg.object("upstream");
    expect<i64>(upstream.integer("port", 80)).toBe(80);
    expect<bool>(cfg.ok).toBe(true);
    upstream.string("cluster");
    expect<string>(cfg.firstError).toBe(
      'invalid configuration: field "upstream.cluster": required field missing',
    );
  });

  it("reports a required object that is absent or not an object", () => {
    const absent = config("{}");
    absent.object("upstream", true);
    expect<string>(absent.firstError).toBe(
      'invalid configuration: field "upstream": required field missing',
    );
    const wrong = config('{"upstream":5}');
    wrong.object("upstream");
    expect<string>(wrong.firstError).toBe(
      'invalid configuration: field "upstream": expected an object, got 5',
    );
  });

  it("reports the broken step of a dotted path", () => {
    const cfg = config('{"upstream":5,"list":{}}');
    cfg.string("upstream.cluster");
    cfg.string("list[0]");
    cfg.string("absent.deeper[3].x");
    const errors = cfg.allErrors;
    expect<string>(errors[0]).toBe(
      'invalid configuration: field "upstream": expected an object, got 5',
    );
    expect<string>(errors[1]).toBe(
      'invalid configuration: field "list": expected an array, got {}',
    );
    expect<string>(errors[2]).toBe(
      'invalid configuration: field "absent.deeper[3].x": required field missing',
    );
  });

  it("reports a broken parent once however many fields are read through it", () => {
    const cfg = config('{"upstream":5}');
    cfg.string("upstream.cluster");
    cfg.integer("upstream.port", 80);
    expect<i32>(cfg.allErrors.length).toBe(1);
  });

  it("reports a malformed path argument instead of trapping", () => {
    const cfg = config('{"a":{"b":1}}');
    cfg.string("a..b");
    cfg.string("a[");
    cfg.string("");
    expect<i32>(cfg.allErrors.length).toBe(3);
    expect<string>(cfg.firstError).toBe('invalid configuration: field "a..b": invalid field path');
  });

  it("has every reader report a malformed path", () => {
    const readers: Array<(cfg: ConfigReader) => void> = [
      (cfg: ConfigReader): void => {
        cfg.string("a..b", "d");
      },
      (cfg: ConfigReader): void => {
        cfg.optionalString("a..b");
      },
      (cfg: ConfigReader): void => {
        cfg.headerName("a..b", "x-d");
      },
      (cfg: ConfigReader): void => {
        cfg.headerValue("a..b", "d");
      },
      (cfg: ConfigReader): void => {
        cfg.oneOf("a..b", ["x"], "x");
      },
      (cfg: ConfigReader): void => {
        cfg.integer("a..b", 1);
      },
      (cfg: ConfigReader): void => {
        cfg.number("a..b", 1.5);
      },
      (cfg: ConfigReader): void => {
        cfg.bool("a..b", true);
      },
      (cfg: ConfigReader): void => {
        cfg.stringArray("a..b", []);
      },
      (cfg: ConfigReader): void => {
        cfg.stringMap("a..b");
      },
      (cfg: ConfigReader): void => {
        cfg.object("a..b");
      },
      (cfg: ConfigReader): void => {
        cfg.array("a..b");
      },
    ];
    for (let i = 0; i < readers.length; i++) {
      const cfg = config('{"a":{"b":1}}');
      readers[i](cfg);
      expect<string>(cfg.firstError).toBe('invalid configuration: field "a..b": invalid field path');
    }
  });

  it("names keys of letters, digits, - and _ plainly and quotes any other", () => {
    const cfg = config('{"azAZ09_-":{"k":1},"a b":2}');
    cfg.object("azAZ09_-").string("k");
    cfg.string("a b");
    expect<string>(cfg.allErrors[0]).toBe('invalid configuration: field "azAZ09_-.k": expected a string, got 1');
    expect<bool>(cfg.allErrors[1].includes("expected a string, got 2")).toBe(true);
  });

  it("answers has and raw", () => {
    const cfg = config('{"a":{"b":[1,null]}}');
    expect<bool>(cfg.has("a.b[1]")).toBe(true);
    expect<bool>(cfg.has("a.c")).toBe(false);
    expect<bool>(cfg.has("a.b.c")).toBe(false);
    expect<string>(cfg.raw("a.b")!.toString()).toBe("[1,null]");
    expect<bool>(cfg.raw("zz") === null).toBe(true);
    expect<bool>(cfg.ok).toBe(true);
  });

  it("reads a root object directly", () => {
    const root = new JsonObject();
    root.set("x", new JsonString("y"));
    const cfg = new ConfigReader(root);
    expect<string>(cfg.string("x")).toBe("y");
  });
});

describe("ConfigReader unknownKeys and custom checks", () => {
  it("reports a typo with a suggestion", () => {
    const cfg = config('{"colour":"red","port":1}');
    cfg.unknownKeys(["color", "port"]);
    expect<string>(cfg.firstError).toBe(
      'invalid configuration: field "colour": unknown field (did you mean "color"?)',
    );
  });

  it("reports unrelated unknown fields without a suggestion", () => {
    const cfg = config('{"port":1,"zzz":2,"timout_ms":3}');
    cfg.unknownKeys(["port", "timeout_ms"]);
    const errors = cfg.allErrors;
    expect<i32>(errors.length).toBe(2);
    expect<string>(errors[0]).toBe('invalid configuration: field "zzz": unknown field');
    expect<string>(errors[1]).toBe(
      'invalid configuration: field "timout_ms": unknown field (did you mean "timeout_ms"?)',
    );
  });

  it("names nested unknown fields by path", () => {
    const cfg = config('{"headers":[{"nmae":"a"}]}');
    cfg.array("headers")[0].unknownKeys(["name", "value"]);
    expect<string>(cfg.firstError).toBe(
      'invalid configuration: field "headers[0].nmae": unknown field (did you mean "name"?)',
    );
  });

  it("clips huge unknown keys", () => {
    const cfg = config('{"' + "k".repeat(10000) + '":1}');
    cfg.unknownKeys(["port"]);
    expect<string>(cfg.firstError).toBe(
      'invalid configuration: field "[\\"' + "k".repeat(60) + '...\\"]": unknown field',
    );
  });

  it("accepts a configuration with only known fields", () => {
    const cfg = config('{"port":1}');
    cfg.unknownKeys(["port"]);
    expect<bool>(cfg.ok).toBe(true);
  });

  it("records custom problems in the same style", () => {
    const cfg = config('{"rules":[{"prefix":"api"}]}');
    const rule = cfg.array("rules")[0];
    rule.fail("prefix", "must start with /, got " + rule.raw("prefix")!.toString());
    expect<string>(cfg.firstError).toBe(
      'invalid configuration: field "rules[0].prefix": must start with /, got "api"',
    );
  });

  it("names a custom problem's field as a read names it: quoted keys, indexes, nested keys", () => {
    const odd = config('{"odd key":1}');
    odd.string("odd key");
    odd.fail("odd key", "is odd");
    expect<string[]>(odd.allErrors).toStrictEqual([
      'invalid configuration: field "[\\"odd key\\"]": expected a string, got 1',
      'invalid configuration: field "[\\"odd key\\"]": is odd',
    ]);
    const cfg = config("{}");
    cfg.fail("rules[0].prefix", "is missing");
    cfg.fail("a.b", "is missing");
    expect<string[]>(cfg.allErrors).toStrictEqual([
      'invalid configuration: field "rules[0].prefix": is missing',
      'invalid configuration: field "a.b": is missing',
    ]);
  });

  it("names a malformed custom path as written, under the reader's field", () => {
    const cfg = config('{"a":{}}');
    cfg.object("a").fail("x..y", "is malformed");
    expect<string>(cfg.firstError).toBe('invalid configuration: field "a.x..y": is malformed');
  });

  it("names the reader's own field for a problem with the whole value (an empty path)", () => {
    const cfg = config('{"rules":[{"prefix":"api"}]}');
    const rule = cfg.array("rules")[0];
    rule.fail("", "needs a prefix or a header");
    expect<string>(cfg.firstError).toBe(
      'invalid configuration: field "rules[0]": needs a prefix or a header',
    );
    const top = config("{}");
    top.fail("", "is empty");
    expect<string>(top.firstError).toBe("invalid configuration: is empty");
  });

  it("keeps the first error first and collects the rest", () => {
    const cfg = config('{"a":1,"b":2}');
    cfg.string("a");
    cfg.string("b");
    cfg.string("c");
    expect<bool>(cfg.ok).toBe(false);
    expect<i32>(cfg.allErrors.length).toBe(3);
    expect<string>(cfg.firstError).toBe(
      'invalid configuration: field "a": expected a string, got 1',
    );
  });
});

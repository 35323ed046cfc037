// The config reader's helpers at their edges: header names folded to lower case (ASCII only),
// keys named plainly or in brackets (every character class, the echo limit), malformed paths
// under a nested reader shown as written, and the "did you mean" suggestion's edit distance.
import { asciiLower, ConfigReader, readConfig } from "../config";

function config(text: string): ConfigReader {
  return readConfig(String.UTF8.encode(text));
}

// The first error after reading one key with no key allowed.
function unknown(key: string): string {
  const cfg = config('{"' + key + '":1}');
  cfg.unknownKeys([]);
  return cfg.firstError;
}

// The name suggested for the one key, or "".
function suggestion(key: string, allowed: string[]): string {
  const cfg = config('{"' + key + '":1}');
  cfg.unknownKeys(allowed);
  const message = cfg.firstError;
  const at = message.indexOf("(did you mean ");
  return at < 0 ? "" : message.substring(at + 15, message.length - 3);
}

describe("header names", () => {
  it("folds every ASCII capital, wherever it is, and nothing else", () => {
    const cfg = config('{"a":"X-Hello","b":"x-hellO","c":"AZ-az_09","d":"x-plain"}');
    expect<string>(cfg.headerName("a")).toBe("x-hello");
    expect<string>(cfg.headerName("b")).toBe("x-hello");
    expect<string>(cfg.headerName("c")).toBe("az-az_09");
    expect<string>(cfg.headerName("d")).toBe("x-plain");
    expect<bool>(cfg.ok).toBe(true);
    // A capital only at the start.
    expect<string>(config('{"h":"Xhost"}').headerName("h")).toBe("xhost");
  });

  it("gives the default, lower-cased, when the name is refused", () => {
    const cfg = config('{"h":"bad name"}');
    expect<string>(cfg.headerName("h", "X-Def")).toBe("x-def");
    expect<string>(cfg.firstError).toBe(
      'invalid configuration: field "h": "bad name" is not a token',
    );
    // The characters either side of A..Z are left as they are.
    expect<string>(config('{"h":""}').headerName("h", "@AZ[")).toBe("@az[");
    // An empty default, given back as it is.
    const empty = config('{"h":"bad name"}');
    expect<string>(empty.headerName("h", "")).toBe("");
    expect<bool>(empty.ok).toBe(false);
  });
});

describe("asciiLower", () => {
  it("writes only the copy's own characters, at every length", () => {
    // A string's size is rounded up to the allocator's block: at some lengths the next
    // block's header follows the last character directly, and a write past the end breaks
    // the heap (the collection below checks it).
    const upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMN";
    const lower = "abcdefghijklmnopqrstuvwxyzabcdefghijklmn";
    const kept: string[] = [];
    for (let n = 1; n <= upper.length; n++) {
      const folded = asciiLower(upper.substring(0, n));
      expect<string>(folded).toBe(lower.substring(0, n));
      kept.push(folded);
    }
    __collect();
    for (let n = 1; n <= upper.length; n++) expect<string>(kept[n - 1]).toBe(lower.substring(0, n));
  });
});

describe("key paths in messages", () => {
  it("names a key of letters, digits, '_' and '-' plainly", () => {
    const plain = ["a", "z", "A", "Z", "0", "9", "_", "-", "aZ09_-"];
    for (let i = 0; i < plain.length; i++) {
      expect<string>(unknown(plain[i])).toBe(
        'invalid configuration: field "' + plain[i] + '": unknown field',
        plain[i],
      );
    }
  });

  it("names any other key in brackets", () => {
    // The characters just outside each plain range, and the path's own punctuation.
    const odd = ["`", "{", "@", "[", "/", ":", "^", ",", ".", "a b", "x`"];
    for (let i = 0; i < odd.length; i++) {
      expect<string>(unknown(odd[i])).toBe(
        'invalid configuration: field "[\\"' + odd[i] + '\\"]": unknown field',
        odd[i],
      );
    }
    expect<string>(unknown("")).toBe('invalid configuration: field "[\\"\\"]": unknown field');
  });

  it("shows a key of up to 60 characters whole and cuts a longer one", () => {
    const sixty = "k".repeat(60);
    expect<string>(unknown(sixty)).toBe('invalid configuration: field "' + sixty + '": unknown field');
    expect<string>(unknown(sixty + "k")).toBe(
      'invalid configuration: field "[\\"' + sixty + '...\\"]": unknown field',
    );
    // In brackets too: 60 characters whole, 61 cut.
    const odd = "k".repeat(59) + " ";
    expect<string>(unknown(odd)).toBe('invalid configuration: field "[\\"' + odd + '\\"]": unknown field');
    expect<string>(unknown(odd + "k")).toBe(
      'invalid configuration: field "[\\"' + odd + '...\\"]": unknown field',
    );
  });

  it("joins a nested key to its parent with a dot, an odd one with brackets", () => {
    const cfg = config('{"up":{"x y":1,"port":"80"}}');
    const up = cfg.object("up");
    expect<i64>(up.integer("port", 0)).toBe(0);
    expect<string>(cfg.firstError).toBe('invalid configuration: field "up.port": expected an integer, got "80"');
    const other = config('{"up":{"x y":1}}');
    other.object("up").unknownKeys([]);
    expect<string>(other.firstError).toBe('invalid configuration: field "up[\\"x y\\"]": unknown field');
  });
});

describe("malformed paths under a nested reader", () => {
  it("shows the path as written after the reader's own", () => {
    const cfg = config('{"up":{"a":1}}');
    expect<string>(cfg.object("up").string("a..b", "d")).toBe("d");
    expect<string>(cfg.firstError).toBe('invalid configuration: field "up.a..b": invalid field path');
  });

  it("names the reader itself for an empty path", () => {
    const cfg = config('{"up":{"a":1}}');
    expect<string>(cfg.object("up").string("", "d")).toBe("d");
    expect<string>(cfg.firstError).toBe('invalid configuration: field "up": invalid field path');
  });

  it("names the path as written in a header name's error", () => {
    const cfg = config('{"up":{"h":"a b"}}');
    expect<string>(cfg.object("up").headerName("h", "x")).toBe("x");
    expect<string>(cfg.firstError).toBe(
      'invalid configuration: field "up.h": "a b" is not a token',
    );
  });
});

describe("suggestions for unknown keys", () => {
  it("suggests a name one or two edits away", () => {
    expect<string>(suggestion("colour", ["color"])).toBe("color"); // a deletion
    expect<string>(suggestion("colr", ["color"])).toBe("color"); // an insertion
    expect<string>(suggestion("colar", ["color"])).toBe("color"); // a substitution
    expect<string>(suggestion("prot", ["port"])).toBe("port"); // a swap is two edits
    expect<string>(suggestion("hedaers", ["headers"])).toBe("headers");
    expect<string>(suggestion("Port", ["port"])).toBe("port"); // case counts as an edit
  });

  it("suggests nothing three edits away, or when the edits rewrite the whole name", () => {
    expect<string>(suggestion("abcxyz", ["abc"])).toBe("");
    expect<string>(suggestion("pxyz", ["port"])).toBe("");
    expect<string>(suggestion("ab", ["xy"])).toBe(""); // two edits, the whole of "xy"
    expect<string>(suggestion("a", ["b"])).toBe("");
    // Three edits ("cac" -> "abca") and two that rewrite all of a short name.
    expect<string>(suggestion("cac", ["abca"])).toBe("");
    expect<string>(suggestion("a", ["cc"])).toBe("");
    expect<string>(suggestion("xport", ["port", "porter"])).toBe("port");
  });

  it("takes the closest of several names, the first of equals", () => {
    expect<string>(suggestion("hosts", ["hostname", "host"])).toBe("host");
    expect<string>(suggestion("mode", ["node", "code"])).toBe("node");
    expect<string>(suggestion("timeoutt", ["timeout_ms", "timeout"])).toBe("timeout");
    expect<string>(suggestion("abcd", ["abxy", "abcx"])).toBe("abcx");
    // Three edits from the longer name: none.
    expect<string>(suggestion("retry", ["retries"])).toBe("");
  });

  it("counts edits in the middle and at the end of longer names", () => {
    expect<string>(suggestion("max_requests", ["max_request"])).toBe("max_request");
    expect<string>(suggestion("max_reqests", ["max_requests"])).toBe("max_requests");
    expect<string>(suggestion("max_rxqxests", ["max_requests"])).toBe("max_requests");
    expect<string>(suggestion("max_rxqxxsts", ["max_requests"])).toBe("");
    expect<string>(suggestion("zzax_requests", ["max_requests"])).toBe("max_requests");
  });
});

// Labels for metric names: the encoding Envoy's stats_tags undo, the guards that bound how
// many names can exist, and the cache key that tells tuples apart.
import {
  Dropped,
  Labels,
  encodeLabelValue,
  labelNameProblem,
  statsTagRegex,
} from "../labels";

describe("encoding", () => {
  it("keeps plain values and replaces what could break a name", () => {
    expect<string>(encodeLabelValue("GET")).toBe("GET");
    expect<string>(encodeLabelValue("/api/v1.2:x+y-z_w")).toBe("/api/v1.2:x+y-z_w");
    expect<string>(encodeLabelValue("a;b=c d\"é")).toBe("a_b_c_d__");
    expect<string>(encodeLabelValue("")).toBe("");
  });

  it("cuts values to 64 characters", () => {
    expect<i32>(encodeLabelValue("x".repeat(200)).length).toBe(64);
    expect<i32>(encodeLabelValue("x;".repeat(100)).length).toBe(64);
  });

  it("writes labels after the base name and the constant labels", () => {
    const labels = new Labels(["code", "method"], "d");
    labels.constant("service", "shop one");
    labels.setNumber(0, 200).set(1, "GET");
    expect<string>(labels.encode("rq_total")).toBe("rq_total;service=shop_one;code=200;method=GET");
    expect<string>(statsTagRegex("code")).toBe("(;code=([^;]*))");
  });
});

describe("definition mistakes", () => {
  it("refuses names Prometheus refuses", () => {
    expect<bool>(labelNameProblem("code") === null).toBe(true);
    expect<bool>(labelNameProblem("_x9") === null).toBe(true);
    expect<bool>(labelNameProblem("") !== null).toBe(true);
    expect<bool>(labelNameProblem("9a") !== null).toBe(true);
    expect<bool>(labelNameProblem("a-b") !== null).toBe(true);
    expect<bool>(labelNameProblem("__name") !== null).toBe(true);
    expect<bool>(labelNameProblem("x".repeat(65)) !== null).toBe(true);
  });

  it("names a duplicate, an unknown label, a reserved name and a bad limit", () => {
    expect<string | null>(new Labels(["a", "a"], "d").problem).toBe('label "a" appears twice');
    expect<string | null>(new Labels(["a"], "d").constant("a", "x").problem).toBe(
      'label "a" appears twice',
    );
    expect<string | null>(new Labels(["a"], "d").allow("b", ["x"]).problem).toBe(
      'no label named "b"',
    );
    expect<string | null>(new Labels(["reason"], "d").problem).toBe(
      'label "reason" is reserved for the dropped-values counter',
    );
    expect<string | null>(new Labels(["a"], "d").limit("a", 0).problem).toBe(
      'the limit of label "a" must be 1..10000',
    );
    expect<string | null>(new Labels(["a", "b"], "d").problem).toBeNull();
  });

  it("refuses limits whose product cannot be told apart in one key", () => {
    const names = new Array<string>();
    for (let i = 0; i < 6; i++) names.push("l" + i.toString());
    const labels = new Labels(names, "d");
    expect<string | null>(labels.problem).toBeNull();
    for (let i = 0; i < 6; i++) labels.limit(names[i], 10000);
    expect<bool>(labels.problem !== null).toBe(true);
  });
});

describe("guards", () => {
  it("turns values outside an allow-list into other and counts them", () => {
    const labels = new Labels(["method"], "d");
    labels.allow("method", ["GET", "POST"]);
    expect<string>(labels.set(0, "GET").current(0)).toBe("GET");
    expect<string>(labels.set(0, "BREW").current(0)).toBe("other");
    expect<string>(labels.set(0, "get").current(0)).toBe("other");
    expect<i64>(labels.droppedCount(0, Dropped.NotAllowed)).toBe(2);
    expect<i64>(labels.droppedCount(0, Dropped.OverLimit)).toBe(0);
    expect<i32>(labels.distinct(0)).toBe(3);
  });

  it("keeps the first values up to the limit, then other", () => {
    const labels = new Labels(["path"], "d");
    labels.limit("path", 2);
    expect<string>(labels.set(0, "/a").current(0)).toBe("/a");
    expect<string>(labels.set(0, "/b").current(0)).toBe("/b");
    expect<string>(labels.set(0, "/c").current(0)).toBe("other");
    expect<string>(labels.set(0, "/a").current(0)).toBe("/a");
    expect<i64>(labels.droppedCount(0, Dropped.OverLimit)).toBe(1);
    expect<i32>(labels.distinct(0)).toBe(3);
  });

  it("bounds distinct values under a flood of new ones", () => {
    const labels = new Labels(["host"], "d");
    labels.limit("host", 10);
    for (let i = 0; i < 5000; i++) labels.set(0, "h" + i.toString());
    expect<i32>(labels.distinct(0)).toBe(11);
    expect<i64>(labels.droppedCount(0, Dropped.OverLimit)).toBe(4990);
  });

  it("lets numbers and their text share one slot", () => {
    const labels = new Labels(["code"], "d");
    labels.allow("code", ["200", "404"]);
    expect<string>(labels.setNumber(0, 404).current(0)).toBe("404");
    expect<string>(labels.setNumber(0, 503).current(0)).toBe("other");
    expect<string>(labels.setNumber(0, 503).current(0)).toBe("other");
    expect<string>(labels.set(0, "404").current(0)).toBe("404");
    expect<i64>(labels.droppedCount(0, Dropped.NotAllowed)).toBe(2);
  });

  it("gives values that encode alike one slot", () => {
    const labels = new Labels(["v"], "d");
    labels.set(0, "a b");
    labels.set(0, "a;b");
    expect<i32>(labels.distinct(0)).toBe(2);
    expect<string>(labels.current(0)).toBe("a_b");
  });
});

describe("keys", () => {
  it("differ for every tuple and repeat for the same tuple", () => {
    const labels = new Labels(["a", "b"], "d");
    labels.limit("a", 3).limit("b", 3);
    const seen = new Set<u64>();
    const values = ["x", "y", "z"];
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        labels.set(0, values[i]).set(1, values[j]);
        seen.add(labels.key());
      }
    }
    expect<i32>(seen.size).toBe(9);
    labels.set(0, "y").set(1, "z");
    const again = labels.key();
    labels.set(0, "x").set(1, "x");
    labels.set(0, "y").set(1, "z");
    expect<u64>(labels.key()).toBe(again);
  });

  it("stay distinct when an allow-list is longer than the limit", () => {
    const labels = new Labels(["a", "b"], "d");
    labels.limit("a", 1);
    labels.allow("a", ["p", "q", "r"]);
    const seen = new Set<u64>();
    const values = ["p", "q", "r", "s"];
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 2; j++) {
        labels.set(0, values[i]).set(1, j == 0 ? "m" : "n");
        seen.add(labels.key());
      }
    }
    expect<i32>(seen.size).toBe(8);
  });

  it("lists stats_tags for every label and the dropped counter's", () => {
    const labels = new Labels(["code"], "d");
    labels.constant("service", "x");
    const tags = labels.statsTags();
    expect<i32>(tags.length).toBe(4);
    expect<string>(tags[0][0]).toBe("code");
    expect<string>(tags[1][0]).toBe("service");
    expect<string>(tags[2][1]).toBe("(;label=([^;]*))");
  });
});

describe("edges", () => {
  it("takes label names of 64 characters and every letter, digit and _ at its edges", () => {
    expect<bool>(labelNameProblem("x".repeat(64)) === null).toBe(true);
    const good = ["A", "Z", "a", "z", "_", "a0", "a9", "AZaz_09"];
    for (let i = 0; i < good.length; i++) expect<bool>(labelNameProblem(good[i]) === null).toBe(true);
    const bad = ["@", "[", "`", "{", "0", "9", "a/", "a:", "a@", "a[", "a`", "a{"];
    for (let i = 0; i < bad.length; i++) expect<bool>(labelNameProblem(bad[i]) !== null).toBe(true);
  });

  it("keeps every value character at the edges of its ranges and replaces their neighbours", () => {
    expect<string>(encodeLabelValue("09AZaz_.:/+-")).toBe("09AZaz_.:/+-");
    expect<string>(encodeLabelValue("@[`{ ,*")).toBe("_______");
    expect<string>(encodeLabelValue(";abc")).toBe("_abc");
  });

  it("holds other before any set, and takes other as a value without a drop", () => {
    const labels = new Labels(["a"], "d");
    expect<string>(labels.current(0)).toBe("other");
    expect<string>(labels.encode("m")).toBe("m;a=other");
    labels.allow("a", ["GET"]);
    expect<string>(labels.set(0, "other").current(0)).toBe("other");
    expect<i64>(labels.droppedCount(0, Dropped.NotAllowed)).toBe(0);
  });

  it("takes 16 labels, per request and constant together, and no more", () => {
    const names = new Array<string>();
    for (let i = 0; i < 17; i++) names.push("l" + i.toString());
    // Sixteen with the default limits are refused for their key space, not their number.
    expect<string | null>(new Labels(names.slice(0, 16), "d").problem).toBe(
      "the labels' limits multiply to more series than can be counted",
    );
    expect<string | null>(new Labels(names, "d").problem).toBe("at most 16 labels");
    const constants = new Labels([], "d");
    for (let i = 0; i < 16; i++) constants.constant(names[i], "x");
    expect<string | null>(constants.problem).toBeNull();
    constants.constant(names[16], "x");
    expect<string | null>(constants.problem).toBe("at most 16 labels");
  });

  it("takes limits of 1 and 10000, not 10001", () => {
    expect<string | null>(new Labels(["a"], "d").limit("a", 1).problem).toBeNull();
    expect<string | null>(new Labels(["a"], "d").limit("a", 10000).problem).toBeNull();
    expect<string | null>(new Labels(["a"], "d").limit("a", 10001).problem).toBe(
      'the limit of label "a" must be 1..10000',
    );
  });

  it("checks the key space when made, on allow and on limit, up to exactly 9.2e18", () => {
    const names = new Array<string>();
    for (let i = 0; i < 10; i++) names.push("l" + i.toString());
    // 101 values each by default: 101^9 fits, 101^10 does not.
    expect<string | null>(new Labels(names.slice(0, 9), "d").problem).toBeNull();
    const TOO_MANY = "the labels' limits multiply to more series than can be counted";
    expect<string | null>(new Labels(names, "d").problem).toBe(TOO_MANY);
    const values = new Array<string>();
    for (let i = 0; i < 1000; i++) values.push("v" + i.toString());
    expect<string | null>(new Labels(names.slice(0, 9), "d").allow("l0", values).problem).toBe(TOO_MANY);
    // 10000^4 * 920 is 9.2e18 exactly: the most that is taken.
    const five = new Labels(names.slice(0, 5), "d");
    for (let i = 0; i < 4; i++) five.limit(names[i], 9999);
    five.limit(names[4], 919);
    expect<string | null>(five.problem).toBeNull();
    five.limit(names[4], 920);
    expect<string | null>(five.problem).toBe(TOO_MANY);
  });

  it("tells apart tuples that use a label's whole default range and other", () => {
    const labels = new Labels(["a", "b"], "d");
    // b takes other and its 100 values (indices 0 to 100), a other and one value.
    const seen = new Set<u64>();
    for (let i = 0; i < 2; i++) {
      labels.set(0, i == 0 ? "other" : "x");
      labels.set(1, "other");
      seen.add(labels.key());
      for (let j = 0; j < 100; j++) {
        labels.set(1, "v" + j.toString());
        seen.add(labels.key());
      }
    }
    expect<i32>(labels.distinct(1)).toBe(101);
    expect<i32>(seen.size).toBe(202);
  });

  it("tells apart every tuple of kept values and other under a limit", () => {
    const labels = new Labels(["a", "b"], "d");
    labels.limit("a", 2).limit("b", 2);
    const values = ["x", "y", "z"];
    const seen = new Set<u64>();
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        labels.set(0, values[i]).set(1, values[j]);
        seen.add(labels.key());
      }
    }
    expect<i32>(seen.size).toBe(9);
  });

  it("counts each refused number again, by its reason, on any label", () => {
    const labels = new Labels(["code", "status"], "d");
    labels.limit("status", 1);
    labels.allow("code", ["200"]);
    labels.setNumber(1, 200).setNumber(1, 404).setNumber(1, 404);
    expect<string>(labels.current(1)).toBe("other");
    expect<i64>(labels.droppedCount(1, Dropped.OverLimit)).toBe(2);
    expect<i64>(labels.droppedCount(1, Dropped.NotAllowed)).toBe(0);
    labels.setNumber(0, 503).setNumber(0, 503);
    expect<i64>(labels.droppedCount(0, Dropped.NotAllowed)).toBe(2);
    expect<i64>(labels.droppedCount(0, Dropped.OverLimit)).toBe(0);
    expect<i64>(labels.droppedCount(1, Dropped.OverLimit)).toBe(2);
    labels.setNumber(1, 200);
    expect<string>(labels.current(1)).toBe("200");
    // Refused by an allow-list on a label after the first.
    const second = new Labels(["a", "code"], "d");
    second.allow("code", ["200"]);
    second.setNumber(1, 503).setNumber(1, 503);
    expect<i64>(second.droppedCount(1, Dropped.NotAllowed)).toBe(2);
  });
});

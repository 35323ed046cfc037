// How the client parses response headers the test host sends: Envoy writes response header
// values unchecked, so a value holding CR LF arrives as more header lines.

import { describe, expect, it } from "vitest";
import { onTheWire } from "../../src/testing/exchange.ts";
import { HeaderMap } from "../../src/testing/headers.ts";

describe("onTheWire", () => {
  it("splits a value with line breaks into the header lines a client reads", () => {
    const sent = new HeaderMap([
      [":status", "200"],
      ["x-a", "first\r\nx-injected:  one \nbare line\n: no name\nx-b:two"],
      ["x-c", "kept"],
    ]);
    expect(onTheWire(sent).pairs()).toEqual([
      [":status", "200"],
      ["x-a", "first"],
      ["x-injected", "one"],
      ["x-b", "two"],
      ["x-c", "kept"],
    ]);
  });

  it("hands back a copy of headers without line breaks", () => {
    const sent = new HeaderMap([["x-a", "1"]]);
    const got = onTheWire(sent);
    expect(got).not.toBe(sent);
    expect(got.pairs()).toEqual([["x-a", "1"]]);
  });
});

// The headers of a local reply as the test host's connection manager builds them, on their own
// (the conformance scenarios compare local replies with real Envoy through a module).

import { describe, expect, it } from "vitest";
import { localReplyHeaders } from "../../src/testing/contexts.ts";

const body = (s: string) => new TextEncoder().encode(s);

describe("localReplyHeaders", () => {
  it("puts :status first, then the filter's headers, then a body's length and text/plain", () => {
    expect(localReplyHeaders(403, [["x-why", "no"]], body("denied")).pairs()).toEqual([
      [":status", "403"],
      ["x-why", "no"],
      ["content-length", "6"],
      ["content-type", "text/plain"],
    ]);
  });

  it("keeps the filter's content-type, and sets the length over the filter's", () => {
    const map = localReplyHeaders(
      200,
      [
        ["content-type", "application/json"],
        ["content-length", "99"],
      ],
      body("{}"),
    );
    expect(map.pairs()).toEqual([
      [":status", "200"],
      ["content-type", "application/json"],
      ["content-length", "2"],
    ]);
  });

  it("has no content-type without a body, not even the filter's", () => {
    expect(
      localReplyHeaders(
        204,
        [
          ["content-type", "text/html"],
          ["x-a", "1"],
        ],
        new Uint8Array(0),
      ).pairs(),
    ).toEqual([
      [":status", "204"],
      ["x-a", "1"],
    ]);
  });
});

// Header values as bytes: the test host keeps a value's exact bytes (a raw latin-1 0xE9 is not
// UTF-8) from the client or the filter to the upstream and the client, and takes and reports
// bytes at its API.

import { describe, expect, it } from "vitest";
import { createHost, HeaderMap } from "../../src/testing/index.ts";
import { byteString, decodePairs, encodePairs, utf8 } from "../../src/testing/wire.ts";
import { buildTestModule } from "../modules/build.ts";

const RAW = Uint8Array.of(0x61, 0xe9, 0x62); // "a", a lone latin-1 é, "b"

describe("byte strings", () => {
  it("keep bytes that are not UTF-8 through a round trip", () => {
    expect([...utf8(byteString(RAW))]).toEqual([...RAW]);
  });

  it("decode valid UTF-8 as text, next to raw bytes", () => {
    const mixed = Uint8Array.of(0xc3, 0xa9, 0xe9, 0xf0, 0x9f, 0x99, 0x82, 0xff);
    const s = byteString(mixed);
    expect(s.startsWith("é")).toBe(true);
    expect(s.includes("🙂")).toBe(true);
    expect([...utf8(s)]).toEqual([...mixed]);
  });

  it("leave text, surrogate pairs included, as it is", () => {
    expect(byteString(utf8("héllo 🙂"))).toBe("héllo 🙂");
    expect([...utf8("🙂")]).toEqual([0xf0, 0x9f, 0x99, 0x82]);
  });

  it("go through the pairs format byte for byte", () => {
    const pairs = decodePairs(encodePairs([["x-raw", byteString(RAW)]]));
    expect([...utf8(pairs?.[0]?.[1] ?? "")]).toEqual([...RAW]);
  });

  it("count one byte per raw byte in a map's byte size", () => {
    const map = new HeaderMap();
    map.add("x", byteString(RAW));
    expect(map.byteSize()).toBe(1 + 3);
    expect([...(map.getBytes("x") ?? [])]).toEqual([...RAW]);
  });
});

describe("the host's API takes and reports bytes", () => {
  it("a Uint8Array header value reaches the filter and the upstream as those bytes", async () => {
    const host = await createHost({ module: await buildTestModule("edges") });
    const res = await host.request({
      path: "/edge/norm",
      headers: [["x-raw", RAW]],
    });
    expect([...(res.upstream?.headerMap.getBytes("x-raw") ?? [])]).toEqual([...RAW]);
    // The probe reports the request map it saw as hex pairs.
    const seen = decodePairs(Buffer.from(res.headers["x-seen-request"] ?? "", "hex"));
    const value = seen?.find(([k]) => k === "x-raw")?.[1] ?? "";
    expect([...utf8(value)]).toEqual([...RAW]);
  });

  it("a Uint8Array value from the upstream reaches the client as those bytes", async () => {
    const host = await createHost({
      module: await buildTestModule("edges"),
      upstream: () => ({ status: 200, headers: [["x-up", RAW]], body: "ok" }),
    });
    const res = await host.request({ path: "/edge/up" });
    expect([...(res.headerMap.getBytes("x-up") ?? [])]).toEqual([...RAW]);
  });
});

// Trace context and access-log formatting of the telemetry filter, as pure functions.
import { isoTimestamp, JsonLine } from "../accesslog";
import {
  b3Sampling,
  formatTraceparent,
  parseB3Multi,
  parseB3Single,
  parseTraceparent,
  randomHex,
  uuid4,
} from "../trace";

const TP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

describe("traceparent", () => {
  it("accepts a version 00 header and reads its ids and sampled flag", () => {
    const c = parseTraceparent(TP)!;
    expect<string>(c.traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
    expect<string>(c.parentId).toBe("00f067aa0ba902b7");
    expect<bool>(c.sampled).toBe(true);
    expect<bool>(parseTraceparent(TP.replace("-01", "-00"))!.sampled).toBe(false);
    expect<bool>(parseTraceparent(TP.replace("-01", "-03"))!.sampled).toBe(true);
  });

  it("accepts a later version with more fields after a dash", () => {
    expect<bool>(parseTraceparent("cc" + TP.substring(2) + "-later") !== null).toBe(true);
    expect<bool>(parseTraceparent("cc" + TP.substring(2) + "x") === null).toBe(true);
  });

  it("refuses what the W3C rules refuse", () => {
    const bad = [
      "",
      TP.toUpperCase(),
      "ff" + TP.substring(2),
      TP + "-",
      TP.substring(0, 54),
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
      "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
      "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x",
    ];
    for (let i = 0; i < bad.length; i++) {
      expect<bool>(parseTraceparent(bad[i]) === null).toBe(true, bad[i]);
    }
  });

  it("formats version 00 with the sampled flag", () => {
    expect<string>(formatTraceparent("a".repeat(32), "b".repeat(16), true)).toBe(
      "00-" + "a".repeat(32) + "-" + "b".repeat(16) + "-01",
    );
    expect<string>(formatTraceparent("a".repeat(32), "b".repeat(16), false).substring(53)).toBe("00");
  });
});

describe("B3", () => {
  it("reads single headers with 128- and 64-bit trace ids", () => {
    const c = parseB3Single("80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90", false)!;
    expect<string>(c.traceId).toBe("80f198ee56343ba864fe8b2a57d3eff7");
    expect<bool>(c.sampled).toBe(true);
    const short = parseB3Single("64fe8b2a57d3eff7-e457b5a2e4d86bd1", true)!;
    expect<string>(short.traceId).toBe("000000000000000064fe8b2a57d3eff7");
    expect<bool>(short.sampled).toBe(true);
    expect<bool>(parseB3Single("64fe8b2a57d3eff7-e457b5a2e4d86bd1-d", false)!.sampled).toBe(true);
    expect<bool>(parseB3Single("64fe8b2a57d3eff7-e457b5a2e4d86bd1-0", true)!.sampled).toBe(false);
  });

  it("refuses malformed single headers and sampling-only ones", () => {
    const bad = ["1", "0", "d", "zz-e457b5a2e4d86bd1", "64fe8b2a57d3eff7-e457", "64fe8b2a57d3eff7-e457b5a2e4d86bd1-true",
      "64fe8b2a57d3eff7-e457b5a2e4d86bd1-1-x", "0000000000000000-e457b5a2e4d86bd1", "a-b-c-d-e"];
    for (let i = 0; i < bad.length; i++) expect<bool>(parseB3Single(bad[i], true) === null).toBe(true, bad[i]);
  });

  it("reads multi-header B3, the debug flag forcing sampling", () => {
    const c = parseB3Multi("64fe8b2a57d3eff7", "e457b5a2e4d86bd1", "0", "1", false)!;
    expect<bool>(c.sampled).toBe(true);
    expect<bool>(parseB3Multi("64fe8b2a57d3eff7", "e457b5a2e4d86bd1", "false", null, true)!.sampled).toBe(false);
    expect<bool>(parseB3Multi("64fe8b2a57d3eff7", null, "1", null, true) === null).toBe(true);
    expect<bool>(parseB3Multi("64fe8b2a57d3eff7", "e457b5a2e4d86bd1", "yes", null, true) === null).toBe(true);
    expect<i32>(b3Sampling(null)).toBe(-1);
  });
});

describe("ids", () => {
  it("makes lower-case hex and version 4 UUIDs", () => {
    for (let i = 0; i < 200; i++) {
      const h = randomHex(8);
      expect<i32>(h.length).toBe(16);
      const u = uuid4();
      expect<i32>(u.length).toBe(36);
      expect<string>(u.charAt(14)).toBe("4");
      expect<bool>("89ab".includes(u.charAt(19))).toBe(true);
      expect<string>(u.charAt(8) + u.charAt(13) + u.charAt(18) + u.charAt(23)).toBe("----");
    }
  });
});

describe("access-log formatting", () => {
  it("writes RFC 3339 UTC timestamps with milliseconds", () => {
    expect<string>(isoTimestamp(0)).toBe("1970-01-01T00:00:00.000Z");
    expect<string>(isoTimestamp(951782400123)).toBe("2000-02-29T00:00:00.123Z");
    expect<string>(isoTimestamp(1798761599999)).toBe("2026-12-31T23:59:59.999Z");
  });

  it("writes members in order, null for absent values, escaped strings", () => {
    const line = new JsonLine()
      .str("a", "x\"y\n")
      .str("b", null)
      .int("c", 7)
      .int("d", -1)
      .millis("e", 1500000)
      .millis("f", 2000000)
      .headers("h", ["k", "m"], [null, "v"])
      .close();
    expect<string>(line).toBe('{"a":"x\\"y\\n","b":null,"c":7,"d":null,"e":1.5,"f":2,"h":{"k":null,"m":"v"}}');
  });

  it("gives the same line as UTF-8, and goes on after either close", () => {
    const line = new JsonLine().str("path", "/ü\uD83D\uDE00").int("status", 200);
    const bytes = line.closeUtf8();
    expect<string>(String.UTF8.decode(bytes)).toBe('{"path":"/ü\uD83D\uDE00","status":200}');
    expect<string>(line.close()).toBe('{"path":"/ü\uD83D\uDE00","status":200}');
    expect<string>(line.int("more", 1).close()).toBe('{"path":"/ü\uD83D\uDE00","status":200,"more":1}');
  });
});

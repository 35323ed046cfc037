// Header reads and the host calls they cost (test/modules/sdk, "/reads/*" paths): a callback
// that reads a map more than once gets it whole with one call; from the next callback on such
// a map is read whole at its first read, and a callback that reads it once goes back to one
// value per read; the filter's own writes are applied to the copy (header-edits.test.ts).
// The answers are the same either way (the conformance suite holds them to real Envoy).
import { describe, expect, it } from "vitest";
import { createHost } from "../../src/testing/index.ts";
import { buildTestModule } from "../modules/build.ts";

const wasm = await buildTestModule("sdk");

/** Host calls of `names` made while `run` ran. */
function callsDuring(
  host: Awaited<ReturnType<typeof createHost>>,
  names: string[],
  run: () => void,
) {
  const before = new Map(host.coverage.hostCalls);
  run();
  const out: Record<string, number> = {};
  for (const n of names) out[n] = (host.coverage.hostCalls.get(n) ?? 0) - (before.get(n) ?? 0);
  return out;
}

const CALLS = ["proxy_get_header_map_value", "proxy_get_header_map_pairs"];

describe("header reads", () => {
  it("reads a map read several times per callback whole, at its first read from the next request on", async () => {
    const host = await createHost({ module: wasm, rootId: "" });
    const several = () => {
      const s = host.stream();
      s.requestHeaders({
        ":method": "GET",
        ":path": "/reads/several",
        ":authority": "a",
        "x-read-a": "1",
        "x-read-b": "2",
      });
      s.responseHeaders({ ":status": "200" }, { endOfStream: true });
      s.complete();
      return s.downstream.headers?.get("x-probe-reads");
    };
    const one = () => {
      const s = host.stream();
      s.requestHeaders({ ":method": "GET", ":path": "/other", ":authority": "a" });
      s.responseHeaders({ ":status": "200" }, { endOfStream: true });
      s.complete();
    };
    let note: string | undefined;
    // First request: the path (one value), then the whole map at the second read; the read
    // after the write is answered from that copy, the write applied to it.
    expect(
      callsDuring(host, CALLS, () => {
        note = several();
      }),
    ).toEqual({
      proxy_get_header_map_value: 1,
      proxy_get_header_map_pairs: 1,
    });
    expect(note).toBe("1,2,no,3");
    // Next request: every first read gets the whole map.
    expect(
      callsDuring(host, CALLS, () => {
        note = several();
      }),
    ).toEqual({
      proxy_get_header_map_value: 0,
      proxy_get_header_map_pairs: 1,
    });
    expect(note).toBe("1,2,no,3");
    // Requests that read only the path: whole for sixteen requests (each one in a row that
    // read one value counts), then one value per read again from the seventeenth.
    for (let i = 1; i <= 16; i++) {
      expect(callsDuring(host, CALLS, one)).toEqual({
        proxy_get_header_map_value: 0,
        proxy_get_header_map_pairs: 1,
      });
    }
    expect(callsDuring(host, CALLS, one)).toEqual({
      proxy_get_header_map_value: 1,
      proxy_get_header_map_pairs: 0,
    });
    host.close();
  });
});

describe("a callback's one read in the bytes form", () => {
  it("asks the host for that value alone", async () => {
    const host = await createHost({ module: wasm, rootId: "" });
    const s = host.stream();
    s.requestHeaders({ ":method": "GET", ":path": "/reads/response-bytes", ":authority": "a" });
    const calls = callsDuring(host, CALLS, () => {
      s.responseHeaders({ ":status": "200", "x-resp": "v1" }, { endOfStream: true });
    });
    s.complete();
    expect(s.downstream.headers?.get("x-probe-first")).toBe(Buffer.from("v1").toString("hex"));
    expect(calls).toEqual({ proxy_get_header_map_value: 1, proxy_get_header_map_pairs: 0 });
    host.close();
  });
});

describe("header reads into a caller's buffer", () => {
  /** What intoReport (test/modules/sdk) must say for `names` in a map holding `headers`. */
  function expected(headers: Record<string, string>, names: string[]): string {
    const parts: string[] = [];
    for (const name of names) {
      const value = headers[name.toLowerCase()];
      const bytes = value === undefined ? undefined : Buffer.from(value, "utf8");
      for (const room of [3, 0, 64]) {
        // The whole buffer: the value's bytes that fit, then zeros.
        const buffer = Buffer.alloc(room);
        bytes?.copy(buffer, 0, 0, room);
        parts.push(`${bytes === undefined ? -1 : bytes.length}:${buffer.toString("hex")}`);
      }
      parts.push(bytes === undefined ? "not=null" : `has=${bytes.toString("hex")}`);
    }
    return parts.join(";");
  }

  it("copies a value's exact bytes up to the buffer's size and says its whole length, from the copy and from the host", async () => {
    const host = await createHost({ module: wasm, rootId: "" });
    const names = ["x-short", "X-Long", "x-empty", "x-utf8", "x-absent"];
    const common = {
      "x-short": "ab",
      "x-long": "a value longer than three bytes",
      "x-empty": "",
      "x-utf8": "grüße ☃",
    };
    const request = {
      ":method": "GET",
      ":path": "/reads/into",
      ":authority": "a",
      "x-into-names": names.join(","),
      ...common,
    };
    const s = host.stream();
    s.requestHeaders(request);
    // The response's first read goes to the host alone (one value), the rest to the copy.
    const before = host.coverage.hostCalls.get("proxy_get_header_map_value") ?? 0;
    s.responseHeaders({ ":status": "200", ...common }, { endOfStream: true });
    const single = (host.coverage.hostCalls.get("proxy_get_header_map_value") ?? 0) - before;
    s.complete();
    expect(s.downstream.headers?.get("x-probe-into")).toBe(expected(request, names));
    expect(s.downstream.headers?.get("x-probe-into-response")).toBe(expected(common, names));
    expect(single).toBe(1);
    host.close();
  });

  it("copies a value of every length from 0 to 40 exactly, and nothing past it, from the host and from the copy", async () => {
    // Short copies take separate paths by length (1-3, 4-7, 8-16 bytes, longer): each length
    // is read, and the first read of each response (from the host alone) is of each path too.
    const text = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ";
    const lengths = Object.fromEntries(
      Array.from({ length: 41 }, (_, n) => [`x-len-${n}`, text.slice(0, n)]),
    );
    const host = await createHost({ module: wasm, rootId: "" });
    for (const first of [1, 2, 3, 4, 5, 7, 8, 12, 16, 17, 40]) {
      const names = [`x-len-${first}`, ...Object.keys(lengths)];
      const request = {
        ":method": "GET",
        ":path": "/reads/into",
        ":authority": "a",
        "x-into-names": names.join(","),
        ...lengths,
      };
      const s = host.stream();
      s.requestHeaders(request);
      s.responseHeaders({ ":status": "200", ...lengths }, { endOfStream: true });
      s.complete();
      expect(s.downstream.headers?.get("x-probe-into"), `first ${first}`).toBe(
        expected(request, names),
      );
      expect(s.downstream.headers?.get("x-probe-into-response"), `first ${first}`).toBe(
        expected(lengths, names),
      );
    }
    host.close();
  });

  it("answers the same from the name index of a map of 16 pairs or more read more than four times", async () => {
    // Twenty reads of one copy of a map of 26 pairs: the fifth on are answered by the index
    // (INDEX_FROM_READS, INDEX_FROM_PAIRS in assembly/host/headers.ts).
    const host = await createHost({ module: wasm, rootId: "" });
    // An absent name first: the response's first read asks the host alone and finds nothing.
    const names = ["x-absent", "x-short", "X-Long", "x-empty", "x-utf8", "x-pad-15", "X-PAD-0"];
    const pad = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`x-pad-${i}`, `p${i}`]));
    const common = {
      "x-short": "ab",
      "x-long": "a value longer than three bytes",
      "x-empty": "",
      "x-utf8": "grüße ☃",
      ...pad,
    };
    const request = {
      ":method": "GET",
      ":path": "/reads/into",
      ":authority": "a",
      "x-into-names": names.join(","),
      ...common,
    };
    const s = host.stream();
    s.requestHeaders(request);
    s.responseHeaders({ ":status": "200", ...common }, { endOfStream: true });
    s.complete();
    expect(s.downstream.headers?.get("x-probe-into")).toBe(expected(request, names));
    expect(s.downstream.headers?.get("x-probe-into-response")).toBe(expected(common, names));
    host.close();
  });
});

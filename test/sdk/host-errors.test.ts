// What the SDK's host wrappers give back when Envoy refuses a call. The test host's
// failHostCalls makes a chosen host call answer a chosen status instead of running; the
// host-errors module calls one group of wrappers per path and answers with what each
// returned. Each case is checked against the same request with nothing failing, so an
// assertion tells the failure apart from the normal answer. Also here: what the dispatcher
// does around callbacks (the effective context in root and callout callbacks, timers due on
// a tick, the body length cached for a body callback).

import { beforeAll, describe, expect, it } from "vitest";
import {
  createHost,
  type HostCallFailure,
  type HostOptions,
  type RequestInit,
  type TestStream,
} from "../../src/testing/index.ts";
import { WA, type WasmModule } from "../../src/testing/wasm-api.ts";
import { buildTestModule } from "../modules/build.ts";

let module: WasmModule;

beforeAll(async () => {
  const path = await buildTestModule("host-errors");
  const { readFile } = await import("node:fs/promises");
  module = await WA.compile(await readFile(path));
}, 300_000);

const HEADERS = "proxy_on_request_headers";
const BODY = "proxy_on_request_body";

function options(
  failHostCalls: HostCallFailure[] = [],
  extra: Partial<HostOptions> = {},
): HostOptions {
  return {
    module,
    failHostCalls,
    clusters: { callout: () => ({ status: 200, body: "ok" }) },
    grpcClusters: { grpc: () => undefined },
    foreignFunctions: { probe_echo: (args) => args },
    ...extra,
  };
}

/** The module's "name=value" lines, after one request with `fail` armed. */
async function probe(
  path: string,
  fail: HostCallFailure[] = [],
  init: RequestInit = {},
  extra: Partial<HostOptions> = {},
): Promise<Record<string, string>> {
  const host = await createHost(options(fail, extra));
  const res = await host.request({ path, ...init });
  expect(res.trap).toBeNull();
  expect(res.status).toBe(200);
  return Object.fromEntries(
    res.body
      .split("\n")
      .filter((l) => l.includes("="))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
}

describe("header maps when the host refuses", () => {
  const init = { headers: { "x-a": "1", "x-b": "2" } };

  it("reads and writes normally with nothing failing", async () => {
    const r = await probe("/headers", [], init);
    expect(r).toMatchObject({
      "get-a": "1",
      "get-b": "2",
      "bytes-a": "set",
      "has-b": "yes",
      "all-a": "1",
    });
    expect(Number(r.pairs)).toBeGreaterThan(4);
    expect(r["pairs-bytes"]).toBe(r.pairs);
    expect(r).toMatchObject({
      "first-pairs-bytes": r.pairs,
      "first-block": "set",
      "first-all-a": "1",
      "first-pairs": r.pairs,
    });
    expect(Number(r.block)).toBeGreaterThan(20);
    expect(Number(r.size)).toBeGreaterThan(10);
    expect(r).toMatchObject({
      set: "0",
      add: "0",
      remove: "0",
      "set-pairs": "0",
      "after-remove": "null",
    });
  });

  it("a refused single read is an absent header; the whole-map reads still answer", async () => {
    // skip 1: the module's first read (":path") picks the probe.
    const r = await probe(
      "/headers",
      [{ call: "proxy_get_header_map_value", status: "NotFound", skip: 1 }],
      init,
    );
    expect(r).toMatchObject({
      "get-a": "null",
      "get-b": "2",
      "bytes-a": "set",
      "has-b": "yes",
      "all-a": "1",
    });
  });

  it("a refused whole-map read gives empty lists and falls back to single reads", async () => {
    const r = await probe(
      "/headers",
      [{ call: "proxy_get_header_map_pairs", status: "NotFound" }],
      init,
    );
    expect(r).toMatchObject({ "get-a": "1", "get-b": "2", "bytes-a": "set", "has-b": "yes" });
    expect(r).toMatchObject({ "all-a": "0", pairs: "0", "pairs-bytes": "0", block: "0" });
  });

  it("a refused size is -1", async () => {
    const r = await probe(
      "/headers",
      [{ call: "proxy_get_header_map_size", status: "NotFound" }],
      init,
    );
    expect(r.size).toBe("-1");
  });

  it("refused writes return the host's status and change nothing", async () => {
    const fail: HostCallFailure[] = [
      "proxy_replace_header_map_value",
      "proxy_add_header_map_value",
      "proxy_remove_header_map_value",
      "proxy_set_header_map_pairs",
    ].map((call) => ({ call, status: "BadArgument" }));
    const r = await probe("/headers", fail, init);
    expect(r).toMatchObject({
      set: "2",
      add: "2",
      remove: "2",
      "set-pairs": "2",
      "after-remove": "1",
    });
  });
});

describe("properties when the host refuses", () => {
  it("reads the attributes normally with nothing failing", async () => {
    const r = await probe("/properties");
    expect(r).toMatchObject({
      raw: "11",
      string: "/properties",
      bool: "false",
      set: "0",
      "read-back": "v",
      "int-default": "-1",
      "bool-default": "false",
    });
    expect(Number(r.int)).toBeGreaterThan(0);
  });

  it("a refused read is null, and the typed reads give their fallbacks", async () => {
    const r = await probe("/properties", [
      { call: "proxy_get_property", status: "NotFound", during: HEADERS },
    ]);
    expect(r).toMatchObject({
      raw: "null",
      string: "null",
      int: "-7",
      bool: "true",
      set: "0",
      "read-back": "null",
      "source-port": "-1",
      "connection-id": "-1",
      "connection-mtls": "false",
      "response-code": "-1",
    });
  });

  it("a value of the wrong size gives the typed reads' fallbacks", async () => {
    const r = await probe(
      "/properties",
      [],
      {},
      { properties: { "source.port": "abc", "connection.mtls": "" } },
    );
    expect(r).toMatchObject({ int: "-7", bool: "true" });
  });

  it("a refused write returns the host's status and sets nothing", async () => {
    const r = await probe("/properties", [{ call: "proxy_set_property", status: "BadArgument" }]);
    expect(r).toMatchObject({ set: "2", "read-back": "null" });
  });

  // A value over 64 KiB does not fit the landing block: the host's copy is a heap block of its
  // own, which each typed read must free. Leaked, sixteen reads a request grow memory by 1.6 MB.
  it.each([
    ["string", "100000"],
    ["int", "-7"],
    ["bool", "true"],
  ])("a %s read of a value past the landing block frees the host's copy", async (kind, value) => {
    const host = await createHost(
      options([], { properties: { "probe.large": "v".repeat(100_000) } }),
    );
    const read = async () => {
      const res = await host.request({ path: "/properties/large", headers: { "x-read": kind } });
      expect(res.body).toBe(`${kind}=${value}\n`);
    };
    await read();
    await read();
    const warm = host.memoryBytes();
    for (let i = 0; i < 4; i++) await read();
    expect(host.memoryBytes()).toBe(warm);
  });

  // A string takes two bytes per UTF-8 byte at most; a value over 32 KB is checked against the
  // memory limit for twice its size before it is decoded.
  it("stops the VM, naming the read, when decoding a large value would pass the memory limit", async () => {
    const host = await createHost(
      options([], { properties: { "probe.room": "w".repeat(40_000) } }),
    );
    const res = await host.request({ path: "/properties/room", headers: { "x-room": "60000" } });
    expect(res.trap?.message).toContain("proxy_on_request_headers");
    expect(host.logs("critical").join("\n")).toContain(
      "meshwasm: out of memory: decoding a property value needs 80000 bytes",
    );
  });

  it("decodes a value of 32 KB or less without a memory check", async () => {
    const host = await createHost(
      options([], { properties: { "probe.room": "w".repeat(32_768) } }),
    );
    const res = await host.request({ path: "/properties/room", headers: { "x-room": "1024" } });
    expect(res.trap).toBeNull();
    expect(res.body).toBe("length=32768\n");
  });
});

describe("shared data when the host refuses", () => {
  it("writes, reads and creates normally with nothing failing", async () => {
    const r = await probe("/shared");
    expect(r).toEqual({
      set: "0",
      get: "one",
      cas: "set",
      "absent-cas": "set",
      create: "0",
      missing: "null",
      rewrite: "0",
      "rewrite-again": "0",
      "rewrite-bytes": "0",
      after: "four",
    });
  });

  it("absentCas hands out a new token on every call and frees the host's copy of its probe", async () => {
    const host = await createHost(options());
    const run = async () => {
      const res = await host.request({ path: "/absent-cas" });
      expect(res.body).toBe("repeated=0\n");
    };
    await run();
    await run();
    const warm = host.memoryBytes();
    for (let i = 0; i < 4; i++) await run();
    expect(host.memoryBytes()).toBe(warm);
  });

  it("a refused read is null and gives no CAS token", async () => {
    const r = await probe("/shared", [
      { call: "proxy_get_shared_data", status: "NotFound", during: HEADERS },
    ]);
    expect(r).toMatchObject({ set: "0", get: "null", cas: "0", "absent-cas": "0" });
  });

  it("a CAS mismatch on write is returned and nothing is written", async () => {
    const r = await probe("/shared", [
      { call: "proxy_set_shared_data", status: "CasMismatch", during: HEADERS },
    ]);
    expect(r).toMatchObject({ set: "8", get: "null", create: "8" });
  });
});

describe("addSharedCounter under refused writes", () => {
  const le = (n: bigint) => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigInt64(0, n, true);
    return b;
  };

  it("retries lost writes and ends at the right total", async () => {
    const host = await createHost(options());
    host.setSharedData("probe_counter", le(10n));
    const [rule] = host.failHostCalls([
      { call: "proxy_set_shared_data", status: "CasMismatch", times: 2 },
    ]);
    const res = await host.request({ path: "/counter" });
    expect(res.body).toBe("counter=15\n");
    expect(rule?.failed).toBe(2);
    expect(rule?.matched).toBe(3);
    expect(host.sharedData("probe_counter")).toEqual(le(15n));
  });

  it("gives -1 when every attempt loses, and writes nothing", async () => {
    const host = await createHost(options());
    host.setSharedData("probe_counter", le(10n));
    const [rule] = host.failHostCalls([{ call: "proxy_set_shared_data", status: "CasMismatch" }]);
    const res = await host.request({ path: "/counter" });
    expect(res.body).toBe("counter=-1\n");
    expect(rule?.failed).toBe(8);
    expect(host.sharedData("probe_counter")).toEqual(le(10n));
  });

  it("gives -1 at once when the write fails for another reason", async () => {
    const host = await createHost(options());
    host.setSharedData("probe_counter", le(10n));
    const [rule] = host.failHostCalls([
      { call: "proxy_set_shared_data", status: "InternalFailure" },
    ]);
    const res = await host.request({ path: "/counter" });
    expect(res.body).toBe("counter=-1\n");
    expect(rule?.failed).toBe(1);
  });

  it("creates the key when the read finds nothing", async () => {
    const r = await probe("/counter");
    expect(r.counter).toBe("5");
  });

  it("counts under two keys in turn, each under its own key", async () => {
    const host = await createHost(options());
    const res = await host.request({ path: "/counter/two" });
    expect(res.body).toBe("a=1\nb=10\na-again=3\n");
    expect(host.sharedData("probe_a")).toEqual(le(3n));
    expect(host.sharedData("probe_b")).toEqual(le(10n));
  });

  it("counts under the empty key when it is the VM's first counter", async () => {
    const host = await createHost(options());
    const res = await host.request({ path: "/counter/empty-key" });
    expect(res.body).toBe("empty=3\n");
    expect(host.sharedData("")).toEqual(le(3n));
    expect(host.sharedData("\0")).toBeUndefined();
  });

  it("frees the host's copy of a value past the landing block on every attempt", async () => {
    // 100 KB under the key (not a counter's 8 bytes: read as 0) and every write lost: eight
    // reads a request, each a heap block of the host's.
    const host = await createHost(options());
    host.setSharedData("probe_counter", new Uint8Array(100_000));
    host.failHostCalls([{ call: "proxy_set_shared_data", status: "CasMismatch" }]);
    const run = async () => {
      const res = await host.request({ path: "/counter" });
      expect(res.body).toBe("counter=-1\n");
    };
    await run();
    await run();
    const warm = host.memoryBytes();
    for (let i = 0; i < 4; i++) await run();
    expect(host.memoryBytes()).toBe(warm);
  });
});

describe("shared queues when the host refuses", () => {
  it("registers, resolves, enqueues and dequeues normally with nothing failing", async () => {
    const r = await probe("/queues");
    expect(r).toEqual({
      first: "0/id",
      second: "0/id",
      resolve: "0/same",
      enqueue: "0",
      dequeue: "0/1",
    });
  });

  it("a refused registration has id 0, whatever the last call left behind", async () => {
    const r = await probe("/queues", [
      { call: "proxy_register_shared_queue", status: "BadArgument", skip: 1 },
    ]);
    expect(r).toMatchObject({ first: "0/id", second: "2/0" });
  });

  it("records the chain member that registered a queue, and no owner for a refused one", async () => {
    expect(await probe("/queues/owner")).toEqual({ status: "0", owner: "1" });
    expect(
      await probe("/queues/owner", [
        { call: "proxy_register_shared_queue", status: "BadArgument" },
      ]),
    ).toEqual({ status: "2", owner: "none" });
  });

  it("a refused resolve, enqueue or dequeue returns the status", async () => {
    expect(
      await probe("/queues", [{ call: "proxy_resolve_shared_queue", status: "NotFound" }]),
    ).toMatchObject({
      resolve: "1/0",
    });
    expect(
      await probe("/queues", [{ call: "proxy_enqueue_shared_queue", status: "NotFound" }]),
    ).toMatchObject({
      enqueue: "1",
      dequeue: "7/0",
    });
    expect(
      await probe("/queues", [{ call: "proxy_dequeue_shared_queue", status: "NotFound" }]),
    ).toMatchObject({
      dequeue: "1/0",
    });
  });
});

describe("callouts and gRPC when the host refuses", () => {
  it("dispatches normally with nothing failing, with the trailers and metadata given", async () => {
    const sent: Array<{ message: string; endOfStream: boolean }> = [];
    const host = await createHost(
      options([], {
        grpcClusters: {
          grpc: (call, event) => {
            if (call.stream && event.message) {
              sent.push({
                message: Buffer.from(event.message).toString(),
                endOfStream: event.endOfStream === true,
              });
            }
            return undefined;
          },
        },
      }),
    );
    const res = await host.request({ path: "/callouts" });
    const r = Object.fromEntries(
      res.body
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split("=")),
    );
    expect(r).toMatchObject({
      "http-first": "0/token",
      "http-second": "0/token",
      "grpc-call": "0/token",
    });
    expect(r).toMatchObject({ "grpc-stream": "0/token", "grpc-send": "0", "grpc-close": "0" });
    expect(host.httpCalls.map((c) => c.trailers.get("x-trailer") ?? null)).toEqual([null, "t"]);
    expect(host.grpcCalls.map((c) => c.metadata.get("x-md"))).toEqual(["call", "stream"]);
    expect(r).toMatchObject({ "grpc-send-last": "0" });
    expect(sent).toEqual([
      { message: "m", endOfStream: false },
      { message: "n", endOfStream: true },
    ]);
  });

  it.each<[string, string, string]>([
    ["proxy_http_call", "http-second", "2/0"],
    ["proxy_grpc_call", "grpc-call", "2/0"],
    ["proxy_grpc_stream", "grpc-stream", "2/0"],
  ])(
    "a refused %s has the status and token 0, whatever the last dispatch left behind",
    async (call, name, want) => {
      // skip 1 for the HTTP call: the first one works, so the token cell holds its token.
      const r = await probe("/callouts", [
        { call, status: "BadArgument", skip: call === "proxy_http_call" ? 1 : 0 },
      ]);
      expect(r[name]).toBe(want);
    },
  );

  it("writes an open header batch before each dispatch: the host's map holds it at the call", async () => {
    const seen: Array<string | undefined> = [];
    let stream: TestStream | undefined;
    const atCall = () => {
      seen.push(stream?.requestHeaderMap?.get("x-batch"));
      return undefined;
    };
    const host = await createHost(
      options([], { clusters: { callout: atCall }, grpcClusters: { grpc: atCall } }),
    );
    stream = host.stream();
    stream.requestHeaders({
      ":method": "GET",
      ":path": "/callouts/batch",
      ":authority": "a",
      ":scheme": "http",
    });
    expect(stream.trap).toBeNull();
    expect(seen).toEqual(["http", "grpc-call", "grpc-stream"]);
  });

  it("a refused send, close or cancel returns the status", async () => {
    const r = await probe("/callouts", [
      { call: "proxy_grpc_send", status: "BadArgument" },
      { call: "proxy_grpc_close", status: "NotFound" },
      { call: "proxy_grpc_cancel", status: "InternalFailure" },
    ]);
    expect(r).toMatchObject({ "grpc-send": "2", "grpc-close": "1", "grpc-cancel": "10" });
  });
});

describe("foreign functions when the host refuses", () => {
  it("calls normally with nothing failing", async () => {
    const host = await createHost(options());
    const res = await host.request({ path: "/foreign" });
    const r = Object.fromEntries(
      res.body
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split("=")),
    );
    expect(r.call).toBe("0/ping");
    expect(r["filter-state"]).toBe("0");
    expect(Buffer.from(res.stream.filterState.get("envoy.string") ?? []).toString()).toBe(
      "fs-value",
    );
    expect(r.verify?.startsWith("0/invalid/")).toBe(true);
  });

  /** Length-delimited fields of a flat protobuf message, by number (what the module sent). */
  function fields(bytes: Uint8Array): Record<number, string> {
    const out: Record<number, string> = {};
    for (let i = 0; i < bytes.length; ) {
      const tag = bytes[i++] ?? 0;
      const len = bytes[i++] ?? 0;
      out[tag >> 3] = Buffer.from(bytes.subarray(i, i + len)).toString();
      i += len;
    }
    return out;
  }

  it.each<[string, number[], string]>([
    ["valid (field 1 = 1)", [0x08, 1], "0/valid/"],
    [
      "not valid (field 1 = 0), with the host's reason",
      [0x08, 0, 0x12, 3, 0x77, 0x68, 0x79],
      "0/invalid/why",
    ],
    ["field 1 sent as bytes: not a verdict", [0x0a, 1, 1], "0/invalid/"],
    ["field 2 sent as a number: not a reason", [0x08, 1, 0x10, 5], "0/valid/"],
    ["an unknown field after the verdict", [0x08, 1, 0x1a, 1, 0x41], "0/valid/"],
    ["an unknown number field alone: not a verdict", [0x18, 1], "0/invalid/"],
    ["cut short", [0x08, 1, 0x12, 9, 0x41], "4/invalid/malformed verify_signature result"],
  ])("verifySignature reads the host's answer: %s", async (_name, answer, want) => {
    let args: Record<number, string> = {};
    const r = await probe(
      "/foreign",
      [],
      {},
      {
        foreignFunctions: {
          probe_echo: (a) => a,
          verify_signature: (a) => {
            args = fields(a);
            return new Uint8Array(answer);
          },
        },
      },
    );
    expect(r.verify).toBe(want);
    expect(args).toEqual({ 1: "sha256", 2: "key", 3: "sig", 4: "text" });
  });

  it("a refused call has the status and no result; verifySignature fails closed", async () => {
    const r = await probe("/foreign", [
      { call: "proxy_call_foreign_function", status: "NotFound" },
    ]);
    expect(r).toMatchObject({ call: "1/", verify: "1/invalid/verify_signature unavailable" });
  });
});

describe("the clock held for a chain's pass", () => {
  it("answers one reading from the first read under a hold until the outermost release, and after a stray release the next hold still holds", async () => {
    const host = await createHost(options());
    const clockReads = () => host.coverage.hostCalls.get("proxy_get_current_time_nanoseconds") ?? 0;
    const before = clockReads();
    const res = await host.request({ path: "/time/hold" });
    expect(res.trap).toBeNull();
    expect(res.body).toContain("held=same\nnested=same\ninner-released=same\n");
    // One host read under the nested holds, one each for the two reads after them, one under
    // the hold after the stray release.
    expect(clockReads() - before).toBe(4);
  });
});

describe("clock, log level, metrics and status when the host refuses", () => {
  it("reads them normally with nothing failing", async () => {
    const r = await probe("/time");
    expect(r).toMatchObject({ first: "set", level: "2" });
    expect(BigInt(r.second ?? "0")).toBeGreaterThan(0n);
    expect(await probe("/metrics")).toEqual({ value: "3" });
  });

  it("logs at each level through the host, filling the placeholders, and says which levels are on", async () => {
    const host = await createHost(options([], { logLevel: "trace" }));
    const res = await host.request({ path: "/log" });
    expect(res.body).toBe("enabled=debug,info,warn\n");
    const probeLines = host.logEntries
      .filter((l) => l.message.startsWith("probe: "))
      .map((l) => `${l.level} ${l.message}`);
    expect(probeLines).toEqual([
      "trace probe: trace t",
      "debug probe: debug d e",
      "info probe: info a b c",
      "warn probe: warn",
      "error probe: error",
      "critical probe: critical",
      "warn probe: at w",
      "info probe: leading",
      "info probe: four a b c {}",
      "info probe: one a",
    ]);
    const infoHost = await createHost(options());
    expect((await infoHost.request({ path: "/log" })).body).toBe("enabled=info,warn\n");
  });

  it("builds tagged metric names from name and value pairs", async () => {
    expect(await probe("/metrics/tags")).toEqual({
      pairs: "requests_method=GET_code=200",
      odd: "requests_method=GET",
      none: "requests",
    });
  });

  it("defines a metric with the host once", async () => {
    const host = await createHost(options());
    const [defined] = host.failHostCalls([{ call: "proxy_define_metric", status: 1, times: 0 }]);
    await host.request({ path: "/metrics" });
    await host.request({ path: "/metrics" });
    expect(defined?.matched).toBe(1);
  });

  it("a refused clock reads 0, not the last time read", async () => {
    const r = await probe("/time", [
      { call: "proxy_get_current_time_nanoseconds", status: "InternalFailure", skip: 1 },
    ]);
    expect(r).toMatchObject({ first: "set", second: "0" });
  });

  it("a refused log level logs everything (Trace)", async () => {
    const r = await probe("/time", [{ call: "proxy_get_log_level", status: "InternalFailure" }]);
    expect(r.level).toBe("0");
  });

  it("a refused metric read is 0, not what the last call left behind", async () => {
    expect(await probe("/metrics", [{ call: "proxy_get_metric", status: "NotFound" }])).toEqual({
      value: "0",
    });
  });

  it("a refused metric definition stops the VM with a message naming the metric", async () => {
    const host = await createHost(
      options([{ call: "proxy_define_metric", status: "BadArgument", during: HEADERS }]),
    );
    const res = await host.request({ path: "/metrics/late" });
    expect(res.trap?.message).toContain("proxy_on_request_headers");
    expect(host.logs("critical")).toContain(
      'meshwasm: proxy_define_metric failed for metric "host_errors_late" with status 2',
    );
  });

  it("a refused status read is code 0 with no message", async () => {
    const r = await probe("/status", [{ call: "proxy_get_status", status: "NotFound" }]);
    expect(r).toMatchObject({ code: "0", message: "" });
  });

  it("a local reply the host takes returns Ok", async () => {
    const host = await createHost(options());
    const replied = await host.request({ path: "/local-reply" });
    expect(replied.body).toBe("replied\n");
    expect(host.logs("warn")).toContain("probe: local reply status 0");
  });

  it("a refused local reply or continue returns the status", async () => {
    const host = await createHost(
      options([
        { call: "proxy_send_local_response", status: "BadArgument" },
        { call: "proxy_continue_stream", status: "NotFound" },
      ]),
    );
    const replied = await host.request({ path: "/local-reply" });
    expect(replied.paused).toBe(true);
    expect(host.logs("warn")).toContain("probe: local reply status 2");
    await host.request({ path: "/continue" });
    expect(host.logs("warn")).toContain("probe: continue status 1");
  });
});

describe("the body length cached for a body callback", () => {
  const init = { body: "hello" };

  it("follows replace, append and prepend without asking the host", async () => {
    const host = await createHost(options());
    const [asked] = host.failHostCalls([
      { call: "proxy_get_buffer_status", status: "NotFound", during: BODY },
    ]);
    const res = await host.request({ path: "/body", ...init });
    expect(res.body).toBe(
      "announced=5\nreplace=0\nafter-replace=3\nappend=0\nafter-append=5\nprepend=0\nafter-prepend=6\nread=xabcde\n",
    );
    expect(asked?.matched).toBe(0);
  });

  it("asks the host again after a write failed or a splice", async () => {
    const r = await probe(
      "/body/splice",
      [{ call: "proxy_set_buffer_bytes", status: "BadArgument", skip: 1, times: 1 }],
      init,
    );
    expect(r).toMatchObject({
      replace: "0",
      "after-replace": "3",
      append: "2",
      "after-append": "3",
    });
    expect(r).toMatchObject({
      prepend: "0",
      "after-prepend": "4",
      read: "xabc",
      splice: "0",
      "after-splice": "5",
    });
  });

  it("a refused replace leaves the length to the host", async () => {
    const r = await probe(
      "/body",
      [{ call: "proxy_set_buffer_bytes", status: "BadArgument", times: 1 }],
      init,
    );
    expect(r).toMatchObject({
      replace: "2",
      "after-replace": "5",
      append: "0",
      "after-append": "7",
    });
  });

  it("an emptied body's length is known, and writes after it keep it current", async () => {
    const host = await createHost(options());
    const [asked] = host.failHostCalls([
      { call: "proxy_get_buffer_status", status: "NotFound", during: BODY },
    ]);
    const res = await host.request({ path: "/body/empty", ...init });
    expect(res.body).toContain(
      "emptied=0\nafter-empty=0\nappend-empty=0\nafter-append-empty=2\nprepend-empty=0\nafter-prepend-empty=1\n" +
        "replace-empty=0\nafter-replace-empty=3\nread-empty=xyz\n",
    );
    expect(asked?.matched).toBe(0);
  });

  it("outside a body callback the length is the host's, and a replace needs it", async () => {
    const normal = await probe("/body/headers");
    // The host refuses a body write before the body: BadArgument.
    expect(normal).toEqual({ length: "0", replace: "2" });
    // Without a length the SDK does not write: NotFound, and the write was never asked.
    const host = await createHost(options());
    const [status, write] = host.failHostCalls([
      { call: "proxy_get_buffer_status", status: "NotFound" },
      { call: "proxy_set_buffer_bytes", status: "InternalFailure" },
    ]);
    const res = await host.request({ path: "/body/headers" });
    expect(res.body).toBe("length=-1\nreplace=1\n");
    expect([status?.failed, write?.matched]).toEqual([2, 0]);
  });

  it("a refused read is empty", async () => {
    const r = await probe("/body", [{ call: "proxy_get_buffer_bytes", status: "NotFound" }], init);
    expect(r.read).toBe("");
  });
});

describe("a body that keeps its length (BodyLength.Kept)", () => {
  it("takes writes of nothing, refuses the others, and names the length each would give", async () => {
    const host = await createHost(options());
    const res = await host.request({ path: "/body/kept", body: "original" });
    expect(res.body).toBe(
      "append-none=0\nprepend-none=0\nappend=2\nprepend=2\nsplice-end=2\nread=original\n",
    );
    const refused = host.logs("warn").filter((m) => m.startsWith("meshwasm: refused"));
    expect(refused.map((m) => m.slice(m.indexOf("would make it")))).toEqual([
      "would make it 10 bytes",
      "would make it 11 bytes",
      "would make it 9 bytes",
    ]);
  });
});

describe("the effective context around root and callout callbacks", () => {
  it("a request paused in onRequestHeaders is resumed from onTick through its handle", async () => {
    const host = await createHost(options());
    const res = await host.request({ path: "/resume/tick" });
    expect(res.paused).toBe(false);
    expect(res.status).toBe(200);
    expect(res.upstream?.path).toBe("/resume/tick");
  });

  it("a timer due on a tick runs and can answer a paused request", async () => {
    const host = await createHost(options());
    const res = await host.request({ path: "/timer" });
    expect(res.body).toBe("timer=1\n");
    const again = await host.request({ path: "/timer" });
    expect(again.body).toBe("timer=2\n");
  });

  it("a callout's answer runs with the request that made it effective", async () => {
    const r = await probe("/callout/effective");
    expect(r).toEqual({ callout: "200", path: "/callout/effective", state: "0" });
  });
});

describe("the route cache after header writes", () => {
  // The foreign call answers NotFound whenever it is made, so each answer says whether
  // clearRouteCache asked the host (1) or knew Envoy had cleared the cache itself (0).
  const foreign: HostCallFailure[] = [{ call: "proxy_call_foreign_function", status: "NotFound" }];

  it("asks nothing after a write to the request headers, one by one or batched", async () => {
    expect(await probe("/route-cache/set", foreign)).toEqual({
      before: "1",
      write: "0",
      after: "0",
    });
    expect(await probe("/route-cache/batch", foreign)).toEqual({
      before: "1",
      write: "0",
      read: "b",
      after: "0",
    });
    expect(await probe("/route-cache/pairs", foreign)).toEqual({
      before: "1",
      write: "0",
      after: "0",
    });
    expect(await probe("/route-cache/pairs-bytes", foreign)).toEqual({
      before: "1",
      write: "0",
      after: "0",
    });
  });

  it("asks the host after a write the host refused", async () => {
    expect(
      await probe("/route-cache/set", [
        ...foreign,
        { call: "proxy_replace_header_map_value", status: "BadArgument" },
      ]),
    ).toEqual({ before: "1", write: "2", after: "1" });
    expect(
      await probe("/route-cache/batch", [
        ...foreign,
        { call: "proxy_set_header_map_pairs", status: "BadArgument" },
      ]),
    ).toEqual({ before: "1", write: "2", read: "null", after: "1" });
  });
});

describe("a connection's callbacks acting on another connection", () => {
  it.each(["upstream data", "a downstream close"])(
    "%s of one connection resumes another through its handle",
    async (resume) => {
      const host = await createHost({
        module: await buildTestModule("tcp"),
        configuration: "hold",
      });
      const b = host.connect();
      const a = host.connect();
      expect(a.downstreamData(new TextEncoder().encode("hold"))).toBe("Pause");
      if (resume === "upstream data") b.upstreamData(new TextEncoder().encode("resume"));
      else b.closeDownstream();
      expect(host.logs("info")).toContain("tcp:resume 0");
      expect(new TextDecoder().decode(a.toUpstream)).toBe("hold");
    },
    300_000,
  );
});

describe("the route cache with no header written", () => {
  it("asks the host with no arguments and frees a result the host hands over anyway", async () => {
    const sent: number[] = [];
    const host = await createHost(
      options([], {
        foreignFunctions: {
          clear_route_cache: (args) => {
            sent.push(args.length);
            // Past the landing block: a heap block of its own, 100 KB a call if kept.
            return new Uint8Array(100_000);
          },
        },
      }),
    );
    const run = async () => {
      const res = await host.request({ path: "/route-cache/plain" });
      expect(res.body).toBe("clear-0=0\nclear-1=0\nclear-2=0\nclear-3=0\n");
    };
    await run();
    await run();
    const warm = host.memoryBytes();
    for (let i = 0; i < 4; i++) await run();
    expect(host.memoryBytes()).toBe(warm);
    expect(sent).toEqual(Array(24).fill(0));
  });

  it("a refused clear after a read frees nothing the read left behind", async () => {
    const host = await createHost(
      options([{ call: "proxy_call_foreign_function", status: "NotFound" }], {
        properties: { "probe.large": "v".repeat(100_000) },
      }),
    );
    for (let i = 0; i < 3; i++) {
      const res = await host.request({ path: "/route-cache/after-read" });
      expect(res.trap).toBeNull();
      expect(res.body).toBe("read=100000\nclear=1\n");
    }
  });
});

describe("header map copies", () => {
  it("brings a small copy up to date after a write without checking the memory limit", async () => {
    expect(await probe("/headers/room", [], { headers: { "x-a": "1", "x-b": "2" } })).toEqual({
      c: "3",
    });
  });

  it("frees each copy of a map past the landing block when a rebuild or a new read replaces it", async () => {
    const host = await createHost(options([], { limits: { maxRequestHeadersKb: 128 } }));
    const run = async () => {
      const res = await host.request({
        path: "/headers/big",
        headers: { "x-a": "1", "x-b": "2", "x-filler": "f".repeat(70_000) },
      });
      expect(res.body).toBe("seen=4\n");
    };
    // The allocator settles after a few requests (12 pages from the fifth on).
    for (let i = 0; i < 6; i++) await run();
    const warm = host.memoryBytes();
    for (let i = 0; i < 6; i++) await run();
    expect(host.memoryBytes()).toBe(warm);
  });

  it("frees the host's copy of a value past the landing block read alone into a buffer", async () => {
    const host = await createHost(options([], { limits: { maxRequestHeadersKb: 128 } }));
    const run = async () => {
      const res = await host.request({
        path: "/headers/big-value",
        headers: { "x-filler": "f".repeat(70_000) },
      });
      expect(res.body).toBe("total=280000\n");
    };
    for (let i = 0; i < 6; i++) await run();
    const warm = host.memoryBytes();
    for (let i = 0; i < 6; i++) await run();
    expect(host.memoryBytes()).toBe(warm);
  });

  it("checks only a copy past 64 KiB against the memory limit", async () => {
    expect(await probe("/headers/room-edge", [], { headers: { "x-a": "1", "x-b": "2" } })).toEqual({
      aligned: "0",
      r: "whole",
    });
  });

  it("reads an empty map whole like any other: a batch on it opens", async () => {
    expect(await probe("/headers/empty")).toEqual({ batch: "0", pairs: "0", commit: "0" });
  });
});

describe("a host that breaks the contract", () => {
  // A root callback for an id the host never made a root aborts naming the callback and the
  // id (the module cannot tell whose callback it is); nothing else runs in that VM.
  it.each<[string, number[]]>([
    ["proxy_on_tick", [99]],
    ["proxy_on_queue_ready", [99, 1]],
    ["proxy_on_foreign_function", [99, 1, 0]],
    ["proxy_on_http_call_response", [99, 12345, 0, 0, 0]],
    ["proxy_on_grpc_receive_initial_metadata", [99, 12345, 0]],
    ["proxy_on_grpc_receive", [99, 12345, 0]],
    ["proxy_on_grpc_receive_trailing_metadata", [99, 12345, 0]],
    ["proxy_on_grpc_close", [99, 12345, 0]],
  ])("%s for an unknown root aborts naming the callback and the id", async (callback, args) => {
    const host = await createHost(options());
    const vm = host.vms[0];
    const root = host.roots[0];
    if (!vm || !root) throw new Error("the host started no VM");
    expect(() => vm.call(callback, root, ...args)).toThrow(callback);
    expect(host.logs("critical")).toContain(
      `meshwasm: unknown context id in ${callback} (context 99)`,
    );
  });

  // A stream callback naming the root context is a broken contract too.
  it.each<[string, string, number[], string]>([
    ["host-errors", "proxy_on_request_headers", [0, 1], "context is not an HTTP context"],
    ["tcp", "proxy_on_new_connection", [], "context is not a stream context"],
    ["tcp", "proxy_on_downstream_data", [0, 1], "context is not a stream context"],
  ])(
    "%s: %s for the root context aborts naming the callback",
    async (name, callback, args, what) => {
      const host = await createHost({
        module: name === "tcp" ? await buildTestModule("tcp") : module,
      });
      const vm = host.vms[0];
      const root = host.roots[0];
      if (!vm || !root) throw new Error("the host started no VM");
      expect(vm.has(callback)).toBe(true);
      expect(() => vm.call(callback, root, root.id, ...args)).toThrow(callback);
      expect(host.logs("critical")).toContain(
        `meshwasm: ${what} in ${callback} (context ${root.id})`,
      );
    },
    300_000,
  );
});

// A chain's members on the test host (assembly/chain.ts): each callback in the order separate
// plugins would get it, a member that holds a body, a response or nothing, replies on the
// response path, and the root's side: start, configuration, ticks and timers, queues,
// foreign functions, the end. The mark fixtures (fixtures/assembly/mark.ts) log what they get
// when configured with "trace".

import { createHost, type Host, PluginStartError } from "meshwasm/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { neededCallbacks } from "../../src/build/for-config.ts";
import { marksChain } from "./helpers.ts";

let wasm: string;
beforeAll(async () => {
  wasm = await marksChain();
}, 300_000); // compiles the chain when it is stale

type Section = Record<string, unknown>;

function start(
  sections: { first?: Section; pauser?: Section; last?: Section } = {},
  more: { vmConfiguration?: string; upstreamHttp2?: boolean } = {},
): Promise<Host> {
  const trace = { trace: true };
  return createHost({
    module: wasm,
    rootId: "chain",
    configuration: {
      first: { ...trace, ...sections.first },
      pauser: { ...trace, ...sections.pauser },
      last: { ...trace, ...sections.last },
    },
    ...more,
  });
}

/** The fixtures' own lines ("mark <name>: ..."), from `from` on. */
function marks(host: Host, from = 0): string[] {
  return host
    .logs()
    .slice(from)
    .filter((l) => l.startsWith("mark "));
}

const continues = (host: Host) => host.coverage.hostCalls.get("proxy_continue_stream") ?? 0;

describe("a chain's members on one request", () => {
  it("get the body and trailers in order on the request, in reverse on the response, then log, done and delete", async () => {
    const host = await start({}, { upstreamHttp2: true });
    const res = await host.request({
      method: "POST",
      body: "hello",
      trailers: { "x-t": "1" },
    });
    expect(res.status).toBe(200);
    const lines = marks(host);
    const of = (what: string) => lines.filter((l) => l.endsWith(`: ${what}`));
    expect(of("request body 5 more")).toEqual([
      "mark first: request body 5 more",
      "mark pauser: request body 5 more",
      "mark last: request body 5 more",
    ]);
    expect(of("request trailers 1")).toEqual([
      "mark first: request trailers 1",
      "mark pauser: request trailers 1",
      "mark last: request trailers 1",
    ]);
    expect(lines.filter((l) => l.includes(": response body "))[0]).toMatch(/^mark last: /);
    expect(of("log")).toEqual(["mark first: log", "mark pauser: log", "mark last: log"]);
    expect(of("stream done")).toEqual([
      "mark first: stream done",
      "mark pauser: stream done",
      "mark last: stream done",
    ]);
    expect(of("stream delete")).toEqual([
      "mark first: stream delete",
      "mark pauser: stream delete",
      "mark last: stream delete",
    ]);
  });

  it("get response trailers in reverse order", async () => {
    const host = await createHost({
      module: wasm,
      rootId: "chain",
      configuration: { first: { trace: true }, pauser: { trace: true }, last: { trace: true } },
      upstreamHttp2: true,
      upstream: () => ({ status: 200, body: "ok", trailers: { "grpc-status": "0" } }),
    });
    await host.request({});
    expect(marks(host).filter((l) => l.includes("response trailers"))).toEqual([
      "mark last: response trailers 1",
      "mark pauser: response trailers 1",
      "mark first: response trailers 1",
    ]);
    expect(marks(host).filter((l) => l.includes("response body"))).toEqual([
      "mark last: response body 2 more",
      "mark pauser: response body 2 more",
      "mark first: response body 2 more",
    ]);
  });

  it("stop at a local reply even when the replying member returns Continue", async () => {
    const host = await start();
    const res = await host.request({
      headers: { "x-mark-reply": "pauser", "x-mark-reply-continues": "pauser" },
    });
    expect(res.status).toBe(403);
    expect(res.headers["x-order"]).toBe("pauser,first");
    expect(host.counter("mark_last_requests")).toBe(0);
    const reply = await host.request({
      headers: { "x-mark-reply-response": "pauser", "x-mark-reply-continues": "pauser" },
    });
    expect(reply.status).toBe(502);
    // The upstream's response reached last and pauser; first never got it.
    expect(
      marks(host)
        .filter((l) => l.endsWith(": response headers"))
        .slice(-3),
    ).toEqual([
      "mark first: response headers", // the first request's reply
      "mark last: response headers",
      "mark pauser: response headers",
    ]);
  });

  it("tell a member that resumed a request the members after it stopped again: Ok", async () => {
    const host = await start();
    const res = await host.request({
      headers: { "x-mark-pause": "pauser", "x-mark-reply": "last" },
    });
    expect(res.status).toBe(403);
    expect(host.logs()).toContain("mark pauser: resumed 0");
    expect(continues(host)).toBe(0);
  });

  it("end only the members the request reached", async () => {
    const host = await start();
    const res = await host.request({ headers: { "x-mark-reply": "pauser" } });
    expect(res.status).toBe(403);
    expect(res.headers["x-order"]).toBe("pauser,first");
    expect(res.steps.find((s) => s.callback === "proxy_on_request_headers")?.action).toBe("Pause");
    const lines = marks(host);
    for (const what of ["log", "stream done", "stream delete"]) {
      expect(lines.filter((l) => l.endsWith(`: ${what}`))).toEqual([
        `mark first: ${what}`,
        `mark pauser: ${what}`,
      ]);
    }
  });

  it("skip a member that makes no HTTP context, on both paths and at the end", async () => {
    const host = await start({ pauser: { pass: true } });
    const res = await host.request({ headers: { "x-mark-pause": "last" } });
    expect(res.status).toBe(200);
    expect(res.upstream?.headers["x-order"]).toBe("first,last");
    expect(res.headers["x-order"]).toBe("last,first");
    expect(continues(host)).toBe(1);
    expect(marks(host).filter((l) => l.endsWith(": log"))).toEqual([
      "mark first: log",
      "mark last: log",
    ]);
  });

  it("hold a request at its body's end: the members after the holder get the same body callback when it resumes", async () => {
    const host = await start();
    const s = host.stream();
    s.requestHeaders(
      {
        ":method": "POST",
        ":path": "/",
        ":authority": "a",
        ":scheme": "http",
        "x-mark-pause-body": "pauser",
      },
      { endOfStream: false },
    );
    expect(s.requestBody("hello", { endOfStream: true })).toBe("Pause");
    expect(marks(host).filter((l) => l.includes("request body"))).toEqual([
      "mark first: request body 5 end",
      "mark pauser: request body 5 end",
    ]);
    expect(s.upstream.complete).toBe(false);
    host.advance(20);
    expect(marks(host).filter((l) => l.includes("request body"))).toEqual([
      "mark first: request body 5 end",
      "mark pauser: request body 5 end",
      "mark last: request body 5 end",
    ]);
    expect(s.upstream.complete).toBe(true);
    expect(continues(host)).toBe(1);
  });

  it("hold a response: the members before the holder on the response path run when it resumes", async () => {
    const host = await start();
    const res = await host.request({ headers: { "x-mark-pause-response": "pauser" } });
    expect(res.status).toBe(200);
    expect(res.headers["x-order"]).toBe("last,pauser,first");
    expect(continues(host)).toBe(1);
  });

  it("a member that did not hold the request resuming it changes nothing", async () => {
    const host = await start();
    const res = await host.request({
      headers: { "x-mark-pause": "last", "x-mark-nudge": "first" },
    });
    expect(res.status).toBe(200);
    expect(res.upstream?.headers["x-order"]).toBe("first,pauser,last");
    expect(host.logs()).toContain("mark first: continueRequest 0");
    expect(continues(host)).toBe(1);
  });

  it("a member resuming a request nothing holds continues it on the host", async () => {
    const host = await start();
    const res = await host.request({
      headers: { "x-mark-pause-response": "last", "x-mark-nudge": "first" },
    });
    expect(res.status).toBe(200);
    expect(host.logs()).toContain("mark first: continueRequest 0");
    expect(continues(host)).toBe(2);
    expect(host.counter("mark_pauser_requests")).toBe(1); // no member ran twice
  });

  it("a member resuming a request nothing holds before the response came continues it", async () => {
    const host = await start();
    const s = host.stream();
    s.requestHeaders({
      ":method": "GET",
      ":path": "/",
      ":authority": "a",
      ":scheme": "http",
      "x-mark-nudge": "first",
    });
    expect(s.upstream.complete).toBe(true);
    host.advance(20);
    expect(host.logs()).toContain("mark first: continueRequest 0");
    expect(continues(host)).toBe(1);
  });

  it("a member resuming a request after the stream ended is told it is gone", async () => {
    const host = await start();
    await host.request({ headers: { "x-mark-nudge": "first" } });
    host.advance(20);
    expect(host.logs()).toContain("mark first: continueRequest 1"); // NotFound
    expect(continues(host)).toBe(0);
  });

  it("the first member holding the request resumes the members after it", async () => {
    const host = await start();
    const res = await host.request({ headers: { "x-mark-pause": "first" } });
    expect(res.upstream?.headers["x-order"]).toBe("first,pauser,last");
    expect(continues(host)).toBe(1);
  });

  it("a member holding a local reply's response resumes it", async () => {
    const host = await start();
    const res = await host.request({
      headers: { "x-mark-reply": "pauser", "x-mark-pause-response": "first" },
    });
    expect(res.steps.find((s) => s.callback === "proxy_on_response_headers")?.action).toBe("Pause");
    // The chain hands first's continueResponse (on the next tick) to the host, and the reply
    // goes on as it does past separate plugins (test/chain/conformance.test.ts compares them
    // in Envoy).
    expect(continues(host)).toBe(1);
    expect(res.paused).toBe(false);
    expect(res.status).toBe(403);
    expect(res.body).toBe("refused by pauser\n");
    expect(res.headers["x-order"]).toBe("pauser,first");
  });

  it("no member gets the request body after a local reply", async () => {
    const host = await start();
    const res = await host.request({ headers: { "x-mark-reply": "first" }, body: "hello" });
    expect(res.status).toBe(403);
    expect(marks(host).filter((l) => l.includes("request body"))).toEqual([]);
  });

  it("a member's local reply on the response path stops the members before it", async () => {
    const host = await start();
    const res = await host.request({ headers: { "x-mark-reply-response": "pauser" } });
    expect(res.status).toBe(502);
    expect(res.body).toBe("response refused by pauser\n");
    expect(res.headers["x-order"]).toBeUndefined();
    expect(marks(host).filter((l) => l.includes("response body"))).toEqual([]);
  });

  it("a member's reply to another member's local reply replaces it, and no member gets its body", async () => {
    const host = await start();
    const res = await host.request({
      headers: { "x-mark-reply": "last", "x-mark-reply-response": "first" },
    });
    // The first reply's response headers were still in the filter: the second goes out
    // directly, as past separate plugins (test/chain/conformance.test.ts).
    expect(res.status).toBe(502);
    expect(res.body).toBe("response refused by first\n");
    expect(res.headers["x-order"]).toBeUndefined();
    expect(marks(host).filter((l) => l.endsWith("response headers"))).toEqual([
      "mark last: response headers",
      "mark pauser: response headers",
      "mark first: response headers",
    ]);
    expect(marks(host).filter((l) => l.includes("response body"))).toEqual([]);
  });
});

describe("a chain's root", () => {
  it("names the member that refused to start", async () => {
    const error = await start({}, { vmConfiguration: "refuse pauser" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PluginStartError);
    expect((error as PluginStartError).logs).toEqual([
      "error: mark pauser: refusing to start",
      'error: chain: filter "pauser" refused to start',
    ]);
    const first = await start({}, { vmConfiguration: "refuse first" }).catch((e: unknown) => e);
    expect((first as PluginStartError).logs).toContain(
      'error: chain: filter "first" refused to start',
    );
  });

  it("refuses a configuration that is not JSON", async () => {
    const error = await createHost({
      module: wasm,
      rootId: "chain",
      configuration: "{first",
    }).catch((e: unknown) => e);
    expect(String(error)).toMatch(/the chain's configuration is not JSON/);
  });

  it("names an unknown or missing section wherever it comes", async () => {
    const open = (configuration: object) =>
      createHost({ module: wasm, rootId: "chain", configuration }).catch((e: unknown) => String(e));
    expect(await open({ extra: {}, first: {}, pauser: {}, last: {} })).toMatch(
      /field "extra": no filter of that name/,
    );
    expect(await open({ pauser: {}, last: {} })).toMatch(/field "first": missing/);
  });

  it("ticks at the members' common divisor and runs each member's onTick at its own period", async () => {
    const host = await start({
      first: { tick_ms: 20 },
      pauser: { tick_ms: 30 },
      last: { tick_ms: 60 },
    });
    expect(host.tickPeriod()).toBe(10);
    const from = host.logs().length;
    host.advance(10);
    expect(marks(host, from)).toEqual([]); // no member's period is due after 10 ms
    host.advance(50);
    const ticks = marks(host, from).filter((l) => l.endsWith(": tick"));
    expect(ticks.filter((l) => l.startsWith("mark first")).length).toBe(3);
    expect(ticks.filter((l) => l.startsWith("mark pauser")).length).toBe(2);
    expect(ticks.filter((l) => l.startsWith("mark last")).length).toBe(1);
  });

  it("runs a member's onTick within 1 ms of its due time, and never a member without a period", async () => {
    const host = await start({
      first: { tick_ms: 1 },
      pauser: { tick_ms: 20 },
      last: { tick_ms: 0 },
    });
    expect(host.tickPeriod()).toBe(1);
    const from = host.logs().length;
    host.advance(19);
    const ticks = marks(host, from).filter((l) => l.endsWith(": tick"));
    expect(ticks.filter((l) => l.startsWith("mark first")).length).toBe(19);
    expect(ticks.filter((l) => l.startsWith("mark pauser")).length).toBe(1);
    expect(ticks.filter((l) => l.startsWith("mark last")).length).toBe(0);
  });

  it("runs a member's timers on the shared tick", async () => {
    const host = await start({ pauser: { timer_ms: 5 } });
    expect(host.tickPeriod()).toBe(5);
    const from = host.logs().length;
    host.advance(20);
    const lines = marks(host, from);
    expect(lines.filter((l) => l === "mark pauser: timer").length).toBe(4);
    expect(lines.filter((l) => l === "mark first: tick").length).toBe(1);
  });

  /** Who gets the ready of a queue the first member registers in a request's headers (outside
   *  its root's callbacks, so no member owns it). */
  async function readyOfStreamQueue(host: Host): Promise<string[]> {
    await host.request({ headers: { "x-mark-register": "first" } });
    const token = host.world.queues.resolve(host.plugin.vmId, "stream-first") as number;
    expect(token).toBeGreaterThan(0);
    const from = host.logs().length;
    host.world.queues.enqueue(token, new Uint8Array([1]));
    host.world.drain();
    return marks(host, from).filter((l) => l.endsWith("queue ready"));
  }
  const everyMember = [
    "mark first: queue ready",
    "mark pauser: queue ready",
    "mark last: queue ready",
  ];

  it("hands a queue's ready to the member that registered it, and to all when none did", async () => {
    const host = await start({ pauser: { queue: "jobs" } });
    const token = host.world.queues.resolve(host.plugin.vmId, "jobs") as number;
    expect(token).toBeGreaterThan(0);
    host.world.queues.enqueue(token, new Uint8Array([1]));
    host.world.drain();
    expect(marks(host).filter((l) => l.endsWith("queue ready"))).toEqual([
      "mark pauser: queue ready",
    ]);
    // No member runs once the queue's ready is handed over.
    expect(await readyOfStreamQueue(host)).toEqual(everyMember);
  });

  it("runs no member once the configuration is done, nor once the ticks are", async () => {
    expect(await readyOfStreamQueue(await start())).toEqual(everyMember);
    const ticked = await start();
    ticked.advance(20);
    expect(await readyOfStreamQueue(ticked)).toEqual(everyMember);
  });

  it("hands a queue registered in a member's onVmStart to that member", async () => {
    const host = await start({}, { vmConfiguration: "queue last" });
    const token = host.world.queues.resolve(host.plugin.vmId, "vm-last") as number;
    expect(token).toBeGreaterThan(0);
    host.world.queues.enqueue(token, new Uint8Array([1]));
    host.world.drain();
    expect(marks(host).filter((l) => l.endsWith("queue ready"))).toEqual([
      "mark last: queue ready",
    ]);
  });

  it("hands a queue registered in a member's onTick to that member", async () => {
    const host = await start({ pauser: { tick_queue: "ticked" } });
    host.advance(20);
    const token = host.world.queues.resolve(host.plugin.vmId, "ticked") as number;
    expect(token).toBeGreaterThan(0);
    const from = host.logs().length;
    host.world.queues.enqueue(token, new Uint8Array([1]));
    host.world.drain();
    expect(marks(host, from).filter((l) => l.endsWith("queue ready"))).toEqual([
      "mark pauser: queue ready",
    ]);
  });

  it("hands a queue registered in a member's onQueueReady to that member", async () => {
    const host = await start({ pauser: { queue: "jobs", tick_queue: "again" } });
    const vmId = host.plugin.vmId;
    host.world.queues.enqueue(
      host.world.queues.resolve(vmId, "jobs") as number,
      new Uint8Array([1]),
    );
    host.world.drain();
    const token = host.world.queues.resolve(vmId, "again") as number;
    expect(token).toBeGreaterThan(0);
    const from = host.logs().length;
    host.world.queues.enqueue(token, new Uint8Array([1]));
    host.world.drain();
    expect(marks(host, from).filter((l) => l.endsWith("queue ready"))).toEqual([
      "mark pauser: queue ready",
    ]);
  });

  it("hands a foreign function call to every member", async () => {
    const host = await start();
    host.callForeignFunction(7);
    expect(marks(host).filter((l) => l.includes("foreign"))).toEqual([
      "mark first: foreign 7",
      "mark pauser: foreign 7",
      "mark last: foreign 7",
    ]);
  });

  it("is done when every member is, and deletes each", async () => {
    const host = await start();
    host.close();
    expect(marks(host).filter((l) => / (done|delete)$/.test(l))).toEqual([
      "mark first: done",
      "mark pauser: done",
      "mark last: done",
      "mark first: delete",
      "mark pauser: delete",
      "mark last: delete",
    ]);
    const keeping = await start({ pauser: { keep: true } });
    keeping.close();
    expect(marks(keeping).filter((l) => / (done|delete)$/.test(l))).toEqual([
      "mark first: done",
      "mark pauser: done",
      "mark last: done",
    ]);
  });

  it("needs the request headers when a member needs any callback, under the member's section", async () => {
    const bytes = new Uint8Array(await import("node:fs").then((fs) => fs.readFileSync(wasm)));
    const none = { needs: "none" };
    // (proxy_on_delete: the members keep state in their streams' contexts.)
    expect(await neededCallbacks(bytes, { first: none, pauser: none, last: none })).toEqual([
      "proxy_on_delete",
    ]);
    expect(
      await neededCallbacks(bytes, { first: { needs: "response" }, pauser: none, last: none }),
    ).toEqual(["proxy_on_request_headers", "proxy_on_response_headers", "proxy_on_delete"]);
  });
});

// Whole header maps handed to the host (proxy_set_header_map_pairs), second values of the
// names Envoy keeps inline, and the SDK's batched edits (HeaderMap.batch) that write a map
// whole: the test host against real Envoy, the same module and the same assertions on what
// the host's map holds, what the SDK's copy answers and what the upstream and the client
// receive. One Envoy and one test host serve every case of this file.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Coverage } from "../../src/testing/index.ts";
import {
  emulatorTarget,
  envoyTarget,
  type Servers,
  type Setup,
  startServers,
  stopServers,
  type Target,
} from "./harness.ts";

const setup: Setup = { module: "headermaps" };

/** The entries of a "name=value;..." report whose names the case wrote or the client sent
 *  on purpose (clients and upstreams add others of their own). */
function pick(report: string | undefined, names: string[]): string {
  return (report ?? "")
    .split(";")
    .filter((entry) => {
      const name = entry.slice(0, entry.indexOf("="));
      return (
        name.startsWith(":") ||
        name.startsWith("x-p-") ||
        name.startsWith("x-r-") ||
        names.includes(name)
      );
    })
    .join(";");
}

const REQUEST_NAMES = ["user-agent", "accept", "authorization", "x-forwarded-for", "cache-control"];
const RESPONSE_NAMES = ["cache-control", "vary"];
const only = process.env.CONFORMANCE_ONLY;

for (const kind of ["emulator", "envoy"] as const) {
  describe.skipIf(only !== undefined && only !== kind)(
    `header maps handed over whole, on ${kind}`,
    () => {
      let servers: Servers | undefined;
      let target: Target;
      let close: () => unknown = () => {};

      beforeAll(async () => {
        servers = await startServers();
        const made =
          kind === "emulator"
            ? await emulatorTarget(setup, servers, new Coverage())
            : await envoyTarget(setup, servers);
        target = made.target;
        close = made.close;
      }, 120_000);

      afterAll(async () => {
        await close();
        await stopServers(servers);
      });

      it("set_header_map_pairs: pseudo-headers first, repeats of inline names joined", async () => {
        const res = await target.request("/pairs/inline", { headers: { "x-p-old": "gone" } });
        expect(res.headers["x-note-pairs-status"]).toBe("0");
        const map =
          ":method=GET;:scheme=http;:path=/pairs/inline/done;x-p-a=1;user-agent=u1,u2;" +
          "x-p-dup=1;x-p-dup=2;accept=a2;authorization=t1;x-forwarded-for=10.0.0.1,10.0.0.2;x-p-b=2;x-forwarded-proto=http";
        expect(res.headers["x-note-pairs-host"]).toBe(map);
        // The SDK's copy is not trusted after a whole-map write: it reads the map again.
        expect(res.headers["x-note-pairs-copy"]).toBe(map);
        expect(res.headers["x-note-pairs-count"]).toBe("13");
        const up = res.upstream;
        expect(up?.path).toBe("/pairs/inline/done");
        expect(up?.headers["user-agent"]).toBe("u1,u2");
        expect(up?.headers["x-p-dup"]).toBe("1, 2");
        expect(up?.headers.accept).toBe("a2");
        expect(up?.headers.authorization).toBe("t1");
        expect(up?.headers["x-p-old"]).toBeUndefined();
      });

      it("add of a second value: joined into an inline name's entry, an entry of its own otherwise", async () => {
        const res = await target.request("/pairs/add", {
          headers: { "user-agent": "u1", "x-p-dup": "1", accept: "a1" },
        });
        const map =
          ":path=/pairs/add;:method=GET;:scheme=http;user-agent=u1,u2;x-p-dup=1;accept=a1;" +
          "x-forwarded-for=10.0.0.9;x-p-dup=2;cache-control=c1";
        expect(pick(res.headers["x-note-add-host"], REQUEST_NAMES)).toBe(map);
        expect(pick(res.headers["x-note-add-copy"], REQUEST_NAMES)).toBe(map);
        expect(res.headers["x-note-host-alias"]).toBe("authority");
        expect(res.upstream?.headers["user-agent"]).toBe("u1,u2");
        expect(res.upstream?.headers["x-p-dup"]).toBe("1, 2");
        expect(res.upstream?.headers["cache-control"]).toBe("c1");
      });

      it("a batch: reads see its edits, the host's map gets them at the commit in one write", async () => {
        const res = await target.request("/batch/edits", {
          headers: { "x-b-a": "1", "x-b-b": "2", "x-b-c": "3" },
        });
        const after = "x-b-a=new;x-b-d=4;x-b-upper=u;x-b-c=c2;x-b-e=5";
        expect(res.headers["x-note-batch-open"]).toBe("0");
        expect(res.headers["x-note-batch-reads"]).toBe("1,new,<null>,u");
        expect(res.headers["x-note-batch-copy"]).toBe(after);
        expect(res.headers["x-note-batch-held"]).toBe("x-b-a=1;x-b-b=2;x-b-c=3");
        expect(res.headers["x-note-batch-commit"]).toBe("0,closed");
        expect(res.headers["x-note-batch-host"]).toBe(after);
        expect(res.headers["x-note-batch-after"]).toBe(after);
        expect(res.upstream?.path).toBe("/batch/edits");
        expect(res.upstream?.headers["x-b-a"]).toBe("new");
        expect(res.upstream?.headers["x-b-b"]).toBeUndefined();
        expect(res.upstream?.headers["x-b-upper"]).toBe("u");
      });

      it("a batch of a few edits writes them one by one at the commit", async () => {
        const res = await target.request("/batch/few", { headers: { "x-b-a": "1", "x-b-b": "2" } });
        expect(res.headers["x-note-few-held"]).toBe("x-b-a=1;x-b-b=2");
        expect(res.headers["x-note-few-commit"]).toBe("0");
        expect(res.headers["x-note-few-host"]).toBe("x-b-a=1;x-b-d=4");
        expect(res.headers["x-note-few-copy"]).toBe("x-b-a=1;x-b-d=4");
      });

      it("a batch with edits the copy cannot tell, written at the end of the callback", async () => {
        const res = await target.request("/batch/unsure", {
          headers: { "x-b-a": "1", "x-b-b": "2", "user-agent": "u1" },
        });
        expect(res.headers["x-note-unsure-read"]).toBe("1|2,u1,u2,/batch/unsure/rewritten");
        expect(res.headers["x-note-unsure-copy"]).toBe(
          "x-b-a=1;x-b-a=2;x-b-empty=;x-b-z=z;x-b-y=y;x-b-x=x",
        );
        expect(res.headers["x-note-unsure-open"]).toBe("open");
        const up = res.upstream;
        expect(up?.path).toBe("/batch/unsure/rewritten");
        expect(up?.headers["x-b-a"]).toBe("1, 2");
        expect(up?.headers["user-agent"]).toBe("u1,u2");
        expect(up?.headers["x-b-b"]).toBeUndefined();
        expect([up?.headers["x-b-z"], up?.headers["x-b-y"], up?.headers["x-b-x"]]).toEqual([
          "z",
          "y",
          "x",
        ]);
      });

      it("a property read sees the batch's edits: the batch is written before it", async () => {
        const res = await target.request("/batch/property", { headers: { "x-b-b": "2" } });
        expect(res.headers["x-note-property"]).toBe("after");
        expect(res.headers["x-note-property-open"]).toBe("closed");
        const up = res.upstream?.headers ?? {};
        expect([up["x-b-p"], up["x-b-q"], up["x-b-r"], up["x-b-s"], up["x-b-b"]]).toEqual([
          "after",
          "1",
          "2",
          "3",
          undefined,
        ]);
      });

      it("a refused write in a batch is refused at once, logged by name, and not queued", async () => {
        const res = await target.request("/batch/bad");
        expect(res.headers["x-note-bad"]).toBe("2,2,<null>,1");
        expect(res.upstream?.headers["x-b-ok"]).toBe("1");
        expect(res.upstream?.headers["x-b-bad"]).toBeUndefined();
        expect(res.upstream?.headers["x-injected"]).toBeUndefined();
        await target.waitForLog(/refused header write #\d+ \(set\): value of "x-b-bad"/);
      });

      it("set_header_map_pairs with a block that does not parse", async () => {
        const res = await target.request("/pairs/malformed", { headers: { "x-p-keep": "1" } });
        // Envoy reads each as no pairs: the map is emptied and the call answers Ok.
        expect(res.headers["x-note-malformed"]).toBe("0/0,0/0,0/0");
        expect(res.headers["x-note-malformed-after"]).toBe("restored");
        expect(res.upstream?.headers["x-p-keep"]).toBe("1");
      });

      it("a callout with a header or trailer block that does not parse", async () => {
        const res = await target.request("/pairs/malformed-callout");
        // No headers: no :path, :method or :authority, so BadArgument; no trailers: the call is made.
        expect(res.headers["x-note-malformed-callout"]).toBe("2,0");
      });

      it("a local reply whose extra headers' block does not parse", async () => {
        const res = await target.request("/pairs/malformed-reply");
        expect(res.status).toBe(418);
        expect(res.body).toBe("teapot");
        await target.waitForLog(/malformed reply status 0$/);
      });

      it("set_header_map_pairs on response headers joins the response's inline names", async () => {
        const res = await target.request("/pairs/response");
        expect(res.headers["x-note-response-status"]).toBe("0");
        const map = ":status=200;cache-control=a,b;x-r-dup=1;x-r-dup=2;vary=v1,v2";
        expect(pick(res.headers["x-note-response-host"], RESPONSE_NAMES)).toBe(map);
        expect(pick(res.headers["x-note-response-copy"], RESPONSE_NAMES)).toBe(map);
        expect(res.headers["cache-control"]).toBe("a,b");
        expect(res.headers["x-r-dup"]).toBe("1, 2");
        expect(res.headers.vary).toBe("v1,v2");
      });
    },
  );
}

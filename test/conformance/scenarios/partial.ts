// A module that exports only some per-stream callbacks (test/modules/partial exports
// proxy_on_request_headers, not the body, trailers, response, log or done callbacks): the host
// skips what is not exported, counts it as Continue (and a missing proxy_on_done as done), and
// still deletes every context.

import { expect } from "vitest";
import type { Scenario, Target } from "../harness.ts";

/** Log messages equal to `message`, once `count` of them arrived (Envoy's log lags). */
async function logged(t: Target, message: string, count: number): Promise<number> {
  const seen = () => t.logs().filter((l) => l.message === message).length;
  for (let i = 0; i < 100 && seen() < count; i++) await t.wait(20);
  return seen();
}

export const partialScenarios: Scenario[] = [
  {
    name: "callbacks a module does not export are skipped: bodies, trailers and responses pass untouched, and every context is deleted",
    setup: { module: "partial" },
    async run(t) {
      const posted = await t.request("/partial/post", {
        method: "POST",
        body: "hello partial",
        trailers: { "x-t": "1" },
      });
      expect(posted.status).toBe(200);
      expect(posted.upstream?.headers["x-partial"]).toBe("seen");
      expect(posted.upstream?.body).toBe("hello partial");
      if (posted.steps) {
        // The emulator's record: each stream callback the host reached, all Continue, the
        // skipped ones included.
        const callbacks = posted.steps.map((s) => s.callback);
        expect(callbacks).toContain("proxy_on_request_headers");
        expect(callbacks).toContain("proxy_on_request_body");
        expect(callbacks).toContain("proxy_on_response_headers");
        expect(posted.steps.every((s) => s.action === "Continue")).toBe(true);
      }
      for (const path of ["/partial/a", "/partial/b"]) {
        const res = await t.request(path);
        expect(res.status).toBe(200);
        expect(res.upstream?.path).toBe(path);
        expect(res.upstream?.headers["x-partial"]).toBe("seen");
      }
      expect(await logged(t, "partial: request headers", 3)).toBe(3);
      expect(await logged(t, "partial: delete", 3)).toBe(3);
      expect(await t.counter("partial_created")).toBe(3);
      expect(await t.counter("partial_deleted")).toBe(3);
    },
  },
];

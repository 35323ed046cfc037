// Header maps: request and response headers, pairs, sizes, case, availability.

import { expect } from "vitest";
import type { Scenario } from "../harness.ts";

export const headerScenarios: Scenario[] = [
  {
    name: "adds a request header the upstream receives",
    async run(t) {
      const res = await t.request("/headers/add");
      expect(res.status).toBe(200);
      expect(res.upstream?.headers["x-added"]).toBe("yes");
    },
  },
  {
    name: "replaces a request header",
    async run(t) {
      const res = await t.request("/headers/replace", { headers: { "x-replace": "old" } });
      expect(res.upstream?.headers["x-replace"]).toBe("new");
    },
  },
  {
    name: "removes a request header",
    async run(t) {
      const res = await t.request("/headers/remove", {
        headers: { "x-remove": "bye", "x-keep": "1" },
      });
      expect(res.upstream?.headers["x-remove"]).toBeUndefined();
      expect(res.upstream?.headers["x-keep"]).toBe("1");
    },
  },
  {
    name: "a lookup of a repeated header returns only the first value",
    quirk: "Envoy's getHeaderMapValue returns entry[0] only (a TODO in Envoy's context.cc)",
    async run(t) {
      const res = await t.request("/headers/first-value");
      expect(res.upstream?.headers["x-first"]).toBe("1");
      expect(res.upstream?.headers["x-dup"]).toBe("1, 2");
    },
  },
  {
    name: "header names are lower-cased on the way in",
    async run(t) {
      const res = await t.request("/headers/lowercase");
      expect(res.headers["x-note-upper"]).toBe("no");
      expect(res.headers["x-note-mixed"]).toBe("v");
      expect(res.upstream?.headers["x-mixed-case"]).toBe("v");
    },
  },
  {
    name: "pseudo-headers are ordinary entries and come first",
    async run(t) {
      const res = await t.request("/headers/pseudo?q=1");
      expect(res.headers["x-note-method"]).toBe("GET");
      expect(res.headers["x-note-scheme"]).toBe("http");
      expect(res.headers["x-note-path"]).toBe("/headers/pseudo?q=1");
      expect(res.headers["x-note-has-authority"]).toBe("yes");
      expect(res.headers["x-note-first-is-pseudo"]).toBe("yes");
    },
  },
  {
    name: "reads in one callback see the callback's own writes (values, removals, case)",
    async run(t) {
      const res = await t.request("/headers/read-write-read", {
        headers: { "x-rw-a": "1", "x-rw-b": "2" },
      });
      expect(res.headers["x-note-rw"]).toBe("1,2,new,<null>,changed,new");
      expect(res.headers["x-note-rw-all"]).toBe("changed");
      expect(res.headers["x-note-rw-all-multi"]).toBe("changed|again");
      expect(res.headers["x-note-rw-all-prefix"]).toBe("0");
      expect(res.upstream?.headers["x-rw-b"]).toBe("changed, again");
    },
  },
  {
    name: "reads after the filter's own writes answer what the host's map holds",
    setup: { module: "headermaps" },
    async run(t) {
      // set moves the name to the end, add appends, remove drops every value, names are
      // lower-cased; the SDK's copy and the host's map (read past the copy) agree throughout.
      const order = await t.request("/edits/order", {
        headers: { "x-o-a": "1", "x-o-b": "2", "x-o-c": "3" },
      });
      const list = "x-o-a=new;x-o-d=4;x-o-upper=u";
      expect(order.headers["x-note-copy"]).toBe(`${list};x-o-m=1;x-o-c=c2`);
      expect(order.headers["x-note-host"]).toBe(`${list};x-o-m=1;x-o-c=c2`);
      expect(order.headers["x-note-multi"]).toBe(`1|2,1,${list};x-o-m=1;x-o-m=2`);
      expect(order.headers["x-note-set-multi"]).toBe(`one,${list};x-o-m=one`);
      expect(order.headers["x-note-removed-multi"]).toBe(`0,${list}`);
      expect(order.headers["x-note-multi-host"]).toBe(list);
      expect(order.headers["x-note-pseudo"]).toBe(
        "/edits/order/rewritten,:authority;:method;:scheme;:path,1",
      );
      expect(order.headers["x-note-pseudo-host"]).toBe(":authority;:method;:scheme;:path");
      expect(order.upstream?.path).toBe("/edits/order/rewritten");
      const edits = await t.request("/reads/edits", {
        headers: { "x-e-a": "1", "x-e-b": "2", "x-e-c": "3" },
      });
      const after = "x-e-a=new;x-e-d=4;x-e-upper=u;x-e-c=c2";
      expect(edits.headers["x-note-edits"]).toBe(`1,2,new,<null>,u,4,${after}`);
      expect(edits.headers["x-note-edits-host"]).toBe(after);
      const unsure = await t.request("/reads/edits-unsure", { headers: { "x-e-a": "1" } });
      expect(unsure.headers["x-note-unsure"]).toBe("1,1|2,/reads/rewritten,");
      expect(unsure.upstream?.headers["x-e-a"]).toBe("1, 2");
      const across = await t.request("/reads/across", { headers: { "x-e-a": "1", "x-e-b": "2" } });
      expect(across.headers["x-note-across-headers"]).toBe("1,2,1");
      expect(across.headers["x-note-across-tick"]).toBe("1,1,x-e-a=1;x-e-b=2;x-e-across=1");
    },
  },
  {
    name: "proxy_get_header_map_size is the byte size, num_headers the count",
    quirk: "Envoy returns map->byteSize() (names plus values), not the number of entries",
    async run(t) {
      const res = await t.request("/headers/size");
      expect(res.headers["x-note-size-is-bytes"]).toBe("yes");
      expect(res.headers["x-note-count-matches"]).toBe("yes");
      expect(res.headers["x-note-block-matches"]).toBe("yes");
    },
  },
  {
    name: "set_header_map_pairs replaces the whole map",
    async run(t) {
      const res = await t.request("/headers/set-pairs", { headers: { "x-orig": "kept" } });
      expect(res.headers["x-note-set-status"]).toBe("0");
      expect(res.upstream?.headers["x-set-pairs"]).toBe("yes");
      expect(res.upstream?.headers["x-orig"]).toBe("kept");
      expect(res.upstream?.path).toBe("/headers/set-pairs");
    },
  },
  {
    name: "a missing header is NotFound",
    async run(t) {
      const res = await t.request("/headers/missing");
      expect(res.headers["x-note-missing-status"]).toBe("1");
    },
  },
  {
    name: "response headers do not exist yet in onRequestHeaders",
    async run(t) {
      const res = await t.request("/headers/response-map-early");
      expect(res.headers["x-note-resp-get-status"]).toBe("2");
      expect(res.headers["x-note-resp-size"]).toBe("-2");
    },
  },
  {
    name: "request headers are gone once onRequestHeaders returned Continue",
    quirk:
      "Envoy drops its request-header pointer when the filter continues: later reads are " +
      "BadArgument and pairs are empty, even in onResponseHeaders",
    async run(t) {
      const res = await t.request("/headers/request-map-late", { method: "POST", body: "abc" });
      expect(res.headers["x-note-late-status"]).toBe("2");
      expect(res.headers["x-note-req-in-resp-status"]).toBe("2");
      expect(res.headers["x-note-req-pairs-in-resp"]).toBe("0");
    },
  },
  {
    name: "end_of_stream is set on headers of a request without body",
    async run(t) {
      const get = await t.request("/headers/eos");
      expect(get.headers["x-note-headers-eos"]).toBe("yes");
      const post = await t.request("/headers/eos", { method: "POST", body: "x" });
      expect(post.headers["x-note-headers-eos"]).toBe("no");
    },
  },
  {
    name: "adds a response header the client receives",
    async run(t) {
      const res = await t.request("/headers/response-add");
      expect(res.headers["x-response-added"]).toBe("yes");
    },
  },
  {
    name: "replaces a response header",
    async run(t) {
      const res = await t.request("/headers/response-replace");
      expect(res.headers["content-type"]).toBe("text/x-conformance");
    },
  },
  {
    name: "removes a response header",
    async run(t) {
      const res = await t.request("/headers/response-remove");
      expect(res.headers["content-type"]).toBeUndefined();
      expect(res.status).toBe(200);
    },
  },
];

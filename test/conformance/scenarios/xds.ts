// xds.node and xds.upstream_host_metadata: the bootstrap's node (id, cluster, metadata) and the
// chosen endpoint's metadata, read by the edge probe in every callback. Envoy's node is about
// 60 KB (its build and every extension it has), so the probe logs only its first 1 KiB, which holds
// the fields a bootstrap sets; this file decodes those.

import { expect } from "vitest";
import type { Scenario } from "../harness.ts";
import { CALLBACKS, type Read, readAttributes } from "./attributes.ts";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The top-level fields of a (possibly cut) protobuf message: field number → payloads of the
 *  length-delimited ones, and the varint / 64-bit ones as numbers. Stops where the cut falls. */
function fields(bytes: Uint8Array): Map<number, Array<Uint8Array | number>> {
  const out = new Map<number, Array<Uint8Array | number>>();
  let at = 0;
  const varint = (): number => {
    let n = 0;
    let scale = 1;
    for (;;) {
      const b = bytes[at++];
      if (b === undefined) throw new RangeError("cut");
      n += (b & 0x7f) * scale;
      if (b < 0x80) return n;
      scale *= 128;
    }
  };
  try {
    while (at < bytes.length) {
      const tag = varint();
      const num = Math.floor(tag / 8);
      let item: Uint8Array | number;
      if ((tag & 7) === 2) {
        const len = varint();
        if (at + len > bytes.length) break;
        item = bytes.subarray(at, at + len);
        at += len;
      } else if ((tag & 7) === 1) {
        item = new DataView(bytes.buffer, bytes.byteOffset + at, 8).getFloat64(0, true);
        at += 8;
      } else {
        item = varint();
      }
      out.set(num, [...(out.get(num) ?? []), item]);
    }
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
  }
  return out;
}

const utf8 = (b: Uint8Array | number | undefined) =>
  b instanceof Uint8Array ? Buffer.from(b).toString("utf8") : undefined;

/** google.protobuf.Value / Struct as JSON. */
function jsonOf(b: Uint8Array): Json {
  const f = fields(b);
  if (f.has(1)) return null;
  if (f.has(2)) return f.get(2)?.[0] as number;
  if (f.has(3)) return utf8(f.get(3)?.[0]) ?? "";
  if (f.has(4)) return f.get(4)?.[0] === 1;
  if (f.has(5)) return structOf(f.get(5)?.[0] as Uint8Array);
  return ((fields(f.get(6)?.[0] as Uint8Array).get(1) ?? []) as Uint8Array[]).map(jsonOf);
}

function structOf(b: Uint8Array): { [key: string]: Json } {
  const out: { [key: string]: Json } = {};
  for (const entry of (fields(b).get(1) ?? []) as Uint8Array[]) {
    const e = fields(entry);
    out[utf8(e.get(1)?.[0]) ?? ""] = jsonOf(e.get(2)?.[0] as Uint8Array);
  }
  return out;
}

/** The node fields a bootstrap sets, and the user agent name. */
function node(r: Read) {
  expect(r.status).toBe(0);
  const f = fields(new Uint8Array(r.bytes));
  const metadata = f.get(3)?.[0];
  return {
    id: utf8(f.get(1)?.[0]) ?? "",
    cluster: utf8(f.get(2)?.[0]) ?? "",
    metadata: metadata instanceof Uint8Array ? structOf(metadata) : {},
    userAgentName: utf8(f.get(6)?.[0]),
  };
}

/** envoy.config.core.v3.Metadata's filter_metadata as JSON. */
function hostMetadata(r: Read) {
  expect(r.status).toBe(0);
  const out: { [ns: string]: Json } = {};
  for (const entry of (fields(new Uint8Array(r.bytes)).get(1) ?? []) as Uint8Array[]) {
    const e = fields(entry);
    out[utf8(e.get(1)?.[0]) ?? ""] = structOf(e.get(2)?.[0] as Uint8Array);
  }
  return out;
}

export const xdsScenarios: Scenario[] = [
  {
    name: "attributes: xds.node is the bootstrap's node in every callback; xds.upstream_host_metadata the chosen endpoint's metadata",
    setup: {
      module: "edges",
      node: { id: "probe-node", cluster: "probe-cluster", metadata: { team: "edge", tier: 2 } },
      upstreamHostMetadata: { meshwasm: { zone: "a", canary: true } },
    },
    async run(t) {
      const { read } = await readAttributes(t);
      for (const cb of CALLBACKS) {
        expect(node(read(cb, "xds.node")), cb).toEqual({
          id: "probe-node",
          cluster: "probe-cluster",
          metadata: { team: "edge", tier: 2 },
          userAgentName: "envoy",
        });
      }
      expect(read("request_headers", "xds.upstream_host_metadata").status).toBe(1);
      for (const cb of ["request_body", "response_headers", "log"] as const) {
        expect(hostMetadata(read(cb, "xds.upstream_host_metadata")), cb).toEqual({
          meshwasm: { zone: "a", canary: true },
        });
      }
    },
  },
  {
    name: "attributes: without a node in the bootstrap xds.node has no id or cluster; a host without metadata does not serialize",
    setup: { module: "edges" },
    async run(t) {
      const { read } = await readAttributes(t);
      expect(node(read("request_headers", "xds.node"))).toEqual({
        id: "",
        cluster: "",
        metadata: {},
        userAgentName: "envoy",
      });
      expect(read("request_headers", "xds.upstream_host_metadata").status).toBe(1);
      expect(read("request_body", "xds.upstream_host_metadata").status).toBe(3);
    },
  },
];

// The few protobuf messages the test host serves as attributes, encoded as Envoy serializes them:
// google.protobuf.Struct (node and endpoint metadata), envoy.config.core.v3.Node (the fields a
// bootstrap sets, and the user agent name) and envoy.config.core.v3.Metadata. Written here
// rather than pulled from a protobuf library: four message shapes, a handful of lines.

import type { HostMetadata, JsonValue, NodeInfo } from "../connection-manager.ts";

const encoder = new TextEncoder();

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/** A length-delimited field. */
function field(num: number, bytes: Uint8Array | number[]): number[] {
  return [...varint((num << 3) | 2), ...varint(bytes.length), ...bytes];
}

function text(num: number, value: string): number[] {
  return field(num, encoder.encode(value));
}

/** google.protobuf.Value */
function value(v: JsonValue): number[] {
  if (v === null) return [(1 << 3) | 0, 0];
  if (typeof v === "number") {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    return [(2 << 3) | 1, ...b];
  }
  if (typeof v === "string") return text(3, v);
  if (typeof v === "boolean") return [(4 << 3) | 0, v ? 1 : 0];
  if (Array.isArray(v))
    return field(
      6,
      v.flatMap((item) => field(1, value(item))),
    );
  return field(5, struct(v));
}

/** google.protobuf.Struct: one map entry per key, in key order. */
export function struct(fields: Record<string, JsonValue>): number[] {
  return Object.keys(fields)
    .sort()
    .flatMap((k) => field(1, [...text(1, k), ...field(2, value(fields[k] as JsonValue))]));
}

/** envoy.config.core.v3.Node as Envoy serves it for `xds.node`: id, cluster and metadata as the
 *  bootstrap sets them, user_agent_name "envoy". (Envoy also lists its build version and every
 *  extension it has, about 60 KB in 1.40; the test host leaves those out.) */
export function nodeMessage(node: NodeInfo): Uint8Array {
  const out: number[] = [];
  if (node.id) out.push(...text(1, node.id));
  if (node.cluster) out.push(...text(2, node.cluster));
  if (node.metadata && Object.keys(node.metadata).length > 0)
    out.push(...field(3, struct(node.metadata)));
  out.push(...text(6, "envoy"));
  return Uint8Array.from(out);
}

/** envoy.config.core.v3.Metadata with its filter_metadata. */
export function metadataMessage(metadata: HostMetadata): Uint8Array {
  return Uint8Array.from(
    Object.keys(metadata)
      .sort()
      .flatMap((ns) => field(1, [...text(1, ns), ...field(2, struct(metadata[ns] ?? {}))])),
  );
}

// Plain TypeScript statements of what header-router decides, for the tests to hold the module
// to: the split's sticky hash and bucket choice, and the stats_tags its envoy.yaml ships.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import type { StatsTag } from "../../../src/plugin.ts";
import { FILTER_DIR } from "./module.ts";

/** 32-bit FNV-1a over the UTF-8 bytes, then MurmurHash3's finalizer (as actions.ts). */
export function stickyHash(key: string | Uint8Array): number {
  const bytes = typeof key === "string" ? Buffer.from(key, "utf8") : key;
  let h = 0x811c9dc5;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** The bucket value a split with `buckets` gives `key`. */
export function bucketOf(
  key: string | Uint8Array,
  buckets: Array<{ value: string; weight: number }>,
): string {
  const total = buckets.reduce((a, b) => a + b.weight, 0);
  const point = stickyHash(key) % total;
  let end = 0;
  for (const b of buckets) {
    end += b.weight;
    if (point < end) return b.value;
  }
  throw new Error("unreachable: the point is below the total");
}

/** The bootstrap stats_tags filters/header-router/envoy.yaml ships. */
export function shippedStatsTags(): StatsTag[] {
  const doc = parse(readFileSync(join(FILTER_DIR, "envoy.yaml"), "utf8")) as {
    stats_config: { stats_tags: Array<{ tag_name: string; regex: string }> };
  };
  return doc.stats_config.stats_tags.map((t) => ({ tagName: t.tag_name, regex: t.regex }));
}

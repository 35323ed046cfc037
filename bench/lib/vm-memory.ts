// Linear memory of each Wasm VM in a running Envoy, read from outside through /proc/<pid>/smaps.
//
// V8 reserves a large address range per Wasm memory (8 GiB on 64-bit, for bounds checks by
// guard pages) and makes only its first part, the linear memory, readable and writable. So each
// VM shows up as a read-write mapping followed directly by a big inaccessible one: the
// read-write mapping's size is the module's linear memory, its Rss the pages touched.

import { readFileSync } from "node:fs";

export interface VmMemory {
  /** Start address of the linear memory (stable for a VM's life: names it across samples). */
  address: string;
  /** Linear memory size in bytes (grows by 64 KiB pages, never shrinks). */
  bytes: number;
  /** Resident bytes of it. */
  rssBytes: number;
}

interface Mapping {
  start: bigint;
  end: bigint;
  perms: string;
  rssKb: number;
}

/** Reservations at least this large are taken for Wasm memories. */
const RESERVATION = 4n << 30n;

function mappings(pid: number): Mapping[] {
  const out: Mapping[] = [];
  let current: Mapping | null = null;
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) /.exec(line);
    if (head) {
      current = {
        start: BigInt(`0x${head[1]}`),
        end: BigInt(`0x${head[2]}`),
        perms: head[3] as string,
        rssKb: 0,
      };
      out.push(current);
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && current) current.rssKb = Number(rss[1]);
  }
  return out;
}

/** Every Wasm VM's linear memory in process `pid`, by address. */
export function wasmMemories(pid: number): VmMemory[] {
  const maps = mappings(pid);
  const out: VmMemory[] = [];
  for (let i = 1; i < maps.length; i++) {
    const guard = maps[i] as Mapping;
    const memory = maps[i - 1] as Mapping;
    if (guard.perms !== "---p" || guard.end - guard.start < RESERVATION) continue;
    if (memory.end !== guard.start || !memory.perms.startsWith("rw")) continue;
    out.push({
      address: memory.start.toString(16),
      bytes: Number(memory.end - memory.start),
      rssBytes: memory.rssKb * 1024,
    });
  }
  return out;
}

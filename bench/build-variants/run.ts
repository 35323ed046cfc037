// `npm run bench:build`: measures the build variants side by side in real Envoy, to choose
// the optimization level and the AssemblyScript runtime (the minimal one collects by the
// policy in assembly/collect.ts). For each variant, in alternating
// rounds: module size, Envoy CPU time per 10,000 requests (from /proc), and the module's
// linear memory after 1,000 and after every further round of requests (must not grow).

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { compileFilter, type OptimizeLevel, type RuntimeVariant } from "../../src/build/compile.ts";
import { buildBootstrap, startEnvoy } from "../../src/envoy/index.ts";

const VARIANTS: [OptimizeLevel, RuntimeVariant][] = [
  ["O3", "incremental"],
  ["O3", "minimal"],
  ["Oz", "incremental"],
  ["Oz", "minimal"],
];
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const REQUESTS = Number(process.env.REQUESTS ?? 10_000);

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return Number(fields[11]) + Number(fields[12]);
}

async function drive(url: string, n: number): Promise<void> {
  const header = "v".repeat(200);
  for (let i = 0; i < n; i += 50) {
    await Promise.all(
      Array.from({ length: 50 }, (_, j) =>
        fetch(`${url}/probe/${i + j}`, { headers: { "x-pad": header } }).then((r) =>
          r.arrayBuffer(),
        ),
      ),
    );
  }
}

async function pagesOf(prometheus: string): Promise<number> {
  const line = prometheus.split("\n").find((l) => l.startsWith("build_probe_memory_pages"));
  return Number(line?.split(" ").pop() ?? Number.NaN);
}

interface Row {
  name: string;
  bytes: number;
  ticks: number[];
  pages: number[];
}

const rows: Row[] = [];
for (const [optimize, runtime] of VARIANTS) {
  const outFile = resolve(`bench/.work/build-variants/${optimize}-${runtime}.wasm`);
  const built = await compileFilter({
    entry: "bench/build-variants/assembly/index.ts",
    outFile,
    optimize,
    runtime,
  });
  rows.push({ name: `-${optimize} ${runtime}`, bytes: built.bytes, ticks: [], pages: [] });
}

for (let round = 0; round < ROUNDS; round++) {
  for (const [i, [optimize, runtime]] of VARIANTS.entries()) {
    const row = rows[i] as Row;
    const envoy = await startEnvoy({
      config: buildBootstrap({
        generateRequestId: false,
        upstream: { kind: "direct", status: 200, body: "ok" },
        wasmFilters: [
          {
            name: "probe",
            rootId: "probe",
            vmId: "probe",
            wasmPath: resolve(`bench/.work/build-variants/${optimize}-${runtime}.wasm`),
          },
        ],
      }),
      logLevel: "warning",
      componentLogLevel: "wasm:warning",
    });
    try {
      await drive(envoy.listenerUrl, 1_000);
      if (round === 0) row.pages.push(await pagesOf(await envoy.prometheus()));
      const before = cpuTicks(envoy.pid);
      await drive(envoy.listenerUrl, REQUESTS);
      row.ticks.push(cpuTicks(envoy.pid) - before);
      row.pages.push(await pagesOf(await envoy.prometheus()));
    } finally {
      await envoy.stop();
    }
  }
}

const median = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const base = median((rows[0] as Row).ticks);
console.log(
  `${ROUNDS} alternating rounds of ${REQUESTS} requests per variant (CPU in 1/100 s ticks)`,
);
console.log(
  "variant                 bytes   CPU ticks median (min-max)   vs -O3 incr.   memory pages",
);
for (const row of rows) {
  const m = median(row.ticks);
  console.log(
    `${row.name.padEnd(20)} ${String(row.bytes).padStart(8)}   ${String(m).padStart(5)} (${Math.min(...row.ticks)}-${Math.max(...row.ticks)})` +
      `          ${(m / base).toFixed(2)}x        ${row.pages.join(", ")}`,
  );
}

// npm run bench:host — requests per second through examples/hello in the TypeScript host,
// single-threaded. Two figures: the step-by-step stream API (what a unit test drives), and
// host.request() (the whole exchange with the built-in echo upstream).

import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { compileFilter } from "../src/build/compile.ts";
import { createHost, type Host } from "../src/testing/index.ts";

const ROOT = resolve(fileURLToPath(import.meta.url), "..", "..");
const WARMUP_MS = 1_000;
const ROUNDS = 7;
const ROUND_MS = 1_000;
const MEASURE_MS = 3_000;

function streamOnce(host: Host, i: number): void {
  const s = host.stream();
  s.requestHeaders(
    { ":method": "GET", ":path": `/bench/${i & 1023}`, ":authority": "bench", ":scheme": "http" },
    { endOfStream: true },
  );
  s.responseHeaders({ ":status": "200", "content-length": "0" }, { endOfStream: true });
  s.complete();
}

/**
 * Runs `run` in rounds after a warm-up and reports, per round, requests per wall-clock second
 * and per CPU second of this process (user + system). The machine is shared: wall-clock
 * figures drop when other processes take the cores, CPU-second figures show what one core does.
 */
function measureSync(
  label: string,
  run: (i: number) => void,
): { wall: number; cpu: number; bestWall: number } {
  let i = 0;
  const warmEnd = performance.now() + WARMUP_MS;
  while (performance.now() < warmEnd) run(i++);
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    let n = 0;
    let now = start;
    while (now - start < ROUND_MS) {
      for (let k = 0; k < 1000; k++) run(i + n++);
      now = performance.now();
    }
    const used = process.cpuUsage(cpuStart);
    i += n;
    wall.push(n / ((now - start) / 1000));
    cpu.push(n / ((used.user + used.system) / 1e6));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const result = { wall: median(wall), cpu: median(cpu), bestWall: Math.max(...wall) };
  console.log(
    `${label.padEnd(34)} ${fmt(result.cpu)} req per CPU-second; wall clock median ${fmt(result.wall)} req/s, best ${fmt(result.bestWall)} (${ROUNDS} rounds of ${ROUND_MS} ms)`,
  );
  return result;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

async function measureAsync(label: string, run: (i: number) => Promise<unknown>): Promise<number> {
  let i = 0;
  const warmEnd = performance.now() + WARMUP_MS;
  while (performance.now() < warmEnd) await run(i++);
  const start = performance.now();
  let n = 0;
  let now = start;
  while (now - start < MEASURE_MS) {
    for (let k = 0; k < 200; k++) await run(n++);
    now = performance.now();
  }
  const rps = n / ((now - start) / 1000);
  console.log(
    `${label.padEnd(34)} ${Math.round(rps).toLocaleString("en-US")} req/s (${n} requests)`,
  );
  return rps;
}

const wasm = join(ROOT, "build", "bench-host", "hello.wasm");
await compileFilter({
  entry: join(ROOT, "examples", "hello", "assembly", "index.ts"),
  outFile: wasm,
});
const options = {
  module: wasm,
  rootId: "hello",
  configuration: { header: "x-hello", value: "bench" },
};

const streamHost = await createHost(options);
const stream = measureSync("hello, stream API (headers only)", (i) => streamOnce(streamHost, i));
const probe = streamHost.stream();
probe.requestHeaders({ ":method": "GET", ":path": "/", ":authority": "b", ":scheme": "http" });
probe.responseHeaders({ ":status": "200" });
if (probe.downstream.headers?.get("x-hello") !== "bench")
  throw new Error("hello did not add its header");
if (streamHost.counter("hello_requests") < 1000) throw new Error("hello_requests did not count");

const exchangeHost = await createHost(options);
await measureAsync("hello, host.request() with echo", (i) =>
  exchangeHost.request({ path: `/r/${i & 1023}` }),
);

console.log(
  `\nbench:host ${fmt(stream.cpu)} requests per CPU-second single-threaded (wall clock: median ${fmt(stream.wall)}, best ${fmt(stream.bestWall)} req/s; target 100,000)`,
);

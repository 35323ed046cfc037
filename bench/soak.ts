// `npm run soak`: the full chain in real Envoy under load for a while (default 10 minutes, two
// workers), a mix of good and bad requests; prints a line per window (rate, errors, latency,
// Envoy's RSS, each VM's linear memory) and a summary against the targets: zero errors and
// flat memory per VM. Options: --minutes M | --seconds S, --window S, --concurrency N,
// --connections N, --interval MS, --json (the whole report as JSON at the end).

import { parseArgs } from "node:util";
import { benchArgs, numberOption } from "./lib/cli.ts";
import { DEFAULT_SOAK, runSoak, type SoakWindow } from "./lib/soak.ts";

const me = import.meta.url;
const { values } = benchArgs(me, () =>
  parseArgs({
    options: {
      minutes: { type: "string" },
      seconds: { type: "string" },
      window: { type: "string" },
      concurrency: { type: "string" },
      connections: { type: "string" },
      interval: { type: "string" },
      json: { type: "boolean", default: false },
    },
  }),
);

function number(name: string, value: string | undefined, fallback: number, min: number): number {
  return numberOption(me, name, value, fallback, {
    min,
    integer: name === "concurrency" || name === "connections",
  });
}

const seconds =
  values.seconds !== undefined
    ? number("seconds", values.seconds, DEFAULT_SOAK.seconds, 5)
    : number("minutes", values.minutes, DEFAULT_SOAK.seconds / 60, 0.1) * 60;
const windowSeconds = number(
  "window",
  values.window,
  Math.min(DEFAULT_SOAK.windowSeconds, seconds / 4),
  1,
);
const mib = (b: number) => (b / 1048576).toFixed(2);

function row(w: SoakWindow): string {
  const vms = w.vms.map((v) => `${mib(v.bytes)}/${mib(v.rssBytes)}`).join(" ");
  return `${String(w.t).padStart(5)} s  ${String(w.rps).padStart(5)} rps  ${String(w.errors).padStart(4)} err  p50 ${w.p50Ms.toFixed(1).padStart(6)} ms  p99 ${w.p99Ms.toFixed(1).padStart(6)} ms  RSS ${w.envoyRssMiB.toFixed(1)} MiB  VMs (MiB size/rss) ${vms}`;
}

const options = {
  seconds,
  windowSeconds,
  concurrency: number("concurrency", values.concurrency, DEFAULT_SOAK.concurrency, 1),
  connections: number("connections", values.connections, DEFAULT_SOAK.connections, 1),
  intervalMs: number("interval", values.interval, DEFAULT_SOAK.intervalMs, 0),
};
console.error(
  `soak: the chain in Envoy (--concurrency ${options.concurrency}) for ${seconds} s, ${options.connections} connections, ${options.intervalMs} ms between requests per connection`,
);
const report = await runSoak({ ...options, onWindow: (w) => console.error(row(w)) });
const grown = report.memory.filter((m) => m.lastBytes > m.firstBytes);
if (values.json) console.log(JSON.stringify(report, null, 2));
console.error("");
console.error(`requests ${report.requests}, errors ${report.errors}`);
for (const e of report.errorSamples) console.error(`  ${e}`);
console.error(`p99 drift (last window / the first after warm-up): ${report.p99Drift}x`);
for (const m of report.memory) {
  console.error(
    `  VM ${m.address}: linear memory ${mib(m.firstBytes)} -> ${mib(m.lastBytes)} MiB, resident ${mib(m.firstRss)} -> ${mib(m.lastRss)} MiB`,
  );
}
console.error(`zero errors: ${report.errors === 0 ? "met" : "NOT met"}`);
console.error(
  `flat memory per VM (no growth after the warm-up, the first fifth of the run): ${grown.length === 0 ? "met" : "NOT met"}`,
);
process.exitCode = report.errors === 0 && grown.length === 0 ? 0 : 1;

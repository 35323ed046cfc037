// `npm run bench:guest -- --only REGEX [--requests N] [--entry PATH]`: what a meshwasm bench
// module does inside the VM per request, measured in the test host (the guest's code is the
// same wherever it runs; the host's cost is what bench:profile measures in Envoy).
//
// The module is compiled a second time with AssemblyScript's runtime hooks on
// (`--use ASC_RTRACE=1 --use ASC_PROFILE=1`): the runtime then calls `rtrace.onalloc` for every
// heap block (managed objects and the blocks the host's malloc takes), `rtrace.oninterrupt` for
// every incremental collection step the allocator triggers (incremental runtime only),
// `rtrace.oncollect` for every full collection (the default minimal runtime) and
// `rtrace.onvisit` for every object marked (the build also reports every load and store,
// passed through here).
// Those imports exist only in this build, which Envoy would refuse, so it
// runs in the test host with the imports added here. Per request it prints host calls by name,
// callbacks, heap allocations, collection steps and objects marked.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { asc } from "../src/build/asc.ts";
import { compilerArgs } from "../src/build/compile.ts";
import { exportedCallbacks } from "../src/build/for-config.ts";
import { createHost } from "../src/testing/index.ts";
import { WA } from "../src/testing/wasm-api.ts";
import { callbackBits, STREAM_CALLBACKS } from "../transform/callbacks.mjs";
import { benchArgs, numberOption, patternOption, refuse } from "./lib/cli.ts";
import { benchDir, builders, EXPORT_ALL, FOR_CONFIG, SAME_MODULE, workDir } from "./lib/peers.ts";
import { hookRuntimeTrace } from "./lib/rtrace.ts";
import { requestShape, scenarios } from "./scenarios.ts";

const me = import.meta.url;
const { values } = benchArgs(me, () =>
  parseArgs({
    options: {
      only: { type: "string" },
      requests: { type: "string" },
      // Another version of the module's entry (to measure a change against a checkout of main).
      entry: { type: "string" },
    },
  }),
);
const only = patternOption(me, "only", values.only) ?? refuse(me, "--only REGEX is required");
const n = numberOption(me, "requests", values.requests, 2000, { min: 1, integer: true });

const counts = hookRuntimeTrace();

for (const s of scenarios.filter((x) => x.peer === "meshwasm" && only.test(x.name))) {
  const exportAll = EXPORT_ALL[s.work];
  const source = exportAll ?? SAME_MODULE[s.work] ?? s.work;
  const entry = values.entry ?? join(benchDir, "peers", "meshwasm", source, "index.ts");
  const outFile = join(workDir, "guest", `${s.work}.wasm`);
  // A module the bench builds for its configuration leaves callbacks out (proxy_on_delete too
  // when its root keeps no stream state): the traced build leaves out the same ones, read
  // from the module the bench runs, so the test host enters it as Envoy does.
  let prunedCallbacks: number | undefined;
  if (FOR_CONFIG[s.work] !== undefined && values.entry === undefined) {
    const shipped = (await builders.meshwasm([s.work], () => {})).get(s.work) as string;
    const kept = exportedCallbacks(readFileSync(shipped));
    prunedCallbacks = callbackBits(STREAM_CALLBACKS.filter((name) => !kept.includes(name)));
  }
  const args = [
    ...compilerArgs({
      entry,
      outFile,
      exportAll: exportAll !== undefined,
      ...(prunedCallbacks === undefined ? {} : { prunedCallbacks }),
    }),
    "--use",
    "ASC_RTRACE=1",
    "--use",
    "ASC_PROFILE=1",
  ];
  let output = "";
  const sink = {
    write: (c: string | Uint8Array) => {
      output += String(c);
    },
  };
  const result = await asc.main(args, { stdout: sink, stderr: sink });
  if (result.error) throw new Error(`compiling ${entry}: ${output}`);
  const module = await WA.compile(readFileSync(outFile));
  const host = await createHost({
    module,
    rootId: s.rootId ?? s.work,
    configuration: s.configuration,
  });
  const shape = requestShape(s.work);
  const send = () => {
    const st = host.stream();
    st.requestHeaders(
      {
        ":method": shape.method,
        ":path": "/bench",
        ":authority": "bench",
        ":scheme": "http",
        "user-agent": "wrk",
        ...shape.headers,
      },
      { endOfStream: shape.body === undefined },
    );
    if (shape.body !== undefined) st.requestBody(shape.body, { endOfStream: true });
    st.responseHeaders({ ":status": "200", "content-length": "2" }, { endOfStream: true });
    st.complete();
  };
  for (let i = 0; i < 200; i++) send(); // warm: first requests set up tables
  const before = { ...counts };
  const hostBefore = new Map(host.coverage.hostCalls);
  for (let i = 0; i < n; i++) send();
  const per = (k: keyof typeof counts) => ((counts[k] - before[k]) / n).toFixed(2);
  console.log(
    `${s.name}: per request ${per("alloc")} heap allocations, ${per("interrupt")} collection ` +
      `steps, ${per("visit")} objects marked, ${per("collect")} full collections`,
  );
  for (const [name, count] of host.coverage.hostCalls) {
    const d = (count - (hostBefore.get(name) ?? 0)) / n;
    if (d > 0) console.log(`  ${d.toFixed(2).padStart(6)}  ${name}`);
  }
  host.close();
}

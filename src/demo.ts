// `npm start`: shows examples/hello working through real Envoy and prints what happened.
//
// Expects build/hello.wasm (npm start builds it first). Starts the echo upstream and Envoy
// on 127.0.0.1, sends a few requests, prints the response headers, what the upstream saw
// and the filter's metric as Prometheus shows it, then stops everything.

import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { buildBootstrap, envoyVersion, startEchoUpstream, startEnvoy } from "./envoy/index.ts";

async function main(): Promise<number> {
  const wasmPath = resolve("build/hello.wasm");
  if (!existsSync(wasmPath)) {
    console.error(`${wasmPath} is missing: run npm run build first`);
    return 1;
  }
  const configuration = JSON.stringify({ header: "x-hello", value: "from meshwasm" });
  console.log(`Envoy ${envoyVersion()} with build/hello.wasm, configuration ${configuration}`);
  const echo = await startEchoUpstream();
  const envoy = await startEnvoy({
    config: buildBootstrap({
      upstream: { kind: "cluster", port: echo.port },
      wasmFilters: [{ name: "hello", rootId: "hello", vmId: "hello", wasmPath, configuration }],
    }),
  });
  try {
    console.log(`listening on ${envoy.listenerUrl} (admin ${envoy.adminUrl})\n`);
    for (const path of ["/", "/orders/42", "/search?q=envoy"]) {
      const res = await fetch(`${envoy.listenerUrl}${path}`, { headers: { "x-demo": "yes" } });
      const seen = (await res.json()) as {
        method: string;
        path: string;
        headers: Record<string, string>;
      };
      console.log(`GET ${path} -> ${res.status}, x-hello: ${res.headers.get("x-hello")}`);
      console.log(`  upstream saw ${seen.method} ${seen.path}, x-demo: ${seen.headers["x-demo"]}`);
    }
    let metric = "";
    for (let i = 0; i < 50 && !/^hello_requests\S* 3$/m.test(metric); i++) {
      metric = await envoy.prometheus();
      await new Promise((r) => setTimeout(r, 100));
    }
    const line = metric.split("\n").find((l) => l.startsWith("hello_requests"));
    console.log(`\n/stats/prometheus: ${line ?? "hello_requests not found"}`);
    const logLine = envoy
      .logs()
      .split("\n")
      .find((l) => l.includes("hello configured"));
    console.log(`Envoy log: ${logLine?.trim() ?? "(no configure line)"}`);
    return line?.endsWith(" 3") ? 0 : 1;
  } finally {
    await envoy.stop();
    await echo.close();
  }
}

process.exitCode = await main();

// What the chain reports, in real Envoy. The access-log line against Envoy's own: telemetry runs first, so a
// later filter (header-router here) may rewrite :path and :authority before the request
// leaves, and a later one (auth) may reply locally. Telemetry's method, path, authority and
// status must be what Envoy's access log reports for the same request (%REQ(:METHOD)%,
// %REQ(:PATH)%, %REQ(:AUTHORITY)%, %RESPONSE_CODE%): the request as it is at log time. And the
// stats: the four filters' shipped stats_tags merged (src/demo/chain-envoy.ts: auth's `reason`
// and telemetry's, rate-limit's `rule` and header-router's, each written in two styles) still
// turn every filter's names into its labels.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chainBootstrap, demoSecret, readChainConfig } from "../../src/demo/chain-envoy.ts";
import { chainModule } from "../../src/demo/modules.ts";
import {
  type EchoUpstream,
  type EnvoyProcess,
  startEchoUpstream,
  startEnvoy,
} from "../../src/envoy/index.ts";
import { hs256 } from "./helpers.ts";

const NATIVE_AND_WASM = {
  name: "envoy.access_loggers.stdout",
  typed_config: {
    "@type": "type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog",
    log_format: {
      json_format: {
        kind: "fields",
        method: "%REQ(:METHOD)%",
        path: "%REQ(:PATH)%",
        authority: "%REQ(:AUTHORITY)%",
        status: "%RESPONSE_CODE%",
        wasm: "%FILTER_STATE(wasm.meshwasm.access_log:PLAIN)%",
      },
    },
  },
};

/** Rewrites /v1/<x> to /v2/<x> and its authority, as a route rewrite would. */
const REWRITER = {
  allow_protected: [":path", ":authority"],
  rules: [
    {
      name: "v1-to-v2",
      match: { from: "path", segment_prefix: "/v1" },
      request_headers: [
        { set: ":path", value: "/v2/{path_segment:1}" },
        { set: ":authority", value: "rewritten.test" },
      ],
    },
  ],
};

interface Fields {
  method: string;
  path: string;
  authority: string;
  status: number;
  wasm: string;
}

describe("the chain's access-log fields and stats, against Envoy's own", () => {
  let envoy: EnvoyProcess;
  let stable: EchoUpstream;
  let canary: EchoUpstream;

  beforeAll(async () => {
    const chainWasm = await chainModule();
    stable = await startEchoUpstream();
    canary = await startEchoUpstream();
    const configuration = { ...readChainConfig(), "header-router": REWRITER };
    const bootstrap = chainBootstrap({
      mode: "chain",
      chainWasm,
      configuration,
      stablePort: stable.port,
      canaryPort: canary.port,
    }) as {
      static_resources: {
        listeners: { filter_chains: { filters: { typed_config: Record<string, unknown> }[] }[] }[];
      };
    };
    const hcm = bootstrap.static_resources.listeners[0]?.filter_chains[0]?.filters[0];
    if (!hcm) throw new Error("chainBootstrap: no connection manager");
    hcm.typed_config.access_log = [NATIVE_AND_WASM];
    envoy = await startEnvoy({
      config: bootstrap,
      componentLogLevel: "wasm:warn",
      startTimeoutMs: 60_000,
    });
  }, 600_000); // compiles the chain when npm run build has not
  afterAll(async () => {
    await envoy?.stop();
    await stable?.close();
    await canary?.close();
  });

  it("reports the method, path, authority and status Envoy logs, after a later filter's rewrite and for a local reply", async () => {
    const bearer = { authorization: `Bearer ${hs256(demoSecret(), { sub: "log-fields" })}` };
    const sent: [string, string, Record<string, string>][] = [
      ["GET", "/v1/items?x=1", bearer],
      ["POST", "/v1/orders", bearer],
      ["GET", "/plain", bearer],
      ["GET", "/v1/denied", {}], // auth replies 401 before header-router runs
    ];
    for (const [method, path, headers] of sent) {
      const res = await envoy.request(path, { method, headers });
      await res.text();
    }
    const fieldsLines = () =>
      envoy
        .logs()
        .split("\n")
        .filter((l) => l.includes('"kind":"fields"'));
    await expect.poll(() => fieldsLines().length, { timeout: 10_000 }).toBe(sent.length);
    const lines = fieldsLines().map((l) => JSON.parse(l.slice(l.indexOf("{"))) as Fields);
    for (const native of lines) {
      const wasm = JSON.parse(native.wasm) as Record<string, unknown>;
      expect({
        method: wasm.method,
        path: wasm.path,
        authority: wasm.authority,
        status: wasm.status,
      }).toEqual({
        method: native.method,
        path: native.path,
        authority: native.authority,
        status: Number(native.status),
      });
    }
    const paths = lines.map((l) => l.path);
    expect(paths).toEqual(["/v2/items", "/v2/orders", "/plain", "/v1/denied"]);
    expect(lines.map((l) => l.authority)).toContain("rewritten.test");
    expect(lines.map((l) => Number(l.status))).toEqual([200, 200, 200, 401]);
  });

  it("turns the stats names of all four filters into their labels with the merged stats_tags", async () => {
    const bearer = { authorization: `Bearer ${hs256(demoSecret(), { sub: "log-fields" })}` };
    // A method outside telemetry's list: its label value is dropped to "other" and counted with
    // a `reason` tag, the tag name auth uses too (in the other style).
    await (await envoy.request("/plain", { method: "PROPFIND", headers: bearer })).text();
    const text = await envoy.prometheus();
    const has = (line: RegExp) => expect(text).toMatch(line);
    has(/^auth_denied\{reason="missing"\} 1$/m);
    has(/^header_router_matched\{rule="v1-to-v2"\} 2$/m);
    has(/^ratelimit_allowed\{rule="per-user"\} \d+$/m);
    has(/^meshwasm_label_values_dropped\{service="demo",label="method",reason="not_allowed"\} 1$/m);
    has(
      /^meshwasm_requests_total\{code="401",method="GET",route="stable",cluster="stable",service="demo"\} 1$/m,
    );
    // No name keeps a tag in it: every `_rule=`, `_reason=` and `;name=` was cut out.
    expect(text).not.toMatch(/^[a-z_]+[=;][^{]*\{/m);
  });
});

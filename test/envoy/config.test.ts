// The bootstrap objects src/envoy/config.ts builds, checked field by field without starting
// Envoy (the real-Envoy scenarios check what Envoy does with them).

import { describe, expect, it } from "vitest";
import {
  buildBootstrap,
  staticCluster,
  WASM_RUNTIME_V8,
  wasmHttpFilter,
} from "../../src/envoy/config.ts";

const WASM_TYPE = "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm";
const STRING_VALUE = "type.googleapis.com/google.protobuf.StringValue";

describe("wasmHttpFilter", () => {
  it("runs modules on V8, by Envoy's name for it", () => {
    expect(WASM_RUNTIME_V8).toBe("envoy.wasm.runtime.v8");
  });

  it("writes every setting given, the failure policy included", () => {
    const filter = wasmHttpFilter({
      name: "auth",
      wasmPath: "/abs/auth.wasm",
      rootId: "root",
      vmId: "vm",
      configuration: { a: 1 },
      vmConfiguration: "vm-conf",
      environment: { K: "v" },
      failurePolicy: "FAIL_OPEN",
      allowOnHeadersStopIteration: true,
    });
    expect(filter).toEqual({
      name: "auth",
      typed_config: {
        "@type": WASM_TYPE,
        config: {
          name: "auth",
          root_id: "root",
          failure_policy: "FAIL_OPEN",
          allow_on_headers_stop_iteration: true,
          configuration: { "@type": STRING_VALUE, value: '{"a":1}' },
          vm_config: {
            runtime: WASM_RUNTIME_V8,
            vm_id: "vm",
            code: { local: { filename: "/abs/auth.wasm" } },
            configuration: { "@type": STRING_VALUE, value: "vm-conf" },
            environment_variables: { key_values: { K: "v" } },
          },
        },
      },
    });
  });

  it("writes FAIL_CLOSED when no policy is given, and nothing for unset options", () => {
    const filter = wasmHttpFilter({ name: "f", wasmPath: "/abs/f.wasm" });
    // Strict: an option left unset writes no key at all (not one holding undefined).
    expect(filter).toStrictEqual({
      name: "f",
      typed_config: {
        "@type": WASM_TYPE,
        config: {
          name: "f",
          failure_policy: "FAIL_CLOSED",
          vm_config: { runtime: WASM_RUNTIME_V8, code: { local: { filename: "/abs/f.wasm" } } },
        },
      },
    });
  });

  it.each(["FAIL_CLOSED", "FAIL_OPEN", "FAIL_RELOAD"] as const)("carries %s", (policy) => {
    const filter = wasmHttpFilter({ name: "f", wasmPath: "/abs/f.wasm", failurePolicy: policy });
    const config = (filter.typed_config as { config: Record<string, unknown> }).config;
    expect(config.failure_policy).toBe(policy);
  });

  it("writes a remote module pinned by sha256, with its timeout", () => {
    const sha256 = "a".repeat(64);
    const filter = wasmHttpFilter({
      name: "r",
      remote: { uri: "https://modules.test/f.wasm", cluster: "modules", sha256, timeoutSeconds: 3 },
    });
    const config = (filter.typed_config as { config: { vm_config: Record<string, unknown> } })
      .config;
    expect(config.vm_config.code).toEqual({
      remote: {
        http_uri: { uri: "https://modules.test/f.wasm", cluster: "modules", timeout: "3s" },
        sha256,
      },
    });
  });

  it("refuses bad module locations and policies, naming the field and value", () => {
    expect(() => wasmHttpFilter({ name: "f" })).toThrow(/wasm filter "f": give exactly one/);
    expect(() => wasmHttpFilter({ name: "f", wasmPath: "rel.wasm" })).toThrow(
      /wasmPath must be absolute, got rel\.wasm/,
    );
    expect(() =>
      wasmHttpFilter({
        name: "f",
        remote: { uri: "https://x/f.wasm", cluster: "c", sha256: "ABC" },
      }),
    ).toThrow(/remote\.sha256 must be 64 lower-case hex digits, got "ABC"/);
    expect(() =>
      wasmHttpFilter({
        name: "f",
        remote: { uri: "ftp://x/f.wasm", cluster: "c", sha256: "b".repeat(64) },
      }),
    ).toThrow(/remote\.uri must be an http\(s\) URL, got "ftp:\/\/x\/f\.wasm"/);
    expect(() =>
      wasmHttpFilter({
        name: "f",
        wasmPath: "/abs/f.wasm",
        failurePolicy: "FAIL_SOMETIMES" as "FAIL_OPEN",
      }),
    ).toThrow(/failurePolicy must be one of .*got "FAIL_SOMETIMES"/);
  });
});

describe("staticCluster", () => {
  it("is STATIC on an address, STRICT_DNS on a name, h2c when asked", () => {
    expect(staticCluster({ name: "c", port: 81 })).toEqual({
      name: "c",
      type: "STATIC",
      connect_timeout: "1s",
      load_assignment: {
        cluster_name: "c",
        endpoints: [
          {
            lb_endpoints: [
              {
                endpoint: { address: { socket_address: { address: "127.0.0.1", port_value: 81 } } },
              },
            ],
          },
        ],
      },
    });
    const dns = staticCluster({ name: "d", port: 82, host: "svc", http2: true });
    expect(dns.type).toBe("STRICT_DNS");
    expect(dns.typed_extension_protocol_options).toBeDefined();
  });
});

describe("buildBootstrap", () => {
  type Hcm = Record<string, unknown> & { http_filters: Array<{ name: string }> };
  function hcmOf(bootstrap: Record<string, unknown>): Hcm {
    const resources = bootstrap.static_resources as {
      listeners: Array<{ filter_chains: Array<{ filters: Array<{ typed_config: Hcm }> }> }>;
    };
    return resources.listeners[0]?.filter_chains[0]?.filters[0]?.typed_config as Hcm;
  }

  it("chains the wasm filters in order before the router, keeping each one's policy", () => {
    const bootstrap = buildBootstrap({
      wasmFilters: [
        { name: "one", wasmPath: "/abs/one.wasm", failurePolicy: "FAIL_OPEN" },
        { name: "two", wasmPath: "/abs/two.wasm" },
      ],
      extraHttpFilters: [{ name: "lua" }],
      extraHttpFiltersPosition: "before",
      upstream: { kind: "cluster", port: 9000 },
      extraClusters: [{ name: "callout", port: 9001 }],
    });
    const hcm = hcmOf(bootstrap);
    expect(hcm.http_filters.map((f) => f.name)).toEqual([
      "lua",
      "one",
      "two",
      "envoy.filters.http.router",
    ]);
    const policies = hcm.http_filters
      .slice(1, 3)
      .map(
        (f) =>
          (f as unknown as { typed_config: { config: { failure_policy: string } } }).typed_config,
      );
    expect(policies.map((c) => c.config.failure_policy)).toEqual(["FAIL_OPEN", "FAIL_CLOSED"]);
    expect(hcm.generate_request_id).toBe(true);
    const clusters = (bootstrap.static_resources as { clusters: Array<{ name: string }> }).clusters;
    expect(clusters.map((c) => c.name)).toEqual(["upstream", "callout"]);
    expect(bootstrap.admin).toEqual({
      address: { socket_address: { address: "127.0.0.1", port_value: 0 } },
    });
  });

  it("writes limits, a direct response, stats tags and route names only when given", () => {
    const plain = buildBootstrap({ upstream: { kind: "direct" } });
    const plainHcm = hcmOf(plain);
    expect(plainHcm.max_request_headers_kb).toBeUndefined();
    expect(plain.stats_config).toBeUndefined();
    const route = (plainHcm.route_config as { virtual_hosts: Array<{ routes: unknown[] }> })
      .virtual_hosts[0]?.routes[0];
    expect(route).toEqual({
      match: { prefix: "/" },
      direct_response: { status: 200, body: { inline_string: "" } },
    });

    const full = buildBootstrap({
      upstream: { kind: "direct", status: 418, body: "tea" },
      limits: { maxRequestHeadersKb: 8, acceptHttp10: true },
      statsTags: [{ tagName: "t", regex: "^x(y)$" }],
      generateRequestId: false,
      route: { clusterName: "up", routeName: "r", virtualHostName: "vh" },
      bindAddress: "0.0.0.0",
      listenerPort: 10000,
    });
    const hcm = hcmOf(full);
    expect(hcm.max_request_headers_kb).toBe(8);
    expect(hcm.http_protocol_options).toEqual({ accept_http_10: true });
    expect(hcm.generate_request_id).toBe(false);
    expect(full.stats_config).toEqual({ stats_tags: [{ tag_name: "t", regex: "^x(y)$" }] });
    const vh = (hcm.route_config as { virtual_hosts: Array<Record<string, unknown>> })
      .virtual_hosts[0];
    expect(vh?.name).toBe("vh");
    expect((vh?.routes as Array<Record<string, unknown>> | undefined)?.[0]?.name).toBe("r");
    const listener = (full.static_resources as { listeners: Array<Record<string, unknown>> })
      .listeners[0];
    expect(listener?.address).toEqual({
      socket_address: { address: "0.0.0.0", port_value: 10000 },
    });
    expect(listener?.per_connection_buffer_limit_bytes).toBe(1024 * 1024);
  });
});

describe("the edges of each field", () => {
  type Hcm = Record<string, unknown> & { http_filters: Array<{ name: string }> };
  const hcmOf = (bootstrap: Record<string, unknown>): Hcm =>
    (
      bootstrap.static_resources as {
        listeners: Array<{ filter_chains: Array<{ filters: Array<{ typed_config: Hcm }> }> }>;
      }
    ).listeners[0]?.filter_chains[0]?.filters[0]?.typed_config as Hcm;
  const clustersOf = (bootstrap: Record<string, unknown>) =>
    (bootstrap.static_resources as { clusters: Array<Record<string, unknown>> }).clusters;
  const remote = (uri: string, sha256: string, timeoutSeconds?: number) => () =>
    wasmHttpFilter({
      name: "r",
      remote: { uri, cluster: "m", sha256, ...(timeoutSeconds ? { timeoutSeconds } : {}) },
    });
  const codeOf = (filter: Record<string, unknown>) =>
    (filter.typed_config as { config: { vm_config: { code: unknown } } }).config.vm_config.code;

  it("takes a sha256 of exactly 64 lower-case hex digits, and nothing around it", () => {
    const hex = "0123456789abcdef".repeat(4);
    expect(codeOf(remote("http://h/f.wasm", hex)())).toEqual({
      remote: { http_uri: { uri: "http://h/f.wasm", cluster: "m", timeout: "10s" }, sha256: hex },
    });
    for (const bad of [
      hex.slice(1),
      `${hex}0`,
      `x${hex}`,
      `${hex}x`,
      "A".repeat(64),
      "g".repeat(64),
    ]) {
      expect(remote("https://h/f.wasm", bad), bad).toThrow(
        `wasm filter "r": remote.sha256 must be 64 lower-case hex digits, got "${bad}"`,
      );
    }
  });

  it("takes an http or https URL with a host, at the start", () => {
    const sha = "c".repeat(64);
    for (const good of ["http://h/f.wasm", "https://h/f.wasm", "https://h"]) {
      expect(remote(good, sha), good).not.toThrow();
    }
    for (const bad of [
      "https:///f.wasm",
      "xhttps://h/f.wasm",
      " https://h/f.wasm",
      "https:/h",
      "httpss://h/f",
    ]) {
      expect(remote(bad, sha), bad).toThrow(
        `wasm filter "r": remote.uri must be an http(s) URL, got "${bad}"`,
      );
    }
  });

  it("refuses both a path and a remote module, and names a relative path", () => {
    expect(() =>
      wasmHttpFilter({
        name: "both",
        wasmPath: "/abs/f.wasm",
        remote: { uri: "https://h/f.wasm", cluster: "m", sha256: "d".repeat(64) },
      }),
    ).toThrow('wasm filter "both": give exactly one of wasmPath and remote');
    expect(() => wasmHttpFilter({ name: "rel", wasmPath: "./f.wasm" })).toThrow(
      'wasm filter "rel": wasmPath must be absolute, got ./f.wasm',
    );
  });

  it("is STATIC only on a whole dotted IPv4 address", () => {
    const type = (host: string) => staticCluster({ name: "c", port: 1, host }).type;
    expect(type("10.0.0.1")).toBe("STATIC");
    expect(type("192.168.100.254")).toBe("STATIC");
    for (const name of [
      "svc",
      "a10.0.0.1",
      "10.0.0.1a",
      "10.0.0",
      "1.2.3.4.5",
      "10..0.1",
      "x.0.0.1",
    ]) {
      expect(type(name), name).toBe("STRICT_DNS");
    }
  });

  it("writes h2c options, endpoint metadata and its host only when asked", () => {
    const plain = staticCluster({ name: "c", port: 81 });
    expect(plain.typed_extension_protocol_options).toBeUndefined();
    expect(
      staticCluster({ name: "c", port: 81, http2: false }).typed_extension_protocol_options,
    ).toBeUndefined();
    const full = staticCluster({
      name: "g",
      port: 82,
      host: "grpc.svc",
      http2: true,
      hostMetadata: { "envoy.lb": { zone: "a" } },
    });
    expect(full).toEqual({
      name: "g",
      type: "STRICT_DNS",
      connect_timeout: "1s",
      load_assignment: {
        cluster_name: "g",
        endpoints: [
          {
            lb_endpoints: [
              {
                endpoint: { address: { socket_address: { address: "grpc.svc", port_value: 82 } } },
                metadata: { filter_metadata: { "envoy.lb": { zone: "a" } } },
              },
            ],
          },
        ],
      },
      typed_extension_protocol_options: {
        "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
          "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
          explicit_http_config: { http2_protocol_options: {} },
        },
      },
    });
  });

  it("puts extra filters after the wasm ones by default, the router last", () => {
    const names = (position?: "before" | "after") =>
      hcmOf(
        buildBootstrap({
          wasmFilters: [{ name: "w", wasmPath: "/abs/w.wasm" }],
          extraHttpFilters: [{ name: "x" }],
          ...(position ? { extraHttpFiltersPosition: position } : {}),
          upstream: { kind: "direct" },
        }),
      ).http_filters.map((f) => f.name);
    expect(names()).toEqual(["w", "x", "envoy.filters.http.router"]);
    expect(names("after")).toEqual(["w", "x", "envoy.filters.http.router"]);
    expect(names("before")).toEqual(["x", "w", "envoy.filters.http.router"]);
    const router = hcmOf(buildBootstrap({ upstream: { kind: "direct" } })).http_filters;
    expect(router).toEqual([
      {
        name: "envoy.filters.http.router",
        typed_config: {
          "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router",
        },
      },
    ]);
  });

  it("writes the whole connection manager and listener of a default bootstrap", () => {
    const bootstrap = buildBootstrap({ upstream: { kind: "direct" } });
    const hcm = hcmOf(bootstrap);
    expect(hcm["@type"]).toBe(
      "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
    );
    expect(hcm.stat_prefix).toBe("ingress_http");
    expect(hcm.generate_request_id).toBe(true);
    expect(hcm.http_protocol_options).toBeUndefined();
    expect(hcm.route_config).toEqual({
      name: "local",
      virtual_hosts: [
        {
          name: "all",
          domains: ["*"],
          routes: [
            {
              match: { prefix: "/" },
              direct_response: { status: 200, body: { inline_string: "" } },
            },
          ],
        },
      ],
    });
    const listener = (bootstrap.static_resources as { listeners: Array<Record<string, unknown>> })
      .listeners[0];
    expect(Object.keys(bootstrap).sort()).toEqual(["admin", "static_resources"]);
    expect(listener?.name).toBe("main");
    expect(listener?.address).toEqual({ socket_address: { address: "127.0.0.1", port_value: 0 } });
    expect(listener?.per_connection_buffer_limit_bytes).toBeUndefined();
    expect(listener?.filter_chains).toEqual([
      { filters: [{ name: "envoy.filters.network.http_connection_manager", typed_config: hcm }] },
    ]);
    expect(clustersOf(bootstrap)).toEqual([]);
  });

  it("writes the default limits' buffer and HTTP/1.0 settings when limits are given", () => {
    const hcm = hcmOf(buildBootstrap({ upstream: { kind: "direct" }, limits: {} }));
    expect(hcm.max_request_headers_kb).toBe(60);
    expect(hcm.http_protocol_options).toEqual({ accept_http_10: false });
  });

  it("routes to the named upstream cluster with its host, h2c and metadata, before the extra ones", () => {
    const bootstrap = buildBootstrap({
      upstream: {
        kind: "cluster",
        port: 7000,
        host: "app.svc",
        http2: true,
        hostMetadata: { ns: { k: "v" } },
      },
      extraClusters: [
        { name: "a", port: 1 },
        { name: "b", port: 2 },
      ],
      route: { clusterName: "app" },
      adminPort: 9901,
      node: { id: "n1", cluster: "c1" },
      statsTags: [],
    });
    const route = (hcmOf(bootstrap).route_config as { virtual_hosts: Array<{ routes: unknown[] }> })
      .virtual_hosts[0]?.routes[0];
    expect(route).toEqual({ match: { prefix: "/" }, route: { cluster: "app" } });
    const clusters = clustersOf(bootstrap);
    expect(clusters.map((c) => c.name)).toEqual(["app", "a", "b"]);
    expect(clusters[0]).toEqual(
      staticCluster({
        name: "app",
        port: 7000,
        host: "app.svc",
        http2: true,
        hostMetadata: { ns: { k: "v" } },
      }),
    );
    expect(clusters[0]?.type).toBe("STRICT_DNS");
    expect(clusters[0]?.typed_extension_protocol_options).toBeDefined();
    expect(bootstrap.admin).toEqual({
      address: { socket_address: { address: "127.0.0.1", port_value: 9901 } },
    });
    expect(bootstrap.node).toEqual({ id: "n1", cluster: "c1" });
    expect(bootstrap.stats_config).toBeUndefined();

    const plain = clustersOf(buildBootstrap({ upstream: { kind: "cluster", port: 7001 } }))[0];
    expect(plain).toEqual(staticCluster({ name: "upstream", port: 7001 }));
    expect(plain?.typed_extension_protocol_options).toBeUndefined();
  });
});

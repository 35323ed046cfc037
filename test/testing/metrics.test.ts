// The test host's metric store on its own: names and kinds, ids as Envoy hands them out (the
// type in the low two bits, a sequence per type), stats_tags extraction and the
// /stats/prometheus text (families sorted, the namespace stripped, Envoy's default histogram
// buckets, labels from the bootstrap's tags before the default response-code ones).

import { describe, expect, it } from "vitest";
import {
  CUSTOM_NAMESPACE,
  DEFAULT_STATS_TAGS,
  extractTags,
  MetricIds,
  MetricStore,
} from "../../src/testing/metrics.ts";

describe("MetricStore", () => {
  it("defines a metric once per kind and name, starting at zero", () => {
    const store = new MetricStore();
    const a = store.define("counter", "hits");
    expect(a).toEqual({ name: "hits", kind: "counter", value: 0n, samples: [] });
    a.value = 5n;
    expect(store.define("counter", "hits")).toBe(a);
    const gauge = store.define("gauge", "hits");
    expect(gauge).not.toBe(a);
    expect(gauge.value).toBe(0n);
    expect(store.all()).toEqual([a, gauge]);
  });

  it("finds a name of a given kind, or of any kind in the order counter, gauge, histogram", () => {
    const store = new MetricStore();
    const h = store.define("histogram", "x");
    expect(store.find("x")).toBe(h);
    const g = store.define("gauge", "x");
    expect(store.find("x")).toBe(g);
    const c = store.define("counter", "x");
    expect(store.find("x")).toBe(c);
    expect(store.find("x", "histogram")).toBe(h);
    expect(store.find("x", "gauge")).toBe(g);
    expect(store.find("y")).toBeUndefined();
    expect(store.find("y", "counter")).toBeUndefined();
  });

  it("renders counters and gauges under their family, sorted, without the namespace", () => {
    const store = new MetricStore();
    store.define("gauge", "zeta.level").value = -3n;
    store.define("counter", "alpha-hits").value = 7n;
    expect(store.prometheus()).toBe(
      "# TYPE alpha_hits counter\nalpha_hits{} 7\n# TYPE zeta_level gauge\nzeta_level{} -3\n",
    );
    expect(new MetricStore().prometheus()).toBe("");
  });

  it("turns the default response-code tags into labels", () => {
    const store = new MetricStore();
    store.define("counter", "probe_rq_200").value = 2n;
    store.define("counter", "probe_rq_503").value = 1n;
    store.define("counter", "probe_rq_5xx").value = 1n;
    expect(store.prometheus()).toBe(
      [
        "# TYPE probe_rq counter",
        'probe_rq{envoy_response_code="200"} 2',
        'probe_rq{envoy_response_code="503"} 1',
        'probe_rq{envoy_response_code_class="5xx"} 1',
        "",
      ].join("\n"),
    );
  });

  it("applies the bootstrap's tags before the default ones, each label in turn", () => {
    const store = new MetricStore();
    store.define("counter", "route.api.probe_rq_404").value = 9n;
    const text = store.prometheus([
      { tagName: "route", regex: "^wasmcustom\\.(route\\.(.+?)\\.)" },
    ]);
    expect(text).toBe(
      '# TYPE probe_rq counter\nprobe_rq{route="api",envoy_response_code="404"} 9\n',
    );
  });

  it("renders a histogram with Envoy's buckets, cumulative, and its sum and count", () => {
    const store = new MetricStore();
    const h = store.define("histogram", "latency");
    h.samples.push(1n, 5n, 6n, 3600000n, 4000000n);
    const lines = store.prometheus().split("\n");
    expect(lines[0]).toBe("# TYPE latency histogram");
    const bounds = [
      "0.5",
      "1",
      "5",
      "10",
      "25",
      "50",
      "100",
      "250",
      "500",
      "1000",
      "2500",
      "5000",
      "10000",
      "30000",
      "60000",
      "300000",
      "600000",
      "1800000",
      "3600000",
    ];
    const counts = [0, 1, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4];
    expect(lines.slice(1, 20)).toEqual(
      bounds.map((b, i) => `latency_bucket{le="${b}"} ${counts[i]}`),
    );
    expect(lines.slice(20)).toEqual([
      'latency_bucket{le="+Inf"} 5',
      "latency_sum{} 7600012",
      "latency_count{} 5",
      "",
    ]);
  });

  it("puts a histogram's labels before its bucket bound", () => {
    const store = new MetricStore();
    store.define("histogram", "up_rq_2xx").samples.push(0n);
    const lines = store.prometheus().split("\n");
    expect(lines[1]).toBe('up_rq_bucket{envoy_response_code_class="2xx",le="0.5"} 1');
    expect(lines[20]).toBe('up_rq_bucket{envoy_response_code_class="2xx",le="+Inf"} 1');
    expect(lines[21]).toBe('up_rq_sum{envoy_response_code_class="2xx"} 0');
    expect(lines[22]).toBe('up_rq_count{envoy_response_code_class="2xx"} 1');
  });

  it("keeps one TYPE line per family, with the first metric's kind", () => {
    const store = new MetricStore();
    store.define("counter", "a_rq_200").value = 1n;
    store.define("counter", "a_rq_404").value = 2n;
    const text = store.prometheus();
    expect(text.match(/# TYPE/g)).toHaveLength(1);
    expect(text).toContain(
      'a_rq{envoy_response_code="200"} 1\na_rq{envoy_response_code="404"} 2\n',
    );
  });
});

describe("extractTags", () => {
  it("cuts group 1 and yields group 2 for each matching tag", () => {
    expect(extractTags(`${CUSTOM_NAMESPACE}.x_rq_200`, DEFAULT_STATS_TAGS)).toEqual({
      name: "wasmcustom.x_rq",
      labels: [["envoy.response_code", "200"]],
    });
  });

  it("leaves a name no tag matches as it is", () => {
    expect(extractTags("wasmcustom.x_rq_2000", DEFAULT_STATS_TAGS)).toEqual({
      name: "wasmcustom.x_rq_2000",
      labels: [],
    });
  });

  it("skips a tag whose regex has no second group, or whose groups did not take part", () => {
    const tags = [
      { tagName: "one-group", regex: "(_a)" },
      { tagName: "optional", regex: "(_b(\\d)?)" },
      { tagName: "none", regex: "_c" },
    ];
    expect(extractTags("x_a_b_c", tags)).toEqual({ name: "x_a_b_c", labels: [] });
    // group 2 took part, group 1 did not
    expect(extractTags("m_5", [{ tagName: "t", regex: "_(x)?(\\d+)$" }])).toEqual({
      name: "m_5",
      labels: [],
    });
  });

  it("cuts group 1 where the match is, not an earlier copy of it", () => {
    expect(extractTags("a.v.rq.v", [{ tagName: "t", regex: "rq(\\.(v))$" }])).toEqual({
      name: "a.v.rq",
      labels: [["t", "v"]],
    });
  });
});

describe("MetricIds", () => {
  it("hands out a sequence per type with the type in the low two bits", () => {
    const store = new MetricStore();
    const ids = new MetricIds(store);
    const c1 = ids.define(0, "c1");
    const g1 = ids.define(1, "g1");
    const h1 = ids.define(2, "h1");
    const c2 = ids.define(0, "c2");
    expect([c1, g1, h1, c2]).toEqual([(1 << 2) | 0, (1 << 2) | 1, (1 << 2) | 2, (2 << 2) | 0]);
    expect(ids.get(c1)).toBe(store.find("c1", "counter"));
    expect(ids.get(g1)).toBe(store.find("g1", "gauge"));
    expect(ids.get(h1)).toBe(store.find("h1", "histogram"));
    expect(ids.get(c2)?.name).toBe("c2");
    expect(ids.get(3)).toBeUndefined();
  });

  it("gives a name defined again a new id for the same metric", () => {
    const store = new MetricStore();
    const ids = new MetricIds(store);
    const a = ids.define(0, "n");
    const b = ids.define(0, "n");
    expect(b).not.toBe(a);
    expect(ids.get(b)).toBe(ids.get(a));
    expect(store.all()).toHaveLength(1);
  });

  it("keeps each VM's sequence apart over one shared store", () => {
    const store = new MetricStore();
    const first = new MetricIds(store);
    const second = new MetricIds(store);
    expect(first.define(1, "g")).toBe(second.define(1, "g"));
    expect(first.get(5)).toBe(second.get(5));
  });
});

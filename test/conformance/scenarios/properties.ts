// Properties (Envoy attributes) and their encodings.

import { expect } from "vitest";
import type { Scenario } from "../harness.ts";

export const propertyScenarios: Scenario[] = [
  {
    name: "request attributes in onRequestHeaders",
    async run(t) {
      const res = await t.request("/props/request?x=1", { headers: { "x-conf-ua": "agent-7" } });
      expect(res.headers["x-note-path"]).toBe("/props/request?x=1");
      expect(res.headers["x-note-url-path"]).toBe("/props/request");
      expect(res.headers["x-note-method"]).toBe("GET");
      expect(res.headers["x-note-protocol"]).toBe("HTTP/1.1");
      expect(res.headers["x-note-scheme"]).toBe("http");
      expect(res.headers["x-note-id-matches"]).toBe("yes");
      expect(res.headers["x-note-time-positive"]).toBe("yes");
      expect(res.headers["x-note-headers-map"]).toBe("yes");
      expect(res.headers["x-note-map-field"]).toBe("agent-7");
    },
  },
  {
    name: "plugin attributes: name, root id and vm id",
    setup: { name: "conf_plugin", rootId: "conf_root", vmId: "conf_vm" },
    async run(t) {
      const res = await t.request("/props/plugin");
      expect(res.headers["x-note-name"]).toBe("conf_plugin");
      expect(res.headers["x-note-root-id"]).toBe("conf_root");
      expect(res.headers["x-note-vm-id"]).toBe("conf_vm");
    },
  },
  {
    name: "connection attributes with their encodings",
    async run(t) {
      const res = await t.request("/props/connection");
      expect(res.headers["x-note-source-loopback"]).toBe("yes");
      expect(res.headers["x-note-source-port-positive"]).toBe("yes");
      expect(res.headers["x-note-mtls"]).toBe("false");
      expect(res.headers["x-note-connection-id-8"]).toBe("8");
      expect(res.headers["x-note-destination-loopback"]).toBe("yes");
    },
  },
  {
    name: "an unknown attribute or field is absent",
    async run(t) {
      const res = await t.request("/props/missing");
      expect(res.headers["x-note-missing"]).toBe("null");
      expect(res.headers["x-note-missing-field"]).toBe("null");
    },
  },
  {
    name: "request.path is gone in onResponseHeaders, response.code is there",
    quirk: "request attributes come from the live request headers, which Envoy dropped on Continue",
    async run(t) {
      const res = await t.request("/props/late");
      expect(res.headers["x-note-path-late"]).toBe("null");
      expect(res.headers["x-note-code"]).toBe("200");
    },
  },
  {
    name: "set_property stores filter state readable back by its name",
    async run(t) {
      const res = await t.request("/props/set-get");
      expect(res.headers["x-note-set-status"]).toBe("0");
      expect(res.headers["x-note-get-path-form"]).toBe("v1");
    },
  },
  {
    name: "xds.cluster_name names the routed cluster; top-level cluster_name is gone",
    quirk: "Envoy 1.40 serves cluster and route names only as xds.cluster_name / xds.route_name",
    async run(t) {
      const res = await t.request("/props/cluster");
      expect(res.headers["x-note-cluster"]).toBe("<null>");
      expect(res.headers["x-note-cluster-late"]).toBe("<null>");
      expect(res.headers["x-note-xds-cluster"]).toBe("upstream");
      expect(res.headers["x-note-xds-cluster-late"]).toBe("upstream");
      expect(res.headers["x-note-route-late"]).toBe("");
    },
  },
  {
    name: "VM and plugin configuration reach onVmStart and onConfigure",
    setup: { vmConfiguration: "vm-settings", configuration: "plugin-settings" },
    async run(t) {
      const res = await t.request("/vm/config");
      expect(res.headers["x-note-vm-config"]).toBe("vm-settings");
      expect(res.headers["x-note-plugin-config"]).toBe("plugin-settings");
    },
  },
];

// loadCrdValidator on a small CRD of our own, one field per rule of the structural schema it
// turns into JSON Schema: each rule broken is refused with the path of the field.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { loadCrdValidator } from "../../src/ship/crd-schema.ts";

const dir = mkdtempSync(join(tmpdir(), "meshwasm-crd-schema-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The spec of the storage version: every field a rule of its own. */
const SPEC = {
  type: "object",
  description: "annotations are dropped",
  required: ["port"],
  properties: {
    port: { "x-kubernetes-int-or-string": true, description: "8080 or http" },
    note: { type: "string", nullable: true, format: "hostname", default: "x", example: "y" },
    plain: { type: "string" },
    mode: { type: "string", enum: ["A", "B"], nullable: true },
    portOrNull: { "x-kubernetes-int-or-string": true, nullable: true },
    shapes: { type: "array", items: { enum: [{ description: "kept" }, "round"] } },
    choice: {
      type: "object",
      properties: { a: { type: "integer" }, b: { type: "integer" } },
      oneOf: [{ required: ["a"] }, { required: ["b"] }],
    },
    open: {
      type: "object",
      "x-kubernetes-preserve-unknown-fields": true,
      properties: { known: { type: "integer" } },
    },
    counted: { type: "object", additionalProperties: { type: "integer" }, properties: { n: {} } },
    ruled: {
      type: "string",
      "x-kubernetes-validations": [{ rule: "self != ''" }, { rule: "size(self) < 9" }],
    },
    // Fields named like annotations or extension keywords are fields all the same.
    named: {
      type: "object",
      properties: {
        description: { type: "string" },
        default: { type: "integer" },
        nullable: { type: "boolean" },
        "x-kubernetes-note": { type: "string" },
      },
      patternProperties: { "^format$": { type: "string" } },
    },
  },
};

function crd(name: string, kind: string, versions: object[]) {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name },
    spec: { group: "example.com", names: { kind }, versions },
  };
}

const version = (name: string, storage: boolean, spec: object) => ({
  name,
  served: true,
  storage,
  schema: {
    openAPIV3Schema: {
      type: "object",
      properties: { apiVersion: { type: "string" }, kind: { type: "string" }, spec },
    },
  },
});

const file = join(dir, "crds.yaml");
writeFileSync(
  file,
  [
    null,
    crd("others.example.com", "Other", [version("v1", true, { type: "object" })]),
    crd("widgets.example.com", "Widget", [
      version("v1alpha1", false, {
        type: "object",
        properties: { old: { type: "string" } },
        "x-kubernetes-validations": [{ rule: "true" }],
      }),
      version("v1", true, SPEC),
    ]),
    crd("unstored.example.com", "Unstored", [version("v1", false, { type: "object" })]),
  ]
    .map((doc) => stringify(doc))
    .join("---\n"),
);

const widget = (spec: Record<string, unknown>, metadata: Record<string, unknown> = {}) => ({
  apiVersion: "example.com/v1",
  kind: "Widget",
  metadata: { name: "w", ...metadata },
  spec: { port: 8080, ...spec },
});

/** Loaded anew in each test, so each test runs the whole conversion. */
const widgets = () => loadCrdValidator(file, "widgets.example.com");

describe("loadCrdValidator", () => {
  it("keeps fields named description, default, nullable or x-kubernetes-*, and checks them", () => {
    const check = widgets();
    const named = {
      description: "d",
      default: 1,
      nullable: true,
      "x-kubernetes-note": "n",
      format: "f",
    };
    expect(check.validate(widget({ named }))).toStrictEqual([]);
    expect(
      check.validate(widget({ named: { ...named, description: 1, default: "x", format: 2 } })),
    ).toStrictEqual([
      "/spec/named/description: must be string",
      "/spec/named/default: must be integer",
      "/spec/named/format: must be string",
    ]);
  });

  it("picks the CRD by name and its storage version unless told, counting its CEL rules", () => {
    const check = widgets();
    expect({ ...check, validate: undefined }).toStrictEqual({
      group: "example.com",
      version: "v1",
      kind: "Widget",
      celRules: 2,
      validate: undefined,
    });
    const old = loadCrdValidator(file, "widgets.example.com", "v1alpha1");
    expect([old.version, old.celRules]).toStrictEqual(["v1alpha1", 1]);
    expect(
      old.validate({ ...widget({}), apiVersion: "example.com/v1alpha1", spec: { old: "x" } }),
    ).toStrictEqual([]);
    expect(loadCrdValidator(file, "others.example.com").kind).toBe("Other");
  });

  it("names what it cannot find: the CRD, the version, a storage version", () => {
    expect(() => loadCrdValidator(file, "gadgets.example.com")).toThrow(
      `${file}: no CustomResourceDefinition named gadgets.example.com`,
    );
    expect(() => loadCrdValidator(file, "widgets.example.com", "v2")).toThrow(
      "widgets.example.com: no version v2",
    );
    expect(() => loadCrdValidator(file, "unstored.example.com")).toThrow(
      "unstored.example.com: no version (storage)",
    );
  });

  it("passes a manifest that keeps every rule", () => {
    const check = widgets();
    expect(
      check.validate(
        widget({
          port: "http",
          note: null,
          plain: "p",
          mode: null,
          portOrNull: 7,
          shapes: [{ description: "kept" }, "round"],
          choice: { b: 1 },
          open: { known: 1, anything: { at: "all" } },
          counted: { n: 1, extra: 2 },
          ruled: "",
        }),
      ),
    ).toStrictEqual([]);
    expect(check.validate(widget({ mode: "B" }))).toStrictEqual([]);
  });

  it("x-kubernetes-int-or-string: an integer or a string, nothing else", () => {
    const check = widgets();
    expect(check.validate(widget({ port: true }))).toStrictEqual([
      "/spec/port: must be integer",
      "/spec/port: must be string",
      "/spec/port: must match a schema in anyOf",
    ]);
  });

  it("nullable: null only where allowed, the type kept", () => {
    const check = widgets();
    expect(check.validate(widget({ plain: null }))).toStrictEqual(["/spec/plain: must be string"]);
    expect(check.validate(widget({ note: 5 }))).toStrictEqual(["/spec/note: must be string,null"]);
    expect(check.validate(widget({ mode: "C" }))).toStrictEqual([
      "/spec/mode: must be equal to one of the allowed values",
    ]);
  });

  it("an enum's values are data, kept as written; null only in a nullable one", () => {
    const check = widgets();
    expect(check.validate(widget({ shapes: [null] }))).toStrictEqual([
      "/spec/shapes/0: must be equal to one of the allowed values",
    ]);
    expect(check.validate(widget({ shapes: [{}] }))).toStrictEqual([
      "/spec/shapes/0: must be equal to one of the allowed values",
    ]);
  });

  it("sub-schemas in lists (oneOf) are converted too", () => {
    const check = widgets();
    expect(check.validate(widget({ choice: {} }))).toStrictEqual([
      "/spec/choice: must have required property 'a'",
      "/spec/choice: must have required property 'b'",
      "/spec/choice: must match exactly one schema in oneOf",
    ]);
  });

  it("unknown fields: refused, named, unless the object preserves them or says otherwise", () => {
    const check = widgets();
    expect(check.validate(widget({ typo: 1 }))).toStrictEqual([
      "/spec: must NOT have additional properties (typo)",
    ]);
    expect(check.validate(widget({ open: { known: "x" } }))).toStrictEqual([
      "/spec/open/known: must be integer",
    ]);
    expect(check.validate(widget({ counted: { extra: "x" } }))).toStrictEqual([
      "/spec/counted/extra: must be integer",
    ]);
  });

  it("pins apiVersion and kind, needs metadata and spec, and reports every error", () => {
    const check = widgets();
    expect(
      check.validate({ apiVersion: "example.com/v1alpha1", kind: "Gadget", metadata: {} }),
    ).toStrictEqual([
      "/: must have required property 'spec'",
      "/apiVersion: must be equal to constant",
      "/kind: must be equal to constant",
      "/metadata: must have required property 'name'",
    ]);
    expect(check.validate({ apiVersion: "example.com/v1", kind: "Widget" })).toStrictEqual([
      "/: must have required property 'metadata'",
      "/: must have required property 'spec'",
    ]);
    expect(check.validate("widget")).toStrictEqual(["/: must be object"]);
  });

  it("metadata: Kubernetes name and namespace rules, string labels and annotations", () => {
    const check = widgets();
    expect(
      check.validate(widget({}, { name: "a".repeat(253), namespace: "n".repeat(63) })),
    ).toStrictEqual([]);
    expect(
      check.validate(widget({}, { name: "a".repeat(254), namespace: "n".repeat(64) })),
    ).toStrictEqual([
      "/metadata/name: must NOT have more than 253 characters",
      "/metadata/namespace: must NOT have more than 63 characters",
    ]);
    expect(check.validate(widget({}, { name: 7, namespace: 7 }))).toStrictEqual([
      "/metadata/name: must be string",
      "/metadata/namespace: must be string",
    ]);
    expect(check.validate(widget({}, { name: "W", namespace: "a.b" }))).toStrictEqual([
      '/metadata/name: must match pattern "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"',
      '/metadata/namespace: must match pattern "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"',
    ]);
    expect(
      check.validate(widget({}, { labels: { app: "a", n: 1 }, annotations: { ok: "y", n: true } })),
    ).toStrictEqual([
      "/metadata/labels/n: must be string",
      "/metadata/annotations/n: must be string",
    ]);
    expect(check.validate(widget({}, { labels: "app=a", annotations: [] }))).toStrictEqual([
      "/metadata/labels: must be object",
      "/metadata/annotations: must be object",
    ]);
    expect(check.validate({ ...widget({}), metadata: "w" })).toStrictEqual([
      "/metadata: must be object",
    ]);
  });
});

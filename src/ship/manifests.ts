/**
 * Kubernetes manifests that deploy a packaged filter:
 *
 *   TrafficExtension       extensions.istio.io/v1alpha1, Istio 1.30 and later (recommended there)
 *   WasmPlugin             extensions.istio.io/v1alpha1, every Istio since 1.12 (older meshes)
 *   EnvoyExtensionPolicy   gateway.envoyproxy.io/v1alpha1, Envoy Gateway
 *
 * Every manifest pins the code by sha256 and writes the failure strategy out, never leaving it
 * to a default. What the sha256 means depends on the source: for an OCI image it is the image's
 * manifest digest (what Istio's agent and Envoy Gateway compare after the pull), for an http(s)
 * URL the sha256 of the module itself.
 */
import { stringify } from "yaml";
import type { FailurePolicy } from "../plugin.ts";

/** A Gateway API style reference (`kind/name`, group defaulted per kind). */
export interface TargetRef {
  group: string;
  kind: string;
  name: string;
}

export interface ManifestInput {
  /** metadata.name (a DNS-1123 name). */
  name: string;
  namespace?: string;
  /** `registry/repository:tag` (an OCI image, `oci://` optional) or an `http(s)://…/x.wasm` URL. */
  source: string;
  /** Hex sha256: the image digest for an OCI source, the module's for an http(s) one. */
  sha256: string;
  rootId: string;
  /** The plugin configuration, already validated against the filter's schema. */
  configuration?: unknown;
  failurePolicy: FailurePolicy;
  /** Workload labels (Istio sidecars). Istio takes selector or targetRefs, not both. */
  selector?: Record<string, string>;
  targetRefs?: TargetRef[];
  /** Istio only: where in the chain (`AUTHN`, `AUTHZ`, `STATS`; unset means before the router). */
  phase?: "AUTHN" | "AUTHZ" | "STATS";
  /** Istio only: order within a phase, higher first. */
  priority?: number;
  /** Name of a docker-registry Secret in the same namespace. */
  pullSecret?: string;
}

export type ManifestKind = "TrafficExtension" | "WasmPlugin" | "EnvoyExtensionPolicy";
export const MANIFEST_KINDS: readonly ManifestKind[] = [
  "TrafficExtension",
  "WasmPlugin",
  "EnvoyExtensionPolicy",
];

const DNS_1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SHA256 = /^[a-f0-9]{64}$/;
const GATEWAY_GROUP = "gateway.networking.k8s.io";

/** Parses `Kind/name` or `group/Kind/name` (Gateway API kinds default to their group). */
export function parseTargetRef(raw: string): TargetRef {
  const parts = raw.split("/");
  const [group, kind, name] =
    // Stryker disable next-line ArrayDeclaration: equivalent, a one-element list for a raw of 1 or 4+ parts still leaves kind and name undefined, so it throws the same; the two-part list's mutant, which the tests kill, goes with it
    parts.length === 3 ? parts : parts.length === 2 ? [undefined, ...parts] : [];
  if (!kind || !name)
    throw new Error(`target-ref: expected Kind/name or group/Kind/name, got "${raw}"`);
  const coreKinds = ["Service"];
  const networking = ["ServiceEntry"];
  const defaultGroup = coreKinds.includes(kind)
    ? ""
    : networking.includes(kind)
      ? "networking.istio.io"
      : GATEWAY_GROUP;
  return { group: group ?? defaultGroup, kind, name };
}

/** Parses `key=value[,key=value]` workload labels. */
export function parseSelector(raw: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of raw.split(",")) {
    const eq = pair.indexOf("=");
    const key = pair.slice(0, eq).trim();
    // Stryker disable next-line EqualityOperator: equivalent, `eq < 0`: at eq 0 the key is "", which the second test refuses
    if (eq <= 0 || key === "")
      throw new Error(`selector: expected key=value[,key=value], got "${raw}"`);
    labels[key] = pair.slice(eq + 1).trim();
  }
  return labels;
}

function isHttpSource(source: string): boolean {
  return /^https?:\/\//.test(source);
}

function check(input: ManifestInput): void {
  if (!DNS_1123.test(input.name) || input.name.length > 253) {
    throw new Error(
      `name: "${input.name}" is not a Kubernetes name (lower-case letters, digits, '-', '.')`,
    );
  }
  // Stryker disable next-line ConditionalExpression: equivalent, `true` tests undefined, whose text "undefined" is a valid namespace
  if (input.namespace !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(input.namespace)) {
    throw new Error(`namespace: "${input.namespace}" is not a Kubernetes namespace name`);
  }
  if (!SHA256.test(input.sha256)) {
    throw new Error(`sha256: expected 64 lower-case hex digits, got "${input.sha256}"`);
  }
  // Stryker disable next-line MethodExpression: equivalent, without the trim a blank source still holds whitespace, which the second test refuses
  if (input.source.trim() === "" || /\s/.test(input.source)) {
    throw new Error(
      `image: expected registry/repository:tag or an http(s) URL, got "${input.source}"`,
    );
  }
  if (input.source.startsWith("file://")) {
    throw new Error(
      `image: "${input.source}" is a path inside the proxy; give an OCI image or http(s) URL`,
    );
  }
  if (input.priority !== undefined && !Number.isInteger(input.priority)) {
    throw new Error(`priority: expected an integer, got ${input.priority}`);
  }
  if ((input.targetRefs?.length ?? 0) > 16) {
    // Stryker disable next-line OptionalChaining: equivalent, reached only with more than 16 target refs
    throw new Error(`target-ref: at most 16, got ${input.targetRefs?.length}`);
  }
}

function metadata(input: ManifestInput): Record<string, unknown> {
  const meta: Record<string, unknown> = { name: input.name };
  if (input.namespace !== undefined) meta.namespace = input.namespace;
  meta.labels = { "app.kubernetes.io/managed-by": "meshwasm" };
  return meta;
}

const ISTIO_FAIL: Record<FailurePolicy, string> = {
  FAIL_CLOSED: "FAIL_CLOSE",
  FAIL_OPEN: "FAIL_OPEN",
  FAIL_RELOAD: "FAIL_RELOAD",
};

/** The wasm fields Istio's two resources share (WasmPlugin spec, TrafficExtension spec.wasm). */
function istioWasm(input: ManifestInput): Record<string, unknown> {
  const wasm: Record<string, unknown> = {
    url: isHttpSource(input.source)
      ? input.source
      : `oci://${input.source.replace(/^oci:\/\//, "")}`,
    sha256: input.sha256,
    imagePullPolicy: "IfNotPresent",
  };
  if (input.pullSecret !== undefined) wasm.imagePullSecret = input.pullSecret;
  wasm.pluginName = input.rootId;
  wasm.failStrategy = ISTIO_FAIL[input.failurePolicy];
  wasm.type = "HTTP";
  if (input.configuration !== undefined) wasm.pluginConfig = input.configuration;
  return wasm;
}

function istioPlacement(input: ManifestInput, kind: string): Record<string, unknown> {
  if (input.selector && input.targetRefs?.length) {
    throw new Error(`${kind}: give selector or target-ref, not both (Istio accepts only one)`);
  }
  const spec: Record<string, unknown> = {};
  if (input.selector) spec.selector = { matchLabels: input.selector };
  if (input.targetRefs?.length) spec.targetRefs = input.targetRefs;
  if (input.phase !== undefined) spec.phase = input.phase;
  if (input.priority !== undefined) spec.priority = input.priority;
  return spec;
}

/** Istio's TrafficExtension (1.30+): the wasm fields under `spec.wasm`. */
export function trafficExtension(input: ManifestInput): Record<string, unknown> {
  check(input);
  const spec = { ...istioPlacement(input, "TrafficExtension"), wasm: istioWasm(input) };
  return {
    apiVersion: "extensions.istio.io/v1alpha1",
    kind: "TrafficExtension",
    metadata: metadata(input),
    spec,
  };
}

/** Istio's WasmPlugin (1.12+): the wasm fields at the top of `spec`. */
export function wasmPlugin(input: ManifestInput): Record<string, unknown> {
  check(input);
  const spec = { ...istioPlacement(input, "WasmPlugin"), ...istioWasm(input) };
  return {
    apiVersion: "extensions.istio.io/v1alpha1",
    kind: "WasmPlugin",
    metadata: metadata(input),
    spec,
  };
}

/**
 * The input for Envoy Gateway when the failure policy is the filter's own: Envoy Gateway has
 * only failOpen, so a filter that runs FAIL_RELOAD goes there closed (failOpen: false), the
 * nearest policy that never lets a request bypass it. An explicit FAIL_RELOAD stays refused.
 */
export function gatewayDefaults(input: ManifestInput): ManifestInput {
  return input.failurePolicy === "FAIL_RELOAD" ? { ...input, failurePolicy: "FAIL_CLOSED" } : input;
}

/** Envoy Gateway's EnvoyExtensionPolicy with one `wasm` entry, attached to Gateways or routes. */
export function envoyExtensionPolicy(input: ManifestInput): Record<string, unknown> {
  check(input);
  if (!input.targetRefs?.length) {
    throw new Error(
      "EnvoyExtensionPolicy: needs at least one target-ref (e.g. Gateway/eg or HTTPRoute/backend)",
    );
  }
  if (input.selector) throw new Error("EnvoyExtensionPolicy: takes target-ref, not selector");
  if (input.phase !== undefined || input.priority !== undefined) {
    throw new Error(
      "EnvoyExtensionPolicy: phase and priority are Istio fields; order wasm entries instead",
    );
  }
  if (input.failurePolicy === "FAIL_RELOAD") {
    throw new Error(
      "EnvoyExtensionPolicy: failure policy FAIL_RELOAD has no Envoy Gateway equivalent (failOpen is true or false)",
    );
  }
  for (const ref of input.targetRefs) {
    if (ref.group !== GATEWAY_GROUP) {
      throw new Error(
        `EnvoyExtensionPolicy: target-ref ${ref.kind}/${ref.name} must be in group ${GATEWAY_GROUP}`,
      );
    }
  }
  const http = isHttpSource(input.source);
  const code: Record<string, unknown> = { type: http ? "HTTP" : "Image" };
  if (http) {
    code.http = { url: input.source, sha256: input.sha256 };
  } else {
    const image: Record<string, unknown> = {
      url: input.source.replace(/^oci:\/\//, ""),
      sha256: input.sha256,
    };
    if (input.pullSecret !== undefined) image.pullSecretRef = { name: input.pullSecret };
    code.image = image;
  }
  const wasm: Record<string, unknown> = { name: input.name, rootID: input.rootId, code };
  if (input.configuration !== undefined) wasm.config = input.configuration;
  wasm.failOpen = input.failurePolicy === "FAIL_OPEN";
  return {
    apiVersion: "gateway.envoyproxy.io/v1alpha1",
    kind: "EnvoyExtensionPolicy",
    metadata: metadata(input),
    spec: { targetRefs: input.targetRefs, wasm: [wasm] },
  };
}

export const MANIFEST_BUILDERS: Record<
  ManifestKind,
  (input: ManifestInput) => Record<string, unknown>
> = {
  TrafficExtension: trafficExtension,
  WasmPlugin: wasmPlugin,
  EnvoyExtensionPolicy: envoyExtensionPolicy,
};

/** Manifests as one YAML stream (documents separated by `---`), ready for `kubectl apply -f`. */
export function toYaml(manifests: Record<string, unknown>[], header?: string): string {
  const docs = manifests.map((m) => stringify(m, { lineWidth: 0 }));
  const head = header
    ? `${header
        .split("\n")
        .map((l) => `# ${l}`.trimEnd())
        .join("\n")}\n`
    : "";
  return head + docs.join("---\n");
}

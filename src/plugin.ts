// The settings of one Wasm plugin, in one shape for every place that runs a filter: the Envoy
// runner writes them into a bootstrap (PluginConfig + VmConfig), the test host reads them when
// it starts its VMs, the conformance harness hands the same object to both.
//
//   const settings: PluginSettings = { name: "auth", configuration: { issuer: "me" } };
//   buildBootstrap({ wasmFilters: [{ ...settings, wasmPath }], upstream });
//   createHost({ ...settings, module: wasmPath });

/** What a plugin does after a fatal VM error (PluginConfig failure_policy). */
export type FailurePolicy = "FAIL_CLOSED" | "FAIL_OPEN" | "FAIL_RELOAD";

/** Envoy's own default, written out explicitly in bootstraps. */
export const DEFAULT_FAILURE_POLICY: FailurePolicy = "FAIL_CLOSED";

/** A bootstrap `stats_config.stats_tags` entry: the regex's first group is cut from the stat
 *  name, the second becomes the tag's value. */
export interface StatsTag {
  tagName: string;
  regex: string;
}

/** A plugin's configuration: text and bytes go as they are, objects as JSON. */
export type PluginConfiguration = string | Uint8Array | object;

/** One plugin: Envoy's PluginConfig and the VmConfig it runs in. */
export interface PluginSettings {
  /** PluginConfig name (`plugin_name`); in a bootstrap also the HTTP filter's name. */
  name: string;
  /** PluginConfig root_id (`plugin_root_id`): selects the root context. Default "". */
  rootId?: string;
  /** VmConfig vm_id (`plugin_vm_id`): plugins with the same vm_id and code share a VM, its
   *  shared data and its queues. Default "". */
  vmId?: string;
  /** PluginConfig configuration, read in onConfigure. */
  configuration?: PluginConfiguration;
  /** VmConfig configuration, read in onVmStart. */
  vmConfiguration?: string | Uint8Array;
  /** Default FAIL_CLOSED. */
  failurePolicy?: FailurePolicy;
  /** Lets onRequestHeaders/onResponseHeaders return a real StopIteration (Envoy ≥ 1.35). */
  allowOnHeadersStopIteration?: boolean;
  /** WASI environment of the VM (VmConfig environment_variables, read by `environ_get`). */
  environment?: Record<string, string>;
}

/** Settings with every default filled in and configurations as bytes (what a VM reads). */
export interface ResolvedPluginSettings {
  name: string;
  rootId: string;
  vmId: string;
  configuration: Uint8Array;
  vmConfiguration: Uint8Array;
  failurePolicy: FailurePolicy;
  allowOnHeadersStopIteration: boolean;
  environment: Record<string, string>;
}

const FAILURE_POLICIES: readonly FailurePolicy[] = ["FAIL_CLOSED", "FAIL_OPEN", "FAIL_RELOAD"];

/** The configuration as bytes: strings UTF-8, bytes as given, anything else JSON. */
export function configurationBytes(value: PluginConfiguration | undefined): Uint8Array {
  // Stryker disable next-line ConditionalExpression: equivalent, without it undefined goes to JSON.stringify (undefined) and TextEncoder.encode(undefined) is the same empty array
  if (value === undefined) return new Uint8Array(0);
  if (value instanceof Uint8Array) return value;
  return new TextEncoder().encode(typeof value === "string" ? value : JSON.stringify(value));
}

/** The configuration as text (a bootstrap's google.protobuf.StringValue holds text). */
export function configurationText(value: PluginConfiguration | undefined): string {
  if (value === undefined) return "";
  if (typeof value === "string") return value;
  if (value instanceof Uint8Array) {
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(value);
    } catch {
      throw new Error(
        "plugin configuration: Envoy carries it as a protobuf string, so it must be valid UTF-8",
      );
    }
  }
  return JSON.stringify(value);
}

/** Checks the settings and fills in the defaults; errors name the field and the value. */
export function resolvePluginSettings(settings: PluginSettings): ResolvedPluginSettings {
  const policy = settings.failurePolicy ?? DEFAULT_FAILURE_POLICY;
  if (!FAILURE_POLICIES.includes(policy)) {
    throw new Error(
      `plugin "${settings.name}": failurePolicy must be one of ${FAILURE_POLICIES.join(", ")}, got ${JSON.stringify(policy)}`,
    );
  }
  return {
    name: settings.name,
    rootId: settings.rootId ?? "",
    vmId: settings.vmId ?? "",
    configuration: configurationBytes(settings.configuration),
    vmConfiguration: configurationBytes(settings.vmConfiguration),
    failurePolicy: policy,
    allowOnHeadersStopIteration: settings.allowOnHeadersStopIteration ?? false,
    environment: settings.environment ?? {},
  };
}

// Root context registration: which factory serves which root_id (PluginConfig.root_id).

import { RootContext } from "./context";

/** Makes a root context for a context id. */
export type RootFactory = (contextId: u32) => RootContext;

class Registration {
  constructor(public rootId: string, public factory: RootFactory) {}
}

const registrations: Registration[] = [];

/**
 * Registers the plugin's root context under `rootId` (PluginConfig.root_id). With a single
 * registration, or one under "", that one serves any root_id the host gives. Call at top
 * level. Example: `registerRootContext((id) => new HelloRoot(id), "hello")`
 */
export function registerRootContext(factory: RootFactory, rootId: string = ""): void {
  registrations.push(new Registration(rootId, factory));
}

/** The factory for `rootId`, or null when none fits. */
export function findRootFactory(rootId: string): RootFactory | null {
  let fallback: RootFactory | null = null;
  for (let i = 0; i < registrations.length; i++) {
    const r = unchecked(registrations[i]);
    if (r.rootId == rootId) return r.factory;
    if (r.rootId == "") fallback = r.factory;
  }
  if (fallback === null && registrations.length == 1) return unchecked(registrations[0]).factory;
  return fallback;
}

/** The root ids registered, for error messages. */
export function registeredRootIds(): string {
  const ids = new Array<string>(0);
  for (let i = 0; i < registrations.length; i++) ids.push("\"" + unchecked(registrations[i]).rootId + "\"");
  return ids.join(", ");
}


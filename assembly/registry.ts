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


/**
 * Removes and returns every factory registered so far, in registration order, after checking
 * that the i-th was registered under `names[i]` (or under ""). A chain's entry file calls this
 * (through registerChain) after importing its filters, which register one root each.
 * Returns an error message instead when the registrations do not fit the names.
 */
export function takeRootFactories(names: string[], out: RootFactory[]): string | null {
  if (registrations.length != names.length) {
    return "a chain of " + names.length.toString() + " filters found " + registrations.length.toString() +
      " root registrations (" + registeredRootIds() + "): each filter must register exactly one root";
  }
  for (let i = 0; i < names.length; i++) {
    const r = unchecked(registrations[i]);
    if (r.rootId != "" && r.rootId != names[i]) {
      return "chain filter " + i.toString() + " is \"" + names[i] + "\" but its module registered root_id \"" + r.rootId + "\"";
    }
    out.push(r.factory);
  }
  registrations.length = 0;
  return null;
}

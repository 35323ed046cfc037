// Per-route rules: the first rule whose path (exact or prefix, without the query), methods
// and host (without the port) all fit the request chooses its requirement.

import { Config, Rule } from "./config";
import { RequestHeaders } from "./credentials";

function hostOf(authority: string | null): string {
  if (authority === null) return "";
  const a = authority!;
  const colon = a.lastIndexOf(":");
  const host = colon > 0 && !a.endsWith("]") ? a.substring(0, colon) : a;
  return host.toLowerCase();
}

/** The rule for the request, or null (then the default requirement applies). Reads the
 *  path, method and authority only when there are rules. */
export function matchRule(c: Config, headers: RequestHeaders): Rule | null {
  if (c.rules.length == 0) return null;
  const p = headers.get(":path");
  const fullPath = p !== null ? p : "/";
  const m = headers.get(":method");
  const method = m !== null ? m : "";
  const q = fullPath.indexOf("?");
  const path = q >= 0 ? fullPath.substring(0, q) : fullPath;
  const host = hostOf(headers.get(":authority"));
  for (let i = 0; i < c.rules.length; i++) {
    const r = unchecked(c.rules[i]);
    if (r.pathExact !== null && path != r.pathExact!) continue;
    if (r.pathPrefix !== null && !path.startsWith(r.pathPrefix!)) continue;
    if (r.methods.length > 0 && !r.methods.includes(method)) continue;
    if (r.host !== null && host != r.host!) continue;
    return r;
  }
  return null;
}

// Match trees: leaves test one source with a string matcher; all_of, any_of and not combine
// them, nested. Read from configuration with the field path in every error; evaluated per
// request against the request as it arrived.
//
//   {"from": "header:x-canary", "exact": "1"}
//   {"from": "header:x-tags", "values": "all", "prefix": "beta-"}
//   {"any_of": [{"from": "cookie:group", "exact": "beta"}, {"from": "query:v", "exact": "2"}]}
//   {"not": {"from": "method", "exact": "GET"}}

import { ConfigReader, quoteJsonString } from "../../../assembly";
import { StringMatcher, readStringMatcher } from "../../lib/matchers";
import { Source, parseSource } from "./sources";
import { MessageView } from "./view";

/** How a leaf reads a source that can repeat (several header lines, query parameters or
 *  cookies of one name). */
export enum ValuesMode {
  /** Some value matches (the default). */
  Any = 0,
  /** There is a value and every value matches. */
  All = 1,
  /** The values joined with "," match (Envoy's header matching). */
  Joined = 2,
  /** The first value matches (Envoy's query parameter matching). */
  First = 3,
}

export enum MatchOp {
  Leaf = 0,
  AllOf = 1,
  AnyOf = 2,
  Not = 3,
}

/** Deepest nesting of groups. */
export const MAX_DEPTH: i32 = 8;
/** Most members of one group. */
export const MAX_GROUP: i32 = 64;

const MODES: string[] = ["any", "all", "joined", "first"];
const GROUP_KEYS: string[] = ["all_of", "any_of", "not"];

/** One node of a match tree; immutable. */
export class Match {
  source: Source | null = null;
  mode: ValuesMode = ValuesMode.Any;
  matcher: StringMatcher | null = null;
  children: Match[] = [];
  constructor(public readonly op: MatchOp) {}

  /** Whether the request matches. */
  evaluate(view: MessageView): bool {
    const op = this.op;
    if (op == MatchOp.Leaf) return this.leaf(view);
    const children = this.children;
    if (op == MatchOp.Not) return !unchecked(children[0]).evaluate(view);
    const all = op == MatchOp.AllOf;
    for (let i = 0; i < children.length; i++) {
      if (unchecked(children[i]).evaluate(view) != all) return !all;
    }
    return all;
  }

  // Reads the source's values in place, one at a time: no value is copied.
  private leaf(view: MessageView): bool {
    const m = this.matcher!;
    const source = this.source!;
    view.begin(source);
    if (!view.next()) return m.matchesBytes(null); // invert already applied
    const invert = m.invert;
    const mode = this.mode;
    let result = false;
    if (mode == ValuesMode.First) {
      result = m.testAt(view.ptr, view.len);
    } else if (mode == ValuesMode.Joined) {
      const ptr = view.ptr;
      const len = view.len;
      if (!view.next()) result = m.testAt(ptr, len);
      else {
        view.joined(source);
        result = m.testAt(view.ptr, view.len);
      }
    } else {
      // Any: some value matches; All: every value does (and there is one).
      const all = mode == ValuesMode.All;
      result = all;
      do {
        if (m.testAt(view.ptr, view.len) != all) {
          result = !all;
          break;
        }
      } while (view.next());
    }
    return result != invert;
  }
}

/**
 * Reads the match at `key` of `parent` (a key or a path such as `all_of[2]`); null, with the
 * error recorded on `parent`, when it is wrong. Meant for onConfigure.
 */
export function readMatch(parent: ConfigReader, key: string, depth: i32 = 1): Match | null {
  const before = parent.allErrors.length;
  const cfg = parent.object(key, true);
  if (parent.allErrors.length > before) return null;
  let group = "";
  for (let i = 0; i < GROUP_KEYS.length; i++) {
    const g = unchecked(GROUP_KEYS[i]);
    if (!cfg.has(g)) continue;
    if (group.length > 0) {
      cfg.fail(g, "only one of all_of, any_of, not may be set (" + group + " is too)");
      return null;
    }
    group = g;
  }
  if (group.length > 0) {
    if (depth > MAX_DEPTH) {
      cfg.fail(group, "groups nest at most " + MAX_DEPTH.toString() + " deep");
      return null;
    }
    cfg.unknownKeys([group]);
    if (group == "not") {
      const node = new Match(MatchOp.Not);
      const child = readMatch(cfg, "not", depth + 1);
      if (child === null || parent.allErrors.length > before) return null;
      node.children = [child];
      return node;
    }
    const items = cfg.array(group, true);
    if (parent.allErrors.length > before) return null;
    if (items.length == 0 || items.length > MAX_GROUP) {
      cfg.fail(group, "needs 1 to " + MAX_GROUP.toString() + " members, got " + items.length.toString());
      return null;
    }
    const node = new Match(group == "all_of" ? MatchOp.AllOf : MatchOp.AnyOf);
    for (let i = 0; i < items.length; i++) {
      const child = readMatch(cfg, group + "[" + i.toString() + "]", depth + 1);
      if (child === null) return null;
      node.children.push(child);
    }
    return parent.allErrors.length > before ? null : node;
  }
  if (!cfg.has("from")) {
    parent.fail(key, "needs from (a leaf) or one of all_of, any_of, not (a group)");
    return null;
  }
  const from = cfg.string("from");
  if (parent.allErrors.length > before) return null;
  const parsed = parseSource(from);
  if (parsed.source === null) {
    cfg.fail("from", quoteJsonString(from) + ": " + parsed.error);
    return null;
  }
  const source = parsed.source!;
  const node = new Match(MatchOp.Leaf);
  node.source = source;
  if (cfg.has("values")) {
    const mode = cfg.oneOf("values", MODES, "any");
    if (parent.allErrors.length > before) return null;
    if (!source.repeats) {
      cfg.fail("values", "applies to header, query and cookie sources only");
      return null;
    }
    node.mode = <ValuesMode>MODES.indexOf(mode);
  }
  node.matcher = readStringMatcher(parent, key, ["from", "values"]);
  if (node.matcher === null || parent.allErrors.length > before) return null;
  return node;
}

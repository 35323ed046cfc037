// Labels for metrics: the proxy-wasm ABI has none, so label values travel inside the metric
// name and Envoy's bootstrap `stats_tags` cut them back out. A `Labels` set is defined once
// (in onConfigure), its guards bound how many distinct names can ever exist, and per request
// each value is looked up in a small table: no string is built once a value has been seen.
//
//   name in the module        meshwasm_requests_total;code=200;method=GET
//   stats_tags (one per key)  {tag_name: "code", regex: "(;code=([^;]*))"}, {tag_name: "method", ...}
//   /stats/prometheus         meshwasm_requests_total{code="200",method="GET"} 3
//
// Pure module: no host imports, so it compiles and tests anywhere; every function here is
// legal in any callback. The metric families that use it are in metrics.ts.

/** The value a label takes when its own is refused by an allow-list or over the limit. */
// @ts-ignore: decorator
@inline export const OTHER_VALUE = "other";
/** Distinct values a label keeps without an explicit `limit` (beyond that: `other`). */
// @ts-ignore: decorator
@inline export const DEFAULT_LABEL_LIMIT: i32 = 100;
/** The longest value kept in a name; longer ones are cut (after the guards chose the value). */
// @ts-ignore: decorator
@inline export const MAX_LABEL_VALUE_LENGTH: i32 = 64;
/** Labels in one set (fixed and per-request together). */
// @ts-ignore: decorator
@inline export const MAX_LABELS: i32 = 16;
// Numbers remembered per label (status codes and the like); beyond this they are looked up
// through their text each time (an allocation), so hostile numbers cannot grow the table.
// @ts-ignore: decorator
@inline const NUMBER_CACHE_LIMIT: i32 = 1024;

/** Why a value became `other`. */
export enum Dropped {
  /** Not in the label's allow-list. */
  NotAllowed = 0,
  /** The label already holds `limit` distinct values. */
  OverLimit = 1,
}

/** The `stats_tags` regex that extracts label `name` from names built by `Labels`:
 *  `statsTagRegex("code")` is `(;code=([^;]*))`. Legal anywhere. */
export function statsTagRegex(name: string): string {
  return "(;" + name + "=([^;]*))";
}

/** Why `name` cannot be a Prometheus label name, or null when it can
 *  (`[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__`, at most 64 characters). */
export function labelNameProblem(name: string): string | null {
  if (name.length == 0) return "a label name cannot be empty";
  if (name.length > 64) return "a label name is at most 64 characters";
  if (name.startsWith("__")) return "label names starting with __ are reserved by Prometheus";
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const letter = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f;
    const digit = c >= 0x30 && c <= 0x39;
    if (!letter && !(digit && i > 0)) {
      return "a label name is letters, digits and _ and does not start with a digit";
    }
  }
  return null;
}

/** `value` as it appears in a metric name: characters outside `A-Z a-z 0-9 _ . : / + -`
 *  become `_` (so `;` and `=` can never break the encoding), cut to 64 characters. */
export function encodeLabelValue(value: string): string {
  const n = min(value.length, MAX_LABEL_VALUE_LENGTH);
  let clean = n == value.length;
  for (let i = 0; i < n && clean; i++) clean = isValueChar(value.charCodeAt(i));
  if (clean) return value;
  let out = "";
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    out += isValueChar(c) ? String.fromCharCode(c) : "_";
  }
  return out;
}

function isValueChar(c: i32): bool {
  return (
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    c == 0x5f ||
    c == 0x2e ||
    c == 0x3a ||
    c == 0x2f ||
    c == 0x2b ||
    c == 0x2d
  );
}

/** Receives the values the guards turned into `other` (see `Labels.listener`). */
export abstract class DropListener {
  abstract dropped(labels: Labels, index: i32, reason: Dropped): void;
}

/** One label: its name, its known values (index 0 is `other`) and its guards. */
class Label {
  values: string[] = [OTHER_VALUE];
  byValue: Map<string, i32> = new Map();
  byNumber: Map<i64, i32> = new Map();
  allowList: bool = false;
  limit: i32 = DEFAULT_LABEL_LIMIT;
  // Indices run 0..radix-1: the cache key is the tuple of indices in mixed radix.
  radix: i32 = DEFAULT_LABEL_LIMIT + 1;
  current: i32 = 0;

  constructor(public readonly name: string) {
    this.byValue.set(OTHER_VALUE, 0);
  }
}

/**
 * A set of label names shared by the metric families built on it, with guards that bound the
 * values each can take. Configure it once (onConfigure), then per request `set` each label and
 * record on the families: the families read the values last set. Example:
 *
 *   const labels = new Labels(["code", "method"], "my_filter_label_values_dropped");
 *   labels.allow("method", ["GET", "POST"]);      // anything else counts as "other"
 *   labels.constant("service", "checkout");       // on every series
 *   const requests = new CounterFamily("my_filter_requests_total", labels);
 *   // per request
 *   labels.setNumber(0, status).set(1, method);
 *   requests.increment();
 *
 * Mistakes in the definition (bad names, unknown labels, too many) are collected in
 * `problem`; check it before use. Values persist until set again: set every label per request.
 */
export class Labels {
  private readonly labels: Label[] = [];
  private readonly byName: Map<string, i32> = new Map();
  private fixed: string = "";
  private readonly fixedNames: string[] = [];
  /** The first mistake in the definition, or null. */
  problem: string | null = null;
  /** Told each time a value becomes `other` (the metric families attach a counter). */
  listener: DropListener | null = null;
  private readonly drops: i64[] = [];

  /** Labels named `names` (each a Prometheus label name, no duplicates); values dropped by
   *  the guards are counted in the counter family `droppedMetric` (labels `label`, `reason`). */
  constructor(
    names: string[],
    public readonly droppedMetric: string,
  ) {
    if (names.length > MAX_LABELS) this.fail("at most " + MAX_LABELS.toString() + " labels");
    for (let i = 0; i < names.length; i++) {
      this.addName(names[i]);
      this.byName.set(names[i], i);
      this.labels.push(new Label(names[i]));
      this.drops.push(0);
      this.drops.push(0);
    }
    this.checkKeySpace();
  }

  /** How many per-request labels. */
  get length(): i32 {
    return this.labels.length;
  }

  /** The index of label `name` (for `set`), or -1. */
  indexOf(name: string): i32 {
    return this.byName.has(name) ? this.byName.get(name) : -1;
  }

  /** The name of label `index`. */
  nameOf(index: i32): string {
    return this.labels[index].name;
  }

  /** The constant labels as encoded in names (`;service=checkout`), "" when none. */
  get constantPart(): string {
    return this.fixed;
  }

  /** Label names: the per-request ones, then the constant ones. */
  names(): string[] {
    const out = new Array<string>();
    for (let i = 0; i < this.labels.length; i++) out.push(this.labels[i].name);
    for (let i = 0; i < this.fixedNames.length; i++) out.push(this.fixedNames[i]);
    return out;
  }

  /** A label with the same value on every series (the service, the listener): configure time. */
  constant(name: string, value: string): Labels {
    this.addName(name);
    if (this.labels.length + this.fixedNames.length >= MAX_LABELS) {
      this.fail("at most " + MAX_LABELS.toString() + " labels");
    }
    this.fixedNames.push(name);
    this.fixed += ";" + name + "=" + encodeLabelValue(value);
    return this;
  }

  /** Only `values` are kept for label `name`; any other value is `other`. Configure time. */
  allow(name: string, values: string[]): Labels {
    const i = this.indexOf(name);
    if (i < 0) return this.unknown(name);
    const label = this.labels[i];
    label.allowList = true;
    for (let j = 0; j < values.length; j++) this.register(label, values[j]);
    label.radix = max(label.radix, label.values.length);
    this.checkKeySpace();
    return this;
  }

  /** At most `max` distinct values for label `name` (first come); later ones are `other`.
   *  Default 100. Configure time. */
  limit(name: string, maxValues: i32): Labels {
    const i = this.indexOf(name);
    if (i < 0) return this.unknown(name);
    if (maxValues < 1 || maxValues > 10000) this.fail("the limit of label \"" + name + "\" must be 1..10000");
    else {
      const label = this.labels[i];
      label.limit = maxValues;
      label.radix = max(maxValues + 1, label.values.length);
      this.checkKeySpace();
    }
    return this;
  }

  /** Sets label `index` to `value` for the next records (through the guards). */
  set(index: i32, value: string): Labels {
    const label = this.labels[index];
    if (label.byValue.has(value)) {
      label.current = label.byValue.get(value);
    } else {
      label.current = this.admit(index, label, value);
    }
    return this;
  }

  /** `set` for a number (a status code): no text is built once the number has been seen. */
  setNumber(index: i32, value: i64): Labels {
    const label = this.labels[index];
    if (label.byNumber.has(value)) {
      const slot = label.byNumber.get(value);
      // A refused number is remembered as -1 - reason, so it is counted again each time.
      label.current = slot >= 0 ? slot : this.drop(index, <Dropped>(-1 - slot));
      return this;
    }
    const before = this.droppedTotal(index);
    this.set(index, value.toString());
    if (label.byNumber.size < NUMBER_CACHE_LIMIT) {
      let slot = label.current;
      if (slot == 0 && this.droppedTotal(index) != before) {
        slot = label.allowList ? -1 - <i32>Dropped.NotAllowed : -1 - <i32>Dropped.OverLimit;
      }
      label.byNumber.set(value, slot);
    }
    return this;
  }

  private droppedTotal(index: i32): i64 {
    return this.drops[index * 2] + this.drops[index * 2 + 1];
  }

  /** The value label `index` holds now (as encoded in names). */
  current(index: i32): string {
    const label = this.labels[index];
    return label.values[label.current];
  }

  /** How many distinct values label `index` holds (`other` included). */
  distinct(index: i32): i32 {
    return this.labels[index].values.length;
  }

  /** A number unique to the current tuple of values (the families' cache key). */
  key(): u64 {
    let key: u64 = 0;
    for (let i = 0; i < this.labels.length; i++) {
      const label = unchecked(this.labels[i]);
      key = key * <u64>label.radix + <u64>label.current;
    }
    return key;
  }

  /** `base` with the constant labels and the current values: the name to define. */
  encode(base: string): string {
    let name = base + this.fixed;
    for (let i = 0; i < this.labels.length; i++) {
      const label = this.labels[i];
      name += ";" + label.name + "=" + label.values[label.current];
    }
    return name;
  }

  /** The `stats_tags` entries Envoy needs for these labels: `[tag_name, regex]` pairs,
   *  for the names here and for `label`/`reason` of the dropped-values counter. */
  statsTags(): string[][] {
    const out = new Array<string[]>();
    const all = this.names();
    all.push("label");
    all.push("reason");
    for (let i = 0; i < all.length; i++) out.push([all[i], statsTagRegex(all[i])]);
    return out;
  }

  private admit(index: i32, label: Label, value: string): i32 {
    if (label.allowList) return this.drop(index, Dropped.NotAllowed);
    if (label.values.length > label.limit) return this.drop(index, Dropped.OverLimit);
    return this.register(label, value);
  }

  private register(label: Label, value: string): i32 {
    if (label.byValue.has(value)) return label.byValue.get(value);
    const encoded = encodeLabelValue(value);
    // Two raw values may encode alike ("a b" and "a_b"): they share one slot.
    let slot = -1;
    for (let i = 0; i < label.values.length && slot < 0; i++) {
      if (label.values[i] == encoded) slot = i;
    }
    if (slot < 0) {
      slot = label.values.length;
      label.values.push(encoded);
    }
    label.byValue.set(value, slot);
    return slot;
  }

  /** How many values of label `index` became `other` for `reason` so far. */
  droppedCount(index: i32, reason: Dropped): i64 {
    return this.drops[index * 2 + <i32>reason];
  }

  private drop(index: i32, reason: Dropped): i32 {
    this.drops[index * 2 + <i32>reason]++;
    const listener = this.listener;
    if (listener !== null) listener.dropped(this, index, reason);
    return 0;
  }

  // Every tuple of indices must have its own key: the product of the radices fits in 63 bits.
  private checkKeySpace(): void {
    let space: f64 = 1;
    for (let i = 0; i < this.labels.length; i++) space *= <f64>this.labels[i].radix;
    if (space > 9.2e18) this.fail("the labels' limits multiply to more series than can be counted");
  }

  private addName(name: string): void {
    const problem = labelNameProblem(name);
    if (problem !== null) this.fail("label \"" + name + "\": " + problem);
    else if (name == "label" || name == "reason") {
      this.fail("label \"" + name + "\" is reserved for the dropped-values counter");
    } else {
      const known = this.byName.has(name) || this.fixedNames.includes(name);
      if (known) this.fail("label \"" + name + "\" appears twice");
    }
  }

  private unknown(name: string): Labels {
    this.fail("no label named \"" + name + "\"");
    return this;
  }

  private fail(problem: string): void {
    if (this.problem === null) this.problem = problem;
  }
}

// Host calls made to fail on purpose: the test host answers a chosen proxy-wasm host function
// with a chosen error status instead of running it, so a test can check what a filter does
// when Envoy refuses a call (get_property NotFound, a shared-data CAS mismatch, a callout
// dispatch answered BadArgument, a buffer not available in this callback).
//
//   const host = await createHost({
//     module,
//     failHostCalls: [{ call: "proxy_get_property", status: "NotFound", during: "proxy_on_request_headers" }],
//   });
//
// A failed call does what Envoy does when it returns an error: nothing. No out-parameter is
// written, no allocation is made in the guest, no state changes.

import { PROXY_HOST_FUNCTIONS } from "../wasm/abi.ts";
import { Status } from "./status.ts";

/** A proxy-wasm status name (other than "Ok"), as the SDK spells it. */
export type FailureStatusName = Exclude<keyof typeof Status, "Ok">;

/** One rule: which host call fails, with what status, and when. */
export interface HostCallFailure {
  /** The host function, by its import name: "proxy_get_property", "proxy_http_call", ... */
  call: string;
  /** The status the call returns instead of running: a name ("NotFound", "CasMismatch",
   *  "BadArgument", ...) or its number. Never "Ok". */
  status: FailureStatusName | number;
  /** Only while this guest export runs ("proxy_on_request_headers", "proxy_on_tick", ...).
   *  Default: whatever runs. */
  during?: string;
  /** Only on this worker's VM. Default: every worker. */
  worker?: number;
  /** Matching calls that run normally before the first failure. Default 0. */
  skip?: number;
  /** Matching calls that fail, after which the call runs normally again. Default: every one. */
  times?: number;
}

/** A rule in force: its settings and how often it matched and failed so far. */
export class ArmedFailure {
  /** Matching calls seen (run or failed). */
  matched = 0;
  /** Calls this rule failed. */
  failed = 0;
  readonly call: string;
  readonly status: number;
  readonly during: string | null;
  readonly worker: number | null;
  readonly skip: number;
  readonly times: number;

  constructor(rule: HostCallFailure, where: string) {
    this.call = checkCall(rule.call, `${where}.call`);
    this.status = checkStatus(rule.status, `${where}.status`);
    this.during = rule.during ?? null;
    if (this.during !== null && !/^(proxy_on_|_initialize$|_start$|main$)/.test(this.during)) {
      throw new TypeError(
        `${where}.during: "${this.during}" is not a guest callback (proxy_on_..., _initialize, _start, main)`,
      );
    }
    this.worker = rule.worker === undefined ? null : count(rule.worker, `${where}.worker`);
    this.skip = rule.skip === undefined ? 0 : count(rule.skip, `${where}.skip`);
    this.times =
      rule.times === undefined ? Number.POSITIVE_INFINITY : count(rule.times, `${where}.times`);
  }

  /** Whether this call (on `worker`, inside the guest export `running`) fails, counting it. */
  take(worker: number, running: string | null): boolean {
    if (this.worker !== null && this.worker !== worker) return false;
    if (this.during !== null && this.during !== running) return false;
    this.matched++;
    if (this.matched <= this.skip || this.failed >= this.times) return false;
    this.failed++;
    return true;
  }
}

const PROXY_CALLS = new Set(PROXY_HOST_FUNCTIONS.map((f) => f.name));
const STATUS_BY_NUMBER = new Map<number, string>(Object.entries(Status).map(([k, v]) => [v, k]));

function checkCall(call: unknown, field: string): string {
  // Stryker disable next-line ConditionalExpression: equivalent, the type check is for the compiler: the set of names has no value that is not a string
  if (typeof call === "string" && PROXY_CALLS.has(call)) return call;
  const near =
    typeof call === "string"
      ? [...PROXY_CALLS].filter((n) => n.includes(call.replace(/^proxy_/, ""))).slice(0, 3)
      : [];
  throw new TypeError(
    `${field}: ${JSON.stringify(call)} is not a proxy-wasm host function` +
      (near.length > 0 ? ` (did you mean ${near.join(", ")}?)` : ""),
  );
}

function checkStatus(status: unknown, field: string): number {
  const value =
    typeof status === "string" ? (Status as Record<string, number>)[status] : (status as number);
  // Stryker disable next-line ConditionalExpression: equivalent, the type check is for the compiler: the map of statuses has no key that is not a number
  if (typeof value === "number" && STATUS_BY_NUMBER.has(value) && value !== Status.Ok) return value;
  const names = Object.keys(Status).filter((n) => n !== "Ok");
  throw new TypeError(
    `${field}: ${JSON.stringify(status)} is not a failure status (one of ${names.join(", ")})`,
  );
}

function count(n: unknown, field: string): number {
  // Stryker disable next-line ConditionalExpression: equivalent, the type check is for the compiler: Number.isInteger is false for what is not a number
  if (typeof n === "number" && Number.isInteger(n) && n >= 0) return n;
  throw new TypeError(`${field}: ${JSON.stringify(n)} is not a whole number >= 0`);
}

/** The rules in force, by host function (the VM asks only when some rule names the call). */
export class HostCallFailures {
  private readonly byCall = new Map<string, ArmedFailure[]>();

  /** Arms `rules` (named `where[i]` in errors); returns them to read their counts. */
  add(rules: readonly HostCallFailure[], where: string): ArmedFailure[] {
    if (!Array.isArray(rules)) {
      throw new TypeError(`${where}: ${JSON.stringify(rules)} is not an array of rules`);
    }
    const armed = rules.map((r, i) => new ArmedFailure(r, `${where}[${i}]`));
    for (const a of armed) {
      const list = this.byCall.get(a.call) ?? [];
      list.push(a);
      this.byCall.set(a.call, list);
    }
    return armed;
  }

  /** Disarms every rule. */
  clear(): void {
    this.byCall.clear();
  }

  /** Whether any rule is armed (the VM skips the look-up otherwise). */
  get armed(): boolean {
    return this.byCall.size > 0;
  }

  /** The status `call` returns instead of running now, or null when it runs. Rules are asked
   *  in the order they were armed; the first that fails the call decides, later ones do not
   *  see it. */
  statusFor(call: string, worker: number, running: string | null): number | null {
    const rules = this.byCall.get(call);
    if (rules === undefined) return null;
    for (const rule of rules) {
      if (rule.take(worker, running)) return rule.status;
    }
    return null;
  }
}

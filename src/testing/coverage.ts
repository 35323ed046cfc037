// Which host functions and guest callbacks a run touched, for the conformance coverage listing.

import { GUEST_EXPORTS, PROXY_HOST_FUNCTIONS } from "../wasm/abi.ts";
import { HTTP_ATTRIBUTES } from "./attributes.ts";

/** A counter the host bumps in place (cheaper than a map update per call). */
export interface CountCell {
  count: number;
}

export class Coverage {
  private readonly hostCells = new Map<string, CountCell>();
  private readonly callbackCells = new Map<string, CountCell>();
  private readonly attributeCells = new Map<string, CountCell>();

  /** The cell counting reads of HTTP attribute `name` (a served one). */
  attributeCell(name: string): CountCell {
    let cell = this.attributeCells.get(name);
    if (!cell) {
      cell = { count: 0 };
      this.attributeCells.set(name, cell);
    }
    return cell;
  }

  /** The cell counting calls of host function `name`. */
  hostCell(name: string): CountCell {
    let cell = this.hostCells.get(name);
    if (!cell) {
      cell = { count: 0 };
      this.hostCells.set(name, cell);
    }
    return cell;
  }

  /** The cell counting runs of guest callback `name`. */
  callbackCell(name: string): CountCell {
    let cell = this.callbackCells.get(name);
    if (!cell) {
      cell = { count: 0 };
      this.callbackCells.set(name, cell);
    }
    return cell;
  }

  callback(name: string): void {
    this.callbackCell(name).count++;
  }

  /** Host functions called at least once, with their counts. */
  get hostCalls(): Map<string, number> {
    return new Map(
      [...this.hostCells].filter(([, c]) => c.count > 0).map(([k, c]) => [k, c.count]),
    );
  }

  /** Guest callbacks run at least once, with their counts. */
  get callbacks(): Map<string, number> {
    return new Map(
      [...this.callbackCells].filter(([, c]) => c.count > 0).map(([k, c]) => [k, c.count]),
    );
  }

  /** A listing of every ABI 0.2.1 host function and callback with its count; misses marked. */
  report(): {
    text: string;
    missingHostCalls: string[];
    missingCallbacks: string[];
    missingAttributes: string[];
  } {
    const hostNames = PROXY_HOST_FUNCTIONS.map((f) => f.name);
    const callbackNames = GUEST_EXPORTS.filter((e) => e.role === "callback" && e.inSpec).map(
      (e) => e.name,
    );
    const hostCalls = this.hostCalls;
    const callbacks = this.callbacks;
    const missingHostCalls = hostNames.filter((n) => !hostCalls.has(n));
    const missingCallbacks = callbackNames.filter((n) => !callbacks.has(n));
    const line = (name: string, count: number | undefined) =>
      `  ${count ? "✓" : "✗"} ${name.padEnd(44)} ${count ?? 0}`;
    const wasi = [...hostCalls].filter(([n]) => !n.startsWith("proxy_"));
    const attributeNames = Object.keys(HTTP_ATTRIBUTES);
    const attributeCount = (n: string) => this.attributeCells.get(n)?.count ?? 0;
    const missingAttributes = attributeNames.filter((n) => attributeCount(n) === 0);
    const text = [
      `host calls: ${hostNames.length - missingHostCalls.length}/${hostNames.length}`,
      ...hostNames.map((n) => line(n, hostCalls.get(n))),
      `callbacks: ${callbackNames.length - missingCallbacks.length}/${callbackNames.length}`,
      ...callbackNames.map((n) => line(n, callbacks.get(n))),
      `HTTP attributes: ${attributeNames.length - missingAttributes.length}/${attributeNames.length}`,
      ...attributeNames.map((n) => line(n, attributeCount(n))),
      `other imports touched: ${wasi.map(([n, c]) => `${n} ${c}`).join(", ") || "none"}`,
    ].join("\n");
    return { text, missingHostCalls, missingCallbacks, missingAttributes };
  }
}

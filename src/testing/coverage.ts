// Which host functions and guest callbacks a run touched, for the conformance coverage listing.

import { GUEST_EXPORTS, PROXY_HOST_FUNCTIONS } from "../wasm/abi.ts";

export class Coverage {
  readonly hostCalls = new Map<string, number>();
  readonly callbacks = new Map<string, number>();

  hostCall(name: string): void {
    this.hostCalls.set(name, (this.hostCalls.get(name) ?? 0) + 1);
  }

  callback(name: string): void {
    this.callbacks.set(name, (this.callbacks.get(name) ?? 0) + 1);
  }

  merge(other: Coverage): void {
    for (const [k, v] of other.hostCalls) this.hostCalls.set(k, (this.hostCalls.get(k) ?? 0) + v);
    for (const [k, v] of other.callbacks) this.callbacks.set(k, (this.callbacks.get(k) ?? 0) + v);
  }

  /** A listing of every ABI 0.2.1 host function and callback with its count; misses marked. */
  report(): { text: string; missingHostCalls: string[]; missingCallbacks: string[] } {
    const hostNames = PROXY_HOST_FUNCTIONS.map((f) => f.name);
    const callbackNames = GUEST_EXPORTS.filter((e) => e.role === "callback" && e.inSpec).map(
      (e) => e.name,
    );
    const missingHostCalls = hostNames.filter((n) => !this.hostCalls.has(n));
    const missingCallbacks = callbackNames.filter((n) => !this.callbacks.has(n));
    const line = (name: string, count: number | undefined) =>
      `  ${count ? "✓" : "✗"} ${name.padEnd(44)} ${count ?? 0}`;
    const wasi = [...this.hostCalls].filter(([n]) => !n.startsWith("proxy_"));
    const text = [
      `host calls: ${hostNames.length - missingHostCalls.length}/${hostNames.length}`,
      ...hostNames.map((n) => line(n, this.hostCalls.get(n))),
      `callbacks: ${callbackNames.length - missingCallbacks.length}/${callbackNames.length}`,
      ...callbackNames.map((n) => line(n, this.callbacks.get(n))),
      `other imports touched: ${wasi.map(([n, c]) => `${n} ${c}`).join(", ") || "none"}`,
    ].join("\n");
    return { text, missingHostCalls, missingCallbacks };
  }
}

// One TCP connection through a Wasm network filter, with Envoy's callback order: data both
// ways, then the close events; the context ends (onDone, onLog, onDelete) once the downstream
// side has closed. A connection whose onNewConnection pauses reads nothing until the filter
// continues it: the client's bytes wait, then reach onDownstreamData at once.

import { CONNECTION_ATTRIBUTES, type DownstreamConnection } from "./attributes.ts";
import {
  type ActionName,
  actionName,
  BufferType,
  Status,
  StreamType,
  WasmTrapError,
} from "./status.ts";
import { ByteBuffer, GuestContext, type RootContextState, type Vm } from "./vm.ts";
import { encodeAttribute } from "./world.ts";

export type PeerType = "unknown" | "local" | "remote";
const PEERS: Record<PeerType, number> = { unknown: 0, local: 1, remote: 2 };
const EMPTY = new Uint8Array(0) as Uint8Array;

export class TcpConnection extends GuestContext {
  /** Bytes the filter let through toward the upstream, and toward the client. */
  toUpstream = new Uint8Array(0) as Uint8Array;
  toDownstream = new Uint8Array(0) as Uint8Array;
  readonly steps: Array<{ callback: string; action: ActionName }> = [];
  trap: WasmTrapError | null = null;
  closedByFilter: "downstream" | "upstream" | null = null;
  private downstream: ByteBuffer | null = null;
  private upstream: ByteBuffer | null = null;
  /** onNewConnection paused: the client's bytes wait here, unread, until a continue. */
  private waiting: { bytes: Uint8Array; endOfStream: boolean } | null = null;
  private downstreamClosed = false;
  private upstreamClosed = false;
  private finished = false;

  constructor(
    vm: Vm,
    id: number,
    private readonly rootState: RootContextState,
    readonly connection: DownstreamConnection,
  ) {
    super(vm, id);
  }

  get root(): RootContextState {
    return this.rootState;
  }

  /** The plugin's attributes and a test's overrides, then the connection's (source.*,
   *  destination.*, connection.*, connection_id), in every callback as Envoy serves them. */
  override property(path: string[]): Uint8Array | number | undefined {
    const served = super.property(path);
    if (served !== undefined) return served;
    const read = CONNECTION_ATTRIBUTES[path.join(".")];
    const value = read?.(this.connection);
    return value === undefined ? undefined : encodeAttribute(value);
  }

  override getBuffer(type: number): ByteBuffer | null {
    if (type === BufferType.DownstreamData)
      return this.downstream ?? new ByteBuffer(new Uint8Array(0) as Uint8Array, false);
    if (type === BufferType.UpstreamData)
      return this.upstream ?? new ByteBuffer(new Uint8Array(0) as Uint8Array, false);
    return super.getBuffer(type);
  }

  override continueStream(type: number): number {
    if (type === StreamType.Downstream) {
      this.vm.defer(() => {
        const waiting = this.waiting;
        if (waiting) {
          this.waiting = null;
          if (waiting.bytes.length > 0 || waiting.endOfStream)
            this.downstreamData(waiting.bytes, waiting.endOfStream);
        } else if (this.downstream) {
          this.toUpstream = concat(this.toUpstream, this.downstream.bytes);
          this.downstream = null;
        }
      });
      return Status.Ok;
    }
    return super.continueStream(type);
  }

  override closeStream(type: number): number {
    // Stryker disable next-line ConditionalExpression: equivalent, the `true` form: an upstream close then marks the downstream first and the upstream right after, which is what stays; the `false` form, which the tests kill, goes with it
    if (type === StreamType.Downstream) this.vm.defer(() => (this.closedByFilter = "downstream"));
    if (type === StreamType.Upstream) this.vm.defer(() => (this.closedByFilter = "upstream"));
    return super.closeStream(type);
  }

  private run(name: string, ...args: number[]): number | false {
    try {
      const raw = this.vm.call(name, this, this.id, ...args);
      this.steps.push({ callback: name, action: actionName(raw) });
      return raw;
    } catch (error) {
      if (!(error instanceof WasmTrapError)) throw error;
      this.trap = error;
      this.closedByFilter = "downstream";
      return false;
    }
  }

  /** A new downstream connection (proxy_on_context_create, proxy_on_new_connection). */
  open(): ActionName {
    this.vm.contexts.set(this.id, this);
    // The new connection is current, as in its callbacks (Envoy's ContextBase::onCreate).
    this.vm.call("proxy_on_context_create", this, this.id, this.rootState.id);
    const raw = this.run("proxy_on_new_connection");
    if (raw === false) return "Continue";
    if (raw !== 0) this.waiting = { bytes: EMPTY, endOfStream: false };
    return actionName(raw);
  }

  /** Bytes from the client. While the filter pauses, unread bytes accumulate. */
  downstreamData(chunk: Uint8Array, endOfStream = false): ActionName {
    if (this.waiting) {
      this.waiting = {
        bytes: concat(this.waiting.bytes, chunk),
        endOfStream: this.waiting.endOfStream || endOfStream,
      };
      return "Pause";
    }
    this.downstream = new ByteBuffer(
      concat(this.downstream?.bytes ?? (new Uint8Array(0) as Uint8Array), chunk),
    );
    const raw = this.run(
      "proxy_on_downstream_data",
      this.downstream.bytes.length,
      endOfStream ? 1 : 0,
    );
    if (raw === 0) {
      this.toUpstream = concat(this.toUpstream, this.downstream.bytes);
      this.downstream = null;
    }
    // Stryker disable next-line ConditionalExpression,BooleanLiteral: equivalent, the `false` form and `=== true`: actionName(false) reads Continue as well; the `true` form, which the tests kill, goes with them
    return raw === false ? "Continue" : actionName(raw);
  }

  /** Bytes from the upstream; end of stream also reports the upstream close (as Envoy does). */
  upstreamData(chunk: Uint8Array, endOfStream = false): ActionName {
    this.upstream = new ByteBuffer(
      concat(this.upstream?.bytes ?? (new Uint8Array(0) as Uint8Array), chunk),
    );
    const raw = this.run("proxy_on_upstream_data", this.upstream.bytes.length, endOfStream ? 1 : 0);
    if (raw === 0) {
      this.toDownstream = concat(this.toDownstream, this.upstream.bytes);
      this.upstream = null;
    }
    // Stryker disable next-line StringLiteral: equivalent, PEERS[""] is undefined, which the call's default turns into 0, the number of "unknown"
    if (endOfStream) this.closeUpstream("unknown");
    // Stryker disable next-line ConditionalExpression,BooleanLiteral: equivalent, the `false` form and `=== true`: actionName(false) reads Continue as well; the `true` form, which the tests kill, goes with them
    return raw === false ? "Continue" : actionName(raw);
  }

  closeUpstream(peer: PeerType = "remote"): void {
    if (this.upstreamClosed || this.finished) return;
    this.upstreamClosed = true;
    this.run("proxy_on_upstream_connection_close", PEERS[peer]);
    // Stryker disable next-line ConditionalExpression: equivalent, the `false` form: a downstream close finishes at once, and this method returns early once finished; the `true` form, which the tests kill, goes with it
    if (this.downstreamClosed) this.finish();
  }

  closeDownstream(peer: PeerType = "remote"): void {
    // Stryker disable next-line LogicalOperator: equivalent, finish() runs only right after downstreamClosed is set, so finished implies downstreamClosed and `&&` gives the same answer
    if (this.downstreamClosed || this.finished) return;
    // Stryker disable next-line BooleanLiteral: equivalent, finish() below sets finished, which every reader of downstreamClosed checks first
    this.downstreamClosed = true;
    this.run("proxy_on_downstream_connection_close", PEERS[peer]);
    this.finish();
  }

  private finish(): void {
    // Stryker disable next-line ConditionalExpression: equivalent, the `false` form: both callers return early once finished; the `true` form, which the tests kill, goes with it
    if (this.finished) return;
    this.finished = true;
    if (!this.vm.failed) this.run("proxy_on_done");
    if (!this.vm.failed) this.run("proxy_on_log");
    if (!this.vm.failed) this.run("proxy_on_delete");
    this.vm.contexts.delete(this.id);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBufferLike> {
  // Stryker disable next-line ConditionalExpression: equivalent, the `false` form: copying into a new array gives the same bytes (the return saves the copy); the `true` form, which the tests kill, goes with it
  if (a.length === 0) return b;
  // Stryker disable next-line ConditionalExpression: equivalent, the `false` form: copying into a new array gives the same bytes (the return saves the copy); the `true` form, which the tests kill, goes with it
  if (b.length === 0) return a;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

// A network (TCP) filter for the conformance suite: marks data in both directions and logs
// each callback, so a scenario can check what passed and which callbacks ran.

import {
  Action,
  PeerType,
  RootContext,
  StreamContext,
  log,
  registerRootContext,
} from "../../../../assembly";
import { proxy_get_property } from "../../../../assembly/abi/imports";

export * from "../../../../assembly/exports";

// With the configuration "hold": downstream data "hold" pauses its connection, and the next
// upstream data of six bytes or downstream close of any connection resumes it through its
// handle. With "hold-new": the first connection's onNewConnection pauses it, and the next
// connection's resumes it. With "close-at-create" (built announced, as tcp-announced, so the
// constructor runs while the host creates the context): each connection's context closes its
// client side from its constructor. With "attributes": each callback logs the attributes below,
// `tcp:attr <callback> <name> <status> <hex value>` (status 1 is NotFound), read on the raw ABI
// so the status and bytes are the host's own.
const TCP_ATTRIBUTES: string[] = [
  "source.address",
  "source.port",
  "destination.address",
  "destination.port",
  "connection.id",
  "connection_id",
  "connection.mtls",
  "connection.requested_server_name",
  "connection.tls_version",
  "connection.termination_details",
  "metadata",
  "filter_state",
  "xds.listener_direction",
  "xds.filter_chain_name",
];
const OUT: usize = memory.data(8, 4);
const HEX = "0123456789abcdef";

function logAttribute(callback: string, dotted: string): void {
  const parts = dotted.split(".");
  let path = "";
  for (let i = 0; i < parts.length; i++) path += (i > 0 ? "\0" : "") + parts[i];
  const encoded = String.UTF8.encode(path);
  store<u64>(OUT, 0);
  const status = proxy_get_property(changetype<usize>(encoded), encoded.byteLength, OUT, OUT + 4);
  const ptr = <usize>load<u32>(OUT);
  const len = <usize>load<u32>(OUT + 4);
  let hex = "";
  for (let i: usize = 0; status == 0 && i < len; i++) {
    const v = load<u8>(ptr + i);
    hex += HEX.charAt(v >> 4) + HEX.charAt(v & 15);
  }
  if (status == 0 && ptr != 0) heap.free(ptr);
  log.info("tcp:attr " + callback + " " + dotted + " " + status.toString() + " " + hex);
}

function logAttributes(root: RootContext, callback: string): void {
  if (!(root as TcpRoot).attributes) return;
  for (let i = 0; i < TCP_ATTRIBUTES.length; i++) logAttribute(callback, TCP_ATTRIBUTES[i]);
}

class TcpRoot extends RootContext {
  attributes: bool = false;
  holding: bool = false;
  holdingNew: bool = false;
  closingAtCreate: bool = false;
  held: TcpMarker | null = null;

  onConfigure(configurationSize: u32): bool {
    const config = String.UTF8.decode(this.pluginConfiguration());
    this.holding = config == "hold";
    this.holdingNew = config == "hold-new";
    this.closingAtCreate = config == "close-at-create";
    this.attributes = config == "attributes";
    return true;
  }

  createStreamContext(contextId: u32): StreamContext | null {
    return new TcpMarker(contextId, this);
  }

  resumeHeld(): void {
    const held = this.held;
    if (held === null) return;
    this.held = null;
    log.info("tcp:resume " + held.continueDownstream().toString());
  }
}

class TcpMarker extends StreamContext {
  constructor(contextId: u32, root: RootContext) {
    super(contextId, root);
    if ((root as TcpRoot).closingAtCreate) log.info("tcp:created close " + this.closeDownstream().toString());
  }

  onNewConnection(): Action {
    log.info("tcp:new");
    logAttributes(this.root, "new");
    const root = this.root as TcpRoot;
    if (!root.holdingNew) return Action.Continue;
    if (root.held === null) {
      root.held = this;
      return Action.Pause;
    }
    root.resumeHeld();
    return Action.Continue;
  }

  onDownstreamData(dataSize: u32, endOfStream: bool): Action {
    const root = this.root as TcpRoot;
    if (root.holding && this.downstream.readString() == "hold") {
      root.held = this;
      return Action.Pause;
    }
    if (dataSize > 0) {
      log.info("tcp:downstream " + dataSize.toString());
      this.downstream.prepend(String.UTF8.encode(">"));
    }
    if (endOfStream) log.info("tcp:downstream-eos");
    logAttributes(this.root, "downstream");
    return Action.Continue;
  }

  onUpstreamData(dataSize: u32, endOfStream: bool): Action {
    const root = this.root as TcpRoot;
    // Told by its size alone ("resume"): reading it would make this connection effective first.
    if (root.holding && dataSize == 6) root.resumeHeld();
    if (dataSize > 0) {
      log.info("tcp:upstream " + dataSize.toString());
      this.upstream.append(String.UTF8.encode("<"));
    }
    logAttributes(this.root, "upstream");
    return Action.Continue;
  }

  onDownstreamConnectionClose(peer: PeerType): void {
    log.info("tcp:downstream-close");
    logAttributes(this.root, "downstream-close");
    const root = this.root as TcpRoot;
    if (root.holding) root.resumeHeld();
  }

  onUpstreamConnectionClose(peer: PeerType): void {
    log.info("tcp:upstream-close");
  }

  onDone(): bool {
    log.info("tcp:done");
    return true;
  }

  onDelete(): void {
    log.info("tcp:delete");
  }
}

registerRootContext((id: u32): RootContext => new TcpRoot(id));

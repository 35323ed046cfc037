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

export * from "../../../../assembly/exports";

// With the configuration "hold": downstream data "hold" pauses its connection, and the next
// upstream data of six bytes or downstream close of any connection resumes it through its
// handle. With "hold-new": the first connection's onNewConnection pauses it, and the next
// connection's resumes it. With "close-at-create" (built announced, as tcp-announced, so the
// constructor runs while the host creates the context): each connection's context closes its
// client side from its constructor.
class TcpRoot extends RootContext {
  holding: bool = false;
  holdingNew: bool = false;
  closingAtCreate: bool = false;
  held: TcpMarker | null = null;

  onConfigure(configurationSize: u32): bool {
    const config = String.UTF8.decode(this.pluginConfiguration());
    this.holding = config == "hold";
    this.holdingNew = config == "hold-new";
    this.closingAtCreate = config == "close-at-create";
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
    return Action.Continue;
  }

  onDownstreamConnectionClose(peer: PeerType): void {
    log.info("tcp:downstream-close");
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

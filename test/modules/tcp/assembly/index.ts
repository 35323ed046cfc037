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

class TcpRoot extends RootContext {
  createStreamContext(contextId: u32): StreamContext | null {
    return new TcpMarker(contextId, this);
  }
}

class TcpMarker extends StreamContext {
  onNewConnection(): Action {
    log.info("tcp:new");
    return Action.Continue;
  }

  onDownstreamData(dataSize: u32, endOfStream: bool): Action {
    if (dataSize > 0) {
      log.info("tcp:downstream " + dataSize.toString());
      this.downstream.prepend(String.UTF8.encode(">"));
    }
    if (endOfStream) log.info("tcp:downstream-eos");
    return Action.Continue;
  }

  onUpstreamData(dataSize: u32, endOfStream: bool): Action {
    if (dataSize > 0) {
      log.info("tcp:upstream " + dataSize.toString());
      this.upstream.append(String.UTF8.encode("<"));
    }
    return Action.Continue;
  }

  onDownstreamConnectionClose(peer: PeerType): void {
    log.info("tcp:downstream-close");
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

// timers: a root's tick and the timers it multiplexes on it (RootContext.setTickPeriod,
// addTimer, removeTimer), for test/sdk/timers.test.ts.
//
// Configuration: steps separated by ";", run in onConfigure:
//   tick <ms>          setTickPeriod(<ms>)
//   add <name> <ms>    addTimer(<ms>, a timer that logs "<name> at <now in ms>")
//   remove <name>      removeTimer(the timer added as <name>, or one never added)
// and "hold" (alone): a root whose streams wait in their request headers; the other root of
// the VM then acts on it from their callbacks (below).
//
// Requests run the steps on their path (after "/", with "," for ";" and "_" for " ") from the
// stream's callback, on the root configured "hold" through a module-level handle when it is
// another root of the VM (else on their own root): that root's calls must set its own tick,
// not the tick of the root whose stream is running.

import { Action, HttpContext, RootContext, Timer, currentTimeNanos, log, registerRootContext } from "../../../../assembly";

export * from "../../../../assembly/exports";

class Named extends Timer {
  constructor(public readonly name: string) {
    super();
  }

  onTimer(root: RootContext): void {
    log.info(this.name + " at " + (currentTimeNanos() / 1_000_000).toString());
  }
}

/** The root configured "hold", if any. */
let holder: TimerRoot | null = null;

class TimerRoot extends RootContext {
  private readonly named: Map<string, Named> = new Map();

  onConfigure(configurationSize: u32): bool {
    const config = String.UTF8.decode(this.pluginConfiguration());
    if (config == "hold") holder = this;
    else this.run(config);
    return true;
  }

  /** Runs steps; logs each one's status. */
  run(steps: string): void {
    const list = steps.split(";");
    for (let i = 0; i < list.length; i++) {
      const f = list[i].split(" ");
      const kind = f[0];
      let status = -1;
      if (kind == "tick") status = this.setTickPeriod(<u32>I32.parseInt(f[1]));
      else if (kind == "add") {
        const timer = new Named(f[1]);
        this.named.set(f[1], timer);
        status = this.addTimer(<u32>I32.parseInt(f[2]), timer);
      } else if (kind == "remove") {
        // A name never added: a timer this root does not have.
        status = this.removeTimer(this.named.has(f[1]) ? this.named.get(f[1]) : new Named(f[1]));
      }
      if (status >= 0) log.info(kind + ": " + status.toString());
    }
  }

  onTick(): void {
    log.info("tick at " + (currentTimeNanos() / 1_000_000).toString());
  }

  createHttpContext(contextId: u32): HttpContext | null {
    return new Steps(contextId, this);
  }
}

class Steps extends HttpContext {
  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    const path = this.request.headers.get(":path");
    const steps = path === null ? "" : path.slice(1).replaceAll(",", ";").replaceAll("_", " ");
    const target = holder;
    if (target !== null && changetype<RootContext>(target) !== this.root) target.run(steps);
    else (this.root as TimerRoot).run(steps);
    return Action.Continue;
  }
}

registerRootContext((id: u32): RootContext => new TimerRoot(id), "timers");
registerRootContext((id: u32): RootContext => new TimerRoot(id), "other");

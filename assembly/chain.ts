// Chains: several filters in one module, run by one HTTP context in the order Envoy would run
// them as separate plugins.
//
//   ChainRoot (the host's root context)
//    ├─ member roots, one per filter, made by each filter's own registered factory; each
//    │  reads its own section of the chain's configuration in its onConfigure
//    └─ ChainStream (the host's HTTP context, one per request)
//        └─ member HTTP contexts, made by each member root when the request reaches it
//
// A filter needs no change to join a chain: its entry file registers its root as usual
// (registerRootContext), and a generated entry file (`meshwasm build --chain a,b,c`) imports
// the filters in order and calls registerChain(["a", "b", "c"]). Members share the chain's
// context ids, so every host call a member makes acts on the right stream.
//
// What holds, as with separate plugins: request callbacks run in order, response callbacks in
// reverse order, only for the members the request reached; a member that pauses stops the
// ones after it until it resumes (its continueRequest goes on with the next member, not
// straight to the proxy); a member's local reply stops the members after it, and the reply's
// response callbacks run for the members before it and itself. Each root keeps its own tick
// period and timers (folded into the host's single tick), its callouts and the queues it
// registered. Metric names are each filter's own. The members run in one callback read the
// clock once between them (currentTimeNanos: the same instant, one host call). One difference: when a member pauses a
// body chunk (whole-body buffering), the proxy hands the chain the growing body, so members
// before it see the buffered bytes again with each chunk.

import { Action, Status, StreamType } from "./abi/types";
import { CallbackNeeds, StreamCallbacks } from "./callbacks";
import { ChainLink, HttpContext, RootContext, gcdOrFirst } from "./context";
import { log } from "./host/log";
import { continueStream } from "./host/stream";
import { currentTimeNanos, holdClock, releaseClock } from "./host/time";
import { onBody, onHeaders, onTrailers } from "./internal/http-dispatch";
import { panic } from "./internal/panic";
import { queueOwners, setRunningMember } from "./internal/queue-owners";
import { JsonKind, JsonObject, parseJson, stringifyJson } from "./json";
import { RootFactory, registerRootContext, takeRootFactories } from "./registry";

const HEADERS: i32 = 0;
const BODY: i32 = 1;
const TRAILERS: i32 = 2;

let chainNames: string[] = [];
let chainFactories: RootFactory[] = [];

/**
 * Makes this module one chain of the filters imported before the call, in `names` order
 * (the i-th imported filter must have registered its root under `names[i]` or under "").
 * Call once, at top level of the chain's entry file, after importing the filters; the
 * chain then serves any root_id. `meshwasm build --chain` writes that entry file.
 * Example: `registerChain(["telemetry", "auth"])`
 */
export function registerChain(names: string[]): void {
  const factories: RootFactory[] = [];
  const problem = takeRootFactories(names, factories);
  if (problem !== null) {
    panic("chain: " + problem);
    return;
  }
  chainNames = names;
  chainFactories = factories;
  registerRootContext((id: u32): RootContext => new ChainRoot(id, chainNames, chainFactories));
}

/** The chain's root: owns the member roots, splits the configuration, shares the tick. */
export class ChainRoot extends RootContext {
  readonly members: RootContext[] = [];
  /** Each member's explicit tick period as last seen, and when its onTick is next due. */
  private periods: u32[] = [];
  private nextTick: u64[] = [];

  constructor(id: u32, public readonly names: string[], factories: RootFactory[]) {
    super(id);
    for (let i = 0; i < factories.length; i++) {
      const member = unchecked(factories[i])(id);
      member.tickOwner = this;
      this.members.push(member);
      this.periods.push(0);
      this.nextTick.push(0);
    }
  }

  onVmStart(vmConfigurationSize: u32): bool {
    for (let i = 0; i < this.members.length; i++) {
      setRunningMember(i);
      const ok = unchecked(this.members[i]).onVmStart(vmConfigurationSize);
      setRunningMember(-1);
      if (!ok) {
        log.error("chain: filter \"" + this.names[i] + "\" refused to start");
        return false;
      }
    }
    return true;
  }

  /** The configuration is one JSON object with a section per filter, named as in the chain. */
  onConfigure(configurationSize: u32): bool {
    const parsed = parseJson(this.pluginConfiguration());
    if (!parsed.ok) {
      log.error("invalid configuration: the chain's configuration is not JSON: " + parsed.error!.toString());
      return false;
    }
    const value = parsed.value!;
    if (value.kind != JsonKind.Object) {
      log.error("invalid configuration: the chain's configuration must be an object with a section per filter (" +
        this.names.join(", ") + ")");
      return false;
    }
    const sections = changetype<JsonObject>(value);
    for (let i = 0; i < sections.keys.length; i++) {
      const key = unchecked(sections.keys[i]);
      if (!this.names.includes(key)) {
        log.error("invalid configuration: field \"" + key + "\": no filter of that name in this chain (" +
          this.names.join(", ") + ")");
        return false;
      }
    }
    for (let i = 0; i < this.names.length; i++) {
      const name = unchecked(this.names[i]);
      if (sections.has(name)) continue;
      log.error("invalid configuration: field \"" + name + "\": missing; the chain needs a section for each of its filters (" +
        this.names.join(", ") + ")");
      return false;
    }
    for (let i = 0; i < this.members.length; i++) {
      const name = unchecked(this.names[i]);
      const member = unchecked(this.members[i]);
      const bytes = String.UTF8.encode(stringifyJson(sections.get(name)!));
      member.configurationOverride = bytes;
      setRunningMember(i);
      const ok = member.onConfigure(<u32>bytes.byteLength);
      setRunningMember(-1);
      member.configurationOverride = null;
      if (!ok) {
        log.error("invalid configuration: field \"" + name + "\": the " + name + " filter refused its section (the line above says why)");
        return false;
      }
    }
    return true;
  }

  /** What the members need, each reason under its section's name; the chain itself needs
   *  the request's headers as soon as a member needs anything (it makes the members' contexts
   *  there). */
  neededCallbacks(needs: CallbackNeeds): void {
    for (let i = 0; i < this.members.length; i++) {
      const own = new CallbackNeeds();
      unchecked(this.members[i]).neededCallbacks(own);
      needs.add(own, "section \"" + unchecked(this.names[i]) + "\": ");
    }
    // (Delete alone is no callback: the members' contexts are made in the request's headers.)
    if ((needs.mask & ~StreamCallbacks.Delete) != 0) {
      needs.need(StreamCallbacks.RequestHeaders, "a chain (it starts its members' contexts in the request's headers)");
    }
  }

  tickPeriodMs(): u32 {
    let period = super.tickPeriodMs();
    for (let i = 0; i < this.members.length; i++) period = gcdOrFirst(period, unchecked(this.members[i]).tickPeriodMs());
    return period;
  }

  applyTickPeriod(): Status {
    let now: u64 = 0;
    for (let i = 0; i < this.members.length; i++) {
      const p = unchecked(this.members[i]).explicitTickMs;
      if (p == unchecked(this.periods[i])) continue;
      if (now == 0) now = currentTimeNanos();
      this.periods[i] = p;
      this.nextTick[i] = now + <u64>p * 1_000_000;
    }
    return super.applyTickPeriod();
  }

  // Each member's timers run on every tick (they keep their own due times); its onTick only
  // when its own period is due (with the same 1 ms of slack as timers).
  onTick(): void {
    const now = currentTimeNanos();
    for (let i = 0; i < this.members.length; i++) {
      const member = unchecked(this.members[i]);
      setRunningMember(i);
      member.runTimers();
      const p = unchecked(this.periods[i]);
      if (p > 0 && now + 1_000_000 >= unchecked(this.nextTick[i])) {
        this.nextTick[i] = now + <u64>p * 1_000_000;
        member.onTick();
      }
      setRunningMember(-1);
    }
  }

  /** To the member that registered the queue; to every member when none is known. */
  onQueueReady(queueId: u32): void {
    if (queueOwners.has(queueId)) {
      const i = queueOwners.get(queueId);
      setRunningMember(i);
      unchecked(this.members[i]).onQueueReady(queueId);
      setRunningMember(-1);
      return;
    }
    for (let i = 0; i < this.members.length; i++) unchecked(this.members[i]).onQueueReady(queueId);
  }

  onForeignFunction(functionId: u32, argumentsSize: u32): void {
    for (let i = 0; i < this.members.length; i++) unchecked(this.members[i]).onForeignFunction(functionId, argumentsSize);
  }

  onDone(): bool {
    let done = true;
    for (let i = 0; i < this.members.length; i++) if (!unchecked(this.members[i]).onDone()) done = false;
    return done;
  }

  onDelete(): void {
    for (let i = 0; i < this.members.length; i++) {
      const member = unchecked(this.members[i]);
      member.onDelete();
      member.alive = false;
    }
  }

  createHttpContext(contextId: u32): HttpContext | null {
    return new ChainStream(contextId, this);
  }
}

/** Hears a member's resume and local reply on behalf of its ChainStream. */
class StreamLink extends ChainLink {
  constructor(private readonly stream: ChainStream) {
    super();
  }

  resume(member: HttpContext, request: bool): Status {
    return this.stream.resume(member, request);
  }

  replied(member: HttpContext): void {
    this.stream.replied();
  }
}

/** Where a direction stopped: which member, in which callback, with what arguments. */
class Stop {
  at: i32 = -1;
  phase: i32 = HEADERS;
  count: u32 = 0;
  endOfStream: bool = false;
}

/** One request through the chain. */
export class ChainStream extends HttpContext {
  /** Member contexts; the first `reached` were made (null: the member passes requests). */
  private members: Array<HttpContext | null> = [];
  private reached: i32 = 0;
  private memberLink: StreamLink | null = null;
  private requestStop: Stop = new Stop();
  private responseStop: Stop = new Stop();
  /** A member replied locally on the request path (before the response) / on the response path. */
  private requestReplied: bool = false;
  private responseReplied: bool = false;

  constructor(contextId: u32, root: ChainRoot) {
    super(contextId, root);
  }

  replied(): void {
    if (this.responseStarted) this.responseReplied = true;
    else this.requestReplied = true;
  }

  private reach(i: i32): void {
    const member = unchecked((this.root as ChainRoot).members[i]).createHttpContext(this.contextId);
    if (member !== null) {
      if (this.memberLink === null) this.memberLink = new StreamLink(this);
      member.link = this.memberLink;
    }
    this.members.push(member);
    this.reached = i + 1;
  }

  /** Runs one callback through the members: on the request path from `from` up (reaching
   *  members as the headers get to them), on the response path from `from` down. Stops at a
   *  member that does not continue, or after a local reply on that path. The members of one
   *  pass read one instant of the clock (currentTimeNanos). */
  private run(request: bool, phase: i32, from: i32, count: u32, endOfStream: bool): Action {
    holdClock();
    const action = this.pass(request, phase, from, count, endOfStream);
    releaseClock();
    return action;
  }

  private pass(request: bool, phase: i32, from: i32, count: u32, endOfStream: bool): Action {
    const stop = request ? this.requestStop : this.responseStop;
    const n = (this.root as ChainRoot).members.length;
    for (let i = from; request ? i < n : i >= 0; i += request ? 1 : -1) {
      if (i >= this.reached) {
        // Only the request path gets past the members reached so far, at its headers.
        if (phase != HEADERS) break;
        this.reach(i);
      }
      const member = unchecked(this.members[i]);
      if (member === null) continue;
      const action = phase == HEADERS
        ? onHeaders(member, request, count, endOfStream)
        : phase == BODY ? onBody(member, request, count, endOfStream) : onTrailers(member, request, count);
      if (request ? this.requestReplied : this.responseReplied) return Action.Pause;
      if (action != Action.Continue) {
        stop.at = i;
        stop.phase = phase;
        stop.count = count;
        stop.endOfStream = endOfStream;
        return action;
      }
    }
    stop.at = -1;
    return Action.Continue;
  }

  /** A member resumed: the members after it run the callback it stopped in, then the proxy
   *  goes on. A response no member holds is continued only once it started (see
   *  HttpContext.continueResponse). */
  resume(member: HttpContext, request: bool): Status {
    const stop = request ? this.requestStop : this.responseStop;
    const type = request ? StreamType.HttpRequest : StreamType.HttpResponse;
    if (stop.at < 0) {
      if (!request && !this.responseStarted) return Status.BadArgument;
      return continueStream(type);
    }
    if (this.members.indexOf(member) != stop.at) return Status.Ok; // not the member that holds it
    const action = this.run(request, stop.phase, stop.at + (request ? 1 : -1), stop.count, stop.endOfStream);
    if (action != Action.Continue) return Status.Ok;
    // After a local reply the request goes no further; a local reply's own response (held by a
    // member on its way out) does.
    if (this.responseReplied || (request && this.requestReplied)) return Status.Ok;
    return continueStream(type);
  }

  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    return this.run(true, HEADERS, 0, numHeaders, endOfStream);
  }

  onRequestBody(bodySize: u32, endOfStream: bool): Action {
    if (this.requestReplied) return Action.Continue;
    return this.run(true, BODY, 0, bodySize, endOfStream);
  }

  onRequestTrailers(numTrailers: u32): Action {
    if (this.requestReplied) return Action.Continue;
    return this.run(true, TRAILERS, 0, numTrailers, true);
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    return this.run(false, HEADERS, this.reached - 1, numHeaders, endOfStream);
  }

  onResponseBody(bodySize: u32, endOfStream: bool): Action {
    if (this.responseReplied) return Action.Continue;
    return this.run(false, BODY, this.reached - 1, bodySize, endOfStream);
  }

  onResponseTrailers(numTrailers: u32): Action {
    if (this.responseReplied) return Action.Continue;
    return this.run(false, TRAILERS, this.reached - 1, numTrailers, true);
  }

  onLog(): void {
    for (let i = 0; i < this.reached; i++) {
      const member = unchecked(this.members[i]);
      if (member !== null) member.onLog();
    }
  }

  onDone(): bool {
    let done = true;
    for (let i = 0; i < this.reached; i++) {
      const member = unchecked(this.members[i]);
      if (member !== null && !member.onDone()) done = false;
    }
    return done;
  }

  onDelete(): void {
    for (let i = 0; i < this.reached; i++) {
      const member = unchecked(this.members[i]);
      if (member === null) continue;
      member.onDelete();
      member.alive = false;
    }
  }
}

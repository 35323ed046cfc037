// Requests held while a provider's key set is fetched again: a token named a kid the set
// lacks, so the request waits (paused) for the refetch it triggered or joined, and is decided
// again with the keys that fetch brought. Each worker's root keeps one bounded list per
// remote provider; a request that waits longer than the hold timeout is refused (fails
// closed), one whose client went away is dropped.

import { HttpContext } from "../../../assembly";

/** A request that can wait for keys: the HTTP context the root resumes through its handle. */
export abstract class Holdable extends HttpContext {
  /** When it started waiting (ms). */
  heldSince: i64 = 0;
  /** Decides the request again with the keys there are now (never holding it a second
   *  time), then lets it go on or refuses it. */
  abstract decideAgain(): void;
  /** Refuses the request: the refetch did not end within the hold timeout. */
  abstract holdExpired(): void;
}

/** The requests one worker holds for one provider. */
export class HeldRequests {
  private items: Holdable[] = [];

  get length(): i32 {
    return this.items.length;
  }

  /** Holds `h` from `now` unless `max` requests wait already; false when it is not held. */
  add(h: Holdable, now: i64, max: i32): bool {
    this.prune();
    if (this.items.length >= max) return false;
    h.heldSince = now;
    this.items.push(h);
    return true;
  }

  /** Decides again every request that started waiting before a fetch that ended at
   *  `endedAt` (0: none ended); the count. */
  resumeAfter(endedAt: i64): i32 {
    if (endedAt == 0) return 0;
    const due = this.takeHeldBy(endedAt);
    for (let i = 0; i < due.length; i++) unchecked(due[i]).decideAgain();
    return due.length;
  }

  /** Refuses every request that started waiting at or before `deadline`; the count. */
  expire(deadline: i64): i32 {
    const due = this.takeHeldBy(deadline);
    for (let i = 0; i < due.length; i++) unchecked(due[i]).holdExpired();
    return due.length;
  }

  /** Forgets requests whose stream the host has deleted (the client went away). */
  prune(): void {
    let n = 0;
    for (let i = 0; i < this.items.length; i++) {
      const h = unchecked(this.items[i]);
      if (h.alive) this.items[n++] = h;
    }
    this.items.length = n;
  }

  /** Removes and returns the live requests held at or before `at`. The list is rebuilt
   *  before any is acted on, so acting never sees a half-changed list. */
  private takeHeldBy(at: i64): Holdable[] {
    const out: Holdable[] = [];
    let n = 0;
    for (let i = 0; i < this.items.length; i++) {
      const h = unchecked(this.items[i]);
      if (!h.alive) continue;
      if (h.heldSince <= at) out.push(h);
      else this.items[n++] = h;
    }
    this.items.length = n;
    return out;
  }
}

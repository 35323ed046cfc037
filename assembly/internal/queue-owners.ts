// Which chain member registered each shared queue, so that the chain hands the queue's
// onQueueReady to that member (see chain.ts). Outside chains nothing is recorded.

/** Index of the chain member whose root callback is running; -1 when none. */
let runningMember: i32 = -1;

/** Queue id → index of the member that registered it. */
export const queueOwners = new Map<u32, i32>();

/** The chain: member `index`'s root callback starts (-1: it ended). */
export function setRunningMember(index: i32): void {
  runningMember = index;
}

/** registerSharedQueue: queue `id` was registered by whoever is running. */
export function noteQueueOwner(id: u32): void {
  if (runningMember >= 0) queueOwners.set(id, runningMember);
}

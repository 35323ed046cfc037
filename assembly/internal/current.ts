// Which context the host is running, so a context handle can act from any callback.
//
// Host calls act on the host's "effective context": the one whose callback is running. A
// filter that paused a request and resumes it from the root's onTick, onQueueReady or a
// callout answer must first make that request's context effective
// (proxy_set_effective_context). The dispatcher records the context of every callback on
// entry; context methods call `useContext` before acting, which costs a compare when the
// context is already the current one and one host call when it is not.

import { proxy_set_effective_context } from "../abi/imports";
import { Status } from "../abi/types";

let current: u32 = 0;

/** The dispatcher: the host entered a callback of context `id`. */
// @ts-ignore: decorator
@inline
export function enteredContext(id: u32): void {
  current = id;
}

/** Makes `id` the host's effective context if it is not already. */
export function useContext(id: u32): Status {
  if (current == id) return Status.Ok;
  const status = <Status>proxy_set_effective_context(id);
  if (status == Status.Ok) current = id;
  return status;
}

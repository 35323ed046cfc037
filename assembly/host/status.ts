// Checks of host-call results that the caller cannot act on.

import { Status } from "../abi/types";
import { Broken, panic } from "../internal/panic";

/** Aborts with a message naming `call` when a host call that must succeed did not. */
export function expectOk(status: u32, call: string): void {
  if (status != Status.Ok) {
    panic(Broken.HOST_STATUS + call + " returned status " + status.toString());
  }
}

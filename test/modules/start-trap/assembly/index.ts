// Top-level code that traps: it runs in _initialize, so loading must fail naming _initialize.

import { RootContext, registerRootContext } from "../../../../assembly";

export * from "../../../../assembly/exports";

const limits: i32[] = [1, 2, 3];

registerRootContext((id: u32): RootContext => new RootContext(id));
// Out of range: AssemblyScript aborts, and the SDK's abort traps.
const broken = limits[7];
export function brokenValue(): i32 {
  return broken;
}

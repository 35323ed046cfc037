// Top-level code that calls a host function Envoy forbids while the VM starts (defining a
// metric): the start call must fail with restricted_callback, naming the host function.

import { Counter, RootContext, registerRootContext } from "../../../../assembly";

export * from "../../../../assembly/exports";

const early = new Counter("defined_too_early");
early.increment();

registerRootContext((id: u32): RootContext => new RootContext(id));

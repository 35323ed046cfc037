// The smoke test's rule for optional peers: unbuilt only when the toolchain or SDK cannot be had.

import { describe, expect, it } from "vitest";
import { unavailableReason } from "./unavailable.ts";

describe("unavailableReason", () => {
  it.each([
    [
      "the Go module proxy refusing the SDK",
      "go build -buildmode=c-shared -o bench/.work/go/header1.wasm ./header1 failed:\n" +
        "header1/main.go:5:2: module github.com/x/sdk: reading <registry>/github.com/x/sdk/@v/list: 403 Forbidden\n" +
        "\tserver response: This module version is not available.",
    ],
    ["a missing tool", "go build ./header1 failed:\nError: spawnSync go ENOENT"],
    ["no network", "npm install --prefix bench/peers/solo failed:\nnpm error code EAI_AGAIN"],
    ["system packages", "apt-get install -y rustc cargo failed:\nE: Unable to locate package"],
    [
      "crates",
      "/usr/bin/cargo -Z sparse-registry build failed:\nerror: failed to download `syn v2.0.119`",
    ],
  ])("accepts %s", (_what, reason) => {
    expect(unavailableReason(reason)).toBe(true);
  });

  it.each([
    [
      "a Go compile error",
      "go build ./header1 failed:\nheader1/main.go:12:3: undefined: proxywasm.Foo",
    ],
    [
      "a Rust compile error",
      "cargo build failed:\nerror[E0425]: cannot find value `x` in this scope",
    ],
    ["an AssemblyScript error", "asc solo/header1.ts failed:\nERROR TS2304: Cannot find name 'y'."],
    ["a wasm that does not load", "no module"],
    ["no reason at all", undefined],
  ])("refuses %s", (_what, reason) => {
    expect(unavailableReason(reason)).toBe(false);
  });
});

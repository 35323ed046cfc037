#!/usr/bin/env node
// The `meshwasm` executable (package.json "bin"): runs the CLI and exits with its code.
import { run } from "./program.ts";

process.exitCode = await run(process.argv.slice(2));

// Every `meshwasm` subcommand, in the order `meshwasm --help` lists them. One module per
// command; a new command is a new file here plus one line in this list.

import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import buildCommand from "./build.ts";
import checkCommand from "./check.ts";
import demoCommand from "./demo.ts";
import envoyCommand from "./envoy.ts";
import envoyConfigCmd from "./envoy-config.ts";
import manifestCmd from "./manifest.ts";
import newCommand from "./new.ts";
import packageCmd from "./package.ts";
import pushCmd from "./push.ts";
import runCommand from "./run.ts";
import testCommand from "./test.ts";

export type CommandFactory = (ctx: CliContext) => Command;

export const commands: readonly CommandFactory[] = [
  newCommand,
  buildCommand,
  checkCommand,
  testCommand,
  runCommand,
  demoCommand,
  envoyCommand,
  packageCmd,
  pushCmd,
  manifestCmd,
  envoyConfigCmd,
];

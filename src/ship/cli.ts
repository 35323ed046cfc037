/**
 * Runs one shipping subcommand: `tsx src/ship/cli.ts <package|push|manifest|envoy-config> …`.
 * The `meshwasm` CLI dispatches to the same functions.
 */
import { SHIP_COMMANDS } from "./commands.ts";

export async function runShipCommand(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const command = SHIP_COMMANDS[name as keyof typeof SHIP_COMMANDS];
  if (!command) {
    console.error(
      `meshwasm: unknown command "${name ?? ""}" (ship commands: ${Object.keys(SHIP_COMMANDS).join(", ")})`,
    );
    return 2;
  }
  try {
    console.log(await command(rest));
    return 0;
  } catch (err) {
    console.error(`meshwasm ${name}: ${(err as Error).message}`);
    return 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await runShipCommand(process.argv.slice(2));
}

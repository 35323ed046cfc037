// The bench scripts' command lines. `--help` (or `-h`) prints the script's own header comment,
// which is where each script documents its options; an unknown option, a number out of range
// or a pattern that does not compile is refused naming the option and the value (exit status
// 2), where before it gave a stack trace, or a NaN that ran on as zero rounds.
//
// node:util's parseArgs does the parsing; this only adds the usage text and the checks.

import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";

/** The script's path for messages: `bench/run.ts`. */
function scriptName(scriptUrl: string): string {
  return relative(process.cwd(), fileURLToPath(scriptUrl)) || scriptUrl;
}

/** The leading `//` comment of a script, without the comment marks. */
export function usageOf(source: string): string {
  const lines: string[] = [];
  for (const line of source.split("\n")) {
    if (!line.startsWith("//")) break;
    lines.push(line.replace(/^\/\/ ?/, ""));
  }
  return lines.join("\n").trim();
}

/** Stops the script with a message naming what was wrong and where to look. */
export function refuse(scriptUrl: string, message: string): never {
  console.error(`${scriptName(scriptUrl)}: ${message} (--help lists the options)`);
  process.exit(2);
}

/** Runs `parse` (a parseArgs call) unless `--help` or `-h` was given, in which case the
 *  script's header comment is printed and the process ends; a parse error is refused. */
export function benchArgs<T>(scriptUrl: string, parse: () => T): T {
  const args = process.argv.slice(2);
  if (args.includes("--help") || args.includes("-h")) {
    console.log(usageOf(readFileSync(fileURLToPath(scriptUrl), "utf8")));
    process.exit(0);
  }
  try {
    return parse();
  } catch (error) {
    return refuse(scriptUrl, error instanceof Error ? error.message : String(error));
  }
}

export interface NumberRule {
  /** The smallest value taken. */
  min: number;
  /** Whether only whole numbers are taken (counts: rounds, requests, workers). */
  integer?: boolean;
}

/** The option's value as a number, or `fallback` when it was not given. */
export function numberOption(
  scriptUrl: string,
  name: string,
  value: string | undefined,
  fallback: number,
  rule: NumberRule,
): number;
export function numberOption(
  scriptUrl: string,
  name: string,
  value: string | undefined,
  fallback: undefined,
  rule: NumberRule,
): number | undefined;
export function numberOption(
  scriptUrl: string,
  name: string,
  value: string | undefined,
  fallback: number | undefined,
  rule: NumberRule,
): number | undefined {
  if (value === undefined) return fallback;
  const n = value.trim() === "" ? Number.NaN : Number(value);
  if (!Number.isFinite(n) || n < rule.min || (rule.integer === true && !Number.isInteger(n))) {
    const kind = rule.integer === true ? "a whole number" : "a number";
    refuse(scriptUrl, `--${name} must be ${kind} >= ${rule.min}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** The option's value as a regular expression, or undefined when it was not given. */
export function patternOption(
  scriptUrl: string,
  name: string,
  value: string | undefined,
): RegExp | undefined {
  if (value === undefined) return undefined;
  try {
    return new RegExp(value);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return refuse(
      scriptUrl,
      `--${name} ${JSON.stringify(value)} is not a regular expression: ${reason}`,
    );
  }
}

/**
 * Follows a running Envoy's output and picks what `meshwasm run` shows: every line a filter
 * logged (`proxy_log`), and Envoy's own warnings and errors.
 *
 * The runner logs with the format `[%l][%n] %v` (level, component, message); a filter's line
 * is `[info][wasm] wasm log <plugin name> <root id> <vm id>: <message>`.
 */
import type { EnvoyProcess } from "../envoy/runner.ts";

export interface EnvoyLogLine {
  level: string;
  /** The plugin name for a filter's own line; absent for Envoy's lines. */
  filter?: string;
  message: string;
}

const LINE = /^\[(\w+)\]\[([\w.]+)\] (.*)$/;
// Stryker disable next-line Regex: equivalent, the `$` form: `.` stops at a line break and LINE already ends at the end, so `(.*)` reaches the end either way; the `^` form, which the tests kill, goes with it
const FILTER_LINE = /^wasm log ([^:]*?): (.*)$/;
const SHOWN_LEVELS = new Set(["warning", "error", "critical"]);
/** Start-up warnings about Envoy's own defaults, not about the filters: noise here. */
const IGNORED = /global_downstream_max_connections|caught ENVOY_SIG/;

/** Parses one output line; undefined for lines `run` does not show. */
export function parseEnvoyLogLine(raw: string): EnvoyLogLine | undefined {
  const match = LINE.exec(raw);
  if (!match) return undefined;
  // Stryker disable next-line StringLiteral: equivalent, LINE's groups always take part when it matches, so the defaults are never used
  const [, level = "", component, message = ""] = match;
  if (component === "wasm") {
    const own = FILTER_LINE.exec(message);
    // Stryker disable next-line StringLiteral: equivalent, both groups take part when FILTER_LINE matches and split gives at least one part, so the fallbacks are never used
    if (own) return { level, filter: own[1]?.split(" ")[0] ?? "", message: own[2] ?? "" };
  }
  return SHOWN_LEVELS.has(level) && !IGNORED.test(message) ? { level, message } : undefined;
}

/** Hands out the complete lines Envoy wrote since the last call, filtered and parsed. */
export class LogFollower {
  private offset = 0;

  constructor(private readonly envoy: Pick<EnvoyProcess, "logs">) {}

  poll(): EnvoyLogLine[] {
    const text = this.envoy.logs();
    const end = text.lastIndexOf("\n") + 1;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, an early exit: with no new complete line the chunk is empty and parses to no lines
    if (end <= this.offset) return [];
    const chunk = text.slice(this.offset, end);
    this.offset = end;
    const lines: EnvoyLogLine[] = [];
    for (const raw of chunk.split("\n")) {
      const line = parseEnvoyLogLine(raw);
      if (line) lines.push(line);
    }
    return lines;
  }
}

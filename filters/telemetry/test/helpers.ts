// Shared by the telemetry tests: the module, a test host with the filter's stats_tags, an
// upstream that answers with the status and body size a request asks for, and readers of the
// access-log lines and /stats/prometheus text.
import { createHost, type Host, type HostOptions } from "../../../src/testing/index.ts";
import { buildTelemetry } from "./build.ts";
import { telemetryStatsTags } from "./stats-config.ts";

export const ROOT_ID = "telemetry";

/** An upstream answering `x-status` (default 200) with `x-len` bytes (default 2). */
export const statusUpstream: NonNullable<HostOptions["upstream"]> = (req) => ({
  status: Number(req.headers["x-status"] ?? "200"),
  headers: { "content-type": "text/plain", "x-upstream-secret": "s3cr3t" },
  body: "x".repeat(Number(req.headers["x-len"] ?? "2")),
});

export async function telemetryHost(
  configuration: object = {},
  extra: Partial<HostOptions> = {},
): Promise<Host> {
  return createHost({
    module: await buildTelemetry(),
    rootId: ROOT_ID,
    configuration,
    statsTags: telemetryStatsTags(configuration),
    upstream: statusUpstream,
    ...extra,
  });
}

/** The access-log objects among log lines (the lines that are JSON objects). */
export function accessLines(lines: readonly string[]): Array<Record<string, unknown>> {
  return lines
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Series lines of one family (`name{...} value`), sorted. */
export function series(text: string, name: string): string[] {
  return text
    .split("\n")
    .filter((l) => l.startsWith(`${name}{`))
    .sort();
}

/** The value of the one series of `name` whose labels include every `labels` pair. */
export function seriesValue(text: string, name: string, labels: Record<string, string>): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const hits = series(text, name).filter((l) => want.every((w) => l.includes(w)));
  if (hits.length !== 1)
    throw new Error(`${hits.length} series of ${name} match ${want.join(",")}`);
  return Number((hits[0] as string).split(" ").pop());
}

export const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/;
export const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

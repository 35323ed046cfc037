// Which build failures of an optional benchmark peer the smoke test accepts.

/** The only reasons a peer outside MUST_RUN may stay unbuilt: its toolchain or SDK cannot be
 *  had on this machine (a registry refuses or cannot be reached, a tool is missing, the system
 *  packages do not install). A compile error in the peer's own source, or anything else, fails. */
const UNAVAILABLE: RegExp[] = [
  /\b40[34] (Forbidden|Not Found)\b/,
  /module version is not available/,
  /\bENOENT\b/,
  /no such host|dial tcp|i\/o timeout|ETIMEDOUT|ECONNREFUSED|ECONNRESET|EAI_AGAIN/,
  /failed to download|Unable to update registry|failed to get `[^`]+` as a dependency/,
  /^apt-get .* failed:/m,
];

/** Whether `reason` says the peer's toolchain or SDK could not be had. */
export function unavailableReason(reason: string | undefined): boolean {
  return reason !== undefined && UNAVAILABLE.some((re) => re.test(reason));
}

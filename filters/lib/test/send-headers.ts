// A GET's request headers through the test host's step API, for tests that hold a request:
// unlike host.request(), no virtual time passes while the filter waits (on a callout, a
// refetch), so the test decides when the answer or the timeout comes.
import type { Host, TestStream } from "../../../src/testing/index.ts";

/** Sends a GET's headers on `worker`; the stream and the filter's answer ("Pause", ...). */
export function sendHeaders(host: Host, headers: Record<string, string>, worker = 0) {
  const s: TestStream = host.stream({ worker });
  const action = s.requestHeaders({
    ":method": "GET",
    ":path": "/",
    ":authority": "a",
    ...headers,
  });
  return { s, action };
}

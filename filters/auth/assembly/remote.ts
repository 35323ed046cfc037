// Remote key sets: fetched over HTTP through an Envoy cluster, once per Envoy process, and
// shared with every worker through shared data. Each worker's root polls the shared entry on
// its tick and re-reads the key set when it changed; one worker at a time (the one holding a
// lock entry, taken by compare-and-swap) fetches when the set is older than refresh_seconds,
// after a failure once retry_seconds have passed, or (rate-limited, process-wide) when a
// token names a kid the set lacks. A failed fetch keeps the last good set. With OIDC
// discovery the fetcher first reads the issuer's openid-configuration for jwks_uri. A request
// naming an unknown kid is held until the refetch it triggers (or joins) ends: `heldState`
// says whether one will end within the hold timeout, and when the last one ended.
//
// Shared entries (per provider, keyed by its name, cluster and path):
//   <key>       "<fetchedAtMs> <failedAtMs> <attemptAtMs>\n<last good JWKS body>"
//   <key>:lock  "<untilMs>": a fetch is under way until then (0: free)

import {
  ConfigReader,
  Header,
  RootContext,
  Status,
  getSharedData,
  httpCallResponse,
  parseJson,
  quoteJsonString,
  setSharedData,
} from "../../../assembly";
import { JsonObject } from "../../../assembly/json";
import { Jwk, readJwks } from "./jwks";

export class RemoteJwks {
  cluster: string = "";
  path: string = "";
  authority: string = "";
  timeoutMs: u32 = 5000;
  refreshSeconds: i64 = 300;
  retrySeconds: i64 = 5;
  unknownKidSeconds: i64 = 30;
  /** How long a request naming an unknown kid may wait for the refetch. */
  holdMs: i64 = 6000;
  /** Requests each worker may hold for this provider at once (0: none are held). */
  maxHeld: i32 = 100;
  oidcDiscovery: bool = false;
  discoveryPath: string = "/.well-known/openid-configuration";
}

const REMOTE_KEYS: string[] = [
  "cluster", "path", "authority", "timeout_ms", "refresh_seconds", "retry_seconds",
  "unknown_kid_refetch_seconds", "unknown_kid_hold_ms", "unknown_kid_max_held", "oidc_discovery",
  "discovery_path",
];

function isPath(s: string): bool {
  if (!s.startsWith("/") || s.length > 2048) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

/** Reads `remote_jwks`. */
export function readRemoteJwks(r: ConfigReader): RemoteJwks {
  const out = new RemoteJwks();
  r.unknownKeys(REMOTE_KEYS);
  out.cluster = r.string("cluster");
  if (r.ok && (out.cluster.length == 0 || out.cluster.length > 200)) r.fail("cluster", "must be a cluster name");
  out.oidcDiscovery = r.bool("oidc_discovery", false);
  out.discoveryPath = r.string("discovery_path", "/.well-known/openid-configuration");
  if (!isPath(out.discoveryPath)) r.fail("discovery_path", quoteJsonString(out.discoveryPath) + " must be a path starting with /");
  if (out.oidcDiscovery) {
    if (r.has("path")) r.fail("path", "is found by discovery when oidc_discovery is set; leave it out");
  } else {
    out.path = r.string("path");
    if (r.ok && !isPath(out.path)) r.fail("path", quoteJsonString(out.path) + " must be a path starting with / (printable ASCII)");
  }
  out.authority = r.string("authority", out.cluster);
  if (out.authority.length == 0 || out.authority.includes(" ") || out.authority.includes("/")) {
    r.fail("authority", quoteJsonString(out.authority) + " is not a host name");
  }
  out.timeoutMs = <u32>r.integer("timeout_ms", 5000, 100, 60000);
  out.refreshSeconds = r.integer("refresh_seconds", 300, 1, 86400);
  out.retrySeconds = r.integer("retry_seconds", 5, 1, 3600);
  out.unknownKidSeconds = r.integer("unknown_kid_refetch_seconds", 30, 0, 3600);
  out.holdMs = r.integer("unknown_kid_hold_ms", <i64>out.timeoutMs + 1000, 100, 120000);
  out.maxHeld = <i32>r.integer("unknown_kid_max_held", 100, 0, 10000);
  return out;
}

/** The shared entry's header line. */
class Entry {
  fetchedAt: i64 = 0;
  failedAt: i64 = 0;
  attemptAt: i64 = 0;
  body: string = "";
}

function readEntry(bytes: ArrayBuffer): Entry {
  const e = new Entry();
  const text = String.UTF8.decode(bytes);
  const nl = text.indexOf("\n");
  const head = (nl < 0 ? text : text.substring(0, nl)).split(" ");
  if (head.length == 3) {
    e.fetchedAt = I64.parseInt(head[0]);
    e.failedAt = I64.parseInt(head[1]);
    e.attemptAt = I64.parseInt(head[2]);
  }
  e.body = nl < 0 ? "" : text.substring(nl + 1);
  return e;
}

function writeEntry(e: Entry): ArrayBuffer {
  return String.UTF8.encode(e.fetchedAt.toString() + " " + e.failedAt.toString() + " " + e.attemptAt.toString() + "\n" + e.body);
}

/** See JwksFetcher.heldState. */
export class HeldState {
  fetchSoon: bool = false;
  lastEndedAt: i64 = 0;
}

/** One provider's remote key set, as one worker sees and fetches it. */
export class JwksFetcher {
  readonly key: string;
  readonly lockKey: string;
  /** The keys this worker verifies with (the last good set, parsed here). */
  keys: Jwk[] = [];
  /** Bumped whenever `keys` changes (the token cache is cleared then). */
  generation: i32 = 0;
  private seenCas: u32 = 0;
  /** The document `keys` were parsed from. */
  private seenBody: string = "";
  private wantRefetch: bool = false;
  private wantSince: i64 = 0;
  /** The callout under way from this worker (0: none), and its stage. */
  token: u32 = 0;
  private discovering: bool = false;
  private jwksPath: string = "";
  fetchOk: i32 = 0;
  fetchFailed: i32 = 0;
  lastError: string = "";

  constructor(
    public readonly remote: RemoteJwks,
    providerName: string,
    /** The provider's issuer, which a discovery document must name when set. */
    public readonly issuer: string | null,
  ) {
    const key = "meshwasm.auth.jwks:" + providerName + ":" + remote.cluster + ":" +
      (remote.oidcDiscovery ? remote.discoveryPath : remote.path);
    this.key = key;
    this.lockKey = key + ":lock";
    this.jwksPath = remote.path;
    // Create the lock entry once, so every later acquisition is a compare-and-swap.
    if (getSharedData(this.lockKey) === null) setSharedData(this.lockKey, String.UTF8.encode("0"));
  }

  /** Asks for a fetch soon (a token named an unknown kid, or there are no keys yet). */
  requestRefetch(now: i64): void {
    if (!this.wantRefetch) this.wantSince = now;
    this.wantRefetch = true;
  }

  /** Reads the shared entry: new keys when it changed. Returns true when `keys` changed. */
  sync(): bool {
    const v = getSharedData(this.key);
    if (v === null || v.cas == this.seenCas) return false;
    this.seenCas = v.cas;
    const e = readEntry(v.value);
    // A fetch started since the ask (by any worker) answers it.
    if (this.wantRefetch && e.attemptAt >= this.wantSince) this.wantRefetch = false;
    // The entry also changes when a fetch starts or fails: the keys only when the body does.
    if (e.body.length == 0 || e.body == this.seenBody) return false;
    const parsed = parseJson(String.UTF8.encode(e.body), 16);
    if (parsed.error !== null) return false;
    const r = readJwks(parsed.value!);
    if (!r.ok) return false;
    this.keys = r.keys;
    this.seenBody = e.body;
    this.generation++;
    // New keys answer what this worker was waiting for (a request held for them is decided
    // again with them); another fetch only after the next ask.
    this.wantRefetch = false;
    return true;
  }

  /** Whether a request held now would see a fetch end within `remote.holdMs` (one under way,
   *  or one the unknown-kid rate limit lets start by then), and when the last fetch ended
   *  (0 while one is under way). */
  heldState(now: i64): HeldState {
    const out = new HeldState();
    const v = getSharedData(this.key);
    const e = v === null ? new Entry() : readEntry(v.value);
    const lock = getSharedData(this.lockKey);
    const busy = this.token != 0 || (lock !== null && I64.parseInt(String.UTF8.decode(lock.value)) > now);
    out.lastEndedAt = busy ? 0 : max(e.fetchedAt, e.failedAt);
    out.fetchSoon = busy || e.attemptAt + this.remote.unknownKidSeconds * 1000 <= now + this.remote.holdMs;
    return out;
  }

  /** Starts a fetch from `root` when one is due and no other worker holds the lock. */
  maybeFetch(now: i64, root: RootContext): void {
    if (this.token != 0) return;
    const v = getSharedData(this.key);
    const e = v === null ? new Entry() : readEntry(v.value);
    let due = false;
    const refreshMs = this.remote.refreshSeconds * 1000;
    if (e.fetchedAt == 0 || now - e.fetchedAt >= refreshMs) {
      // Stale or never fetched: retry after a failure only once retry_seconds have passed.
      due = e.failedAt == 0 || e.failedAt < e.fetchedAt || now - e.failedAt >= this.remote.retrySeconds * 1000;
    }
    // A refetch asked for within the rate limit waits (one fetch then serves every such ask).
    if (!due && this.wantRefetch && now - e.attemptAt >= this.remote.unknownKidSeconds * 1000) due = true;
    if (!due) return;
    const lock = getSharedData(this.lockKey);
    if (lock === null) return;
    const until = I64.parseInt(String.UTF8.decode(lock.value));
    if (until > now) return; // another worker is fetching
    const hold = now + <i64>this.remote.timeoutMs * 2 + 1000;
    if (setSharedData(this.lockKey, String.UTF8.encode(hold.toString()), lock.cas) != Status.Ok) return;
    this.wantRefetch = false;
    this.update(now, 0, true, null);
    this.discovering = this.remote.oidcDiscovery && this.jwksPath.length == 0;
    const token = this.dispatch(root, this.discovering ? this.remote.discoveryPath : this.jwksPath);
    if (token == 0) this.finish(now, null, "the callout could not be dispatched");
    else this.token = token;
  }

  /** The callout's answer (in the root's onHttpCallResponse); a follow-up dispatch when the
   *  discovery document named the JWKS path. */
  onResponse(now: i64, numHeaders: u32, root: RootContext): void {
    this.token = 0;
    if (numHeaders == 0) {
      this.finish(now, null, "no response (timeout or connection failure)");
      return;
    }
    const status = httpCallResponse.headers.get(":status");
    if (status === null || status! != "200") {
      this.finish(now, null, "status " + (status === null ? "none" : status!));
      return;
    }
    const body = httpCallResponse.body.read(0, 1 << 20);
    const parsed = parseJson(body, 16);
    if (parsed.error !== null) {
      this.finish(now, null, "the response is not JSON");
      return;
    }
    if (this.discovering) {
      this.discovering = false;
      const doc = parsed.value!.asObject();
      const uri = doc !== null ? memberString(doc, "jwks_uri") : null;
      const iss = doc !== null ? memberString(doc, "issuer") : null;
      if (uri === null) {
        this.finish(now, null, "the discovery document has no jwks_uri");
        return;
      }
      if (this.issuer !== null && (iss === null || iss! != this.issuer!)) {
        this.finish(now, null, "the discovery document names another issuer");
        return;
      }
      const path = pathOf(uri!);
      if (path === null) {
        this.finish(now, null, "jwks_uri is not an http(s) URL with a path");
        return;
      }
      this.jwksPath = path!;
      const token = this.dispatch(root, this.jwksPath);
      if (token == 0) this.finish(now, null, "the callout could not be dispatched");
      else this.token = token;
      return;
    }
    const r = readJwks(parsed.value!);
    if (!r.ok || r.keys.length == 0) {
      this.finish(now, null, r.ok ? "the key set holds no usable key" : "the key set is invalid at " + r.errorPath + ": " + r.error);
      return;
    }
    this.finish(now, String.UTF8.decode(body), "");
  }

  /** Sends the GET; the token of the callout, or 0 when it could not be sent. */
  private dispatch(root: RootContext, path: string): u32 {
    const d = root.dispatchHttpCall(this.remote.cluster, getHeaders(this.remote.authority, path), null, [], this.remote.timeoutMs);
    return d.ok ? d.token : 0;
  }

  private finish(now: i64, body: string | null, error: string): void {
    if (body !== null) this.fetchOk++;
    else {
      this.fetchFailed++;
      this.lastError = error;
    }
    this.update(now, body !== null ? 1 : 2, false, body);
    const lock = getSharedData(this.lockKey);
    setSharedData(this.lockKey, String.UTF8.encode("0"), lock !== null ? lock.cas : 0);
  }

  /** Read-modify-write of the shared entry; outcome 0 attempt, 1 success, 2 failure. */
  private update(now: i64, outcome: i32, attempt: bool, body: string | null): void {
    for (let i = 0; i < 8; i++) {
      const v = getSharedData(this.key);
      const e = v === null ? new Entry() : readEntry(v.value);
      if (attempt) e.attemptAt = now;
      if (outcome == 1) {
        e.fetchedAt = now;
        e.failedAt = 0;
        e.body = body!;
      } else if (outcome == 2) e.failedAt = now;
      if (setSharedData(this.key, writeEntry(e), v === null ? 0 : v.cas) != Status.CasMismatch) return;
    }
  }
}

function memberString(o: JsonObject, name: string): string | null {
  const v = o.get(name);
  if (v === null) return null;
  const t = v.asString();
  return t === null ? null : t.value;
}

/** The path (with query) of an http(s) URL, or null. */
function pathOf(uri: string): string | null {
  let rest: string;
  if (uri.startsWith("https://")) rest = uri.substring(8);
  else if (uri.startsWith("http://")) rest = uri.substring(7);
  else return null;
  const slash = rest.indexOf("/");
  if (slash <= 0) return null;
  const path = rest.substring(slash);
  return isPath(path) ? path : null;
}

/** The headers of a GET for `path` at `authority`. */
export function getHeaders(authority: string, path: string): Header[] {
  return [
    new Header(":method", "GET"),
    new Header(":path", path),
    new Header(":authority", authority),
    new Header("accept", "application/json"),
  ];
}

// Basic authentication (RFC 7617) against htpasswd lines: `{SHA}` (base64 of the password's
// SHA-1) and bcrypt (`$2a$`, `$2b$`, `$2y$`). bcrypt is slow by design, so credentials that
// verified are remembered in a bounded cache (by the SHA-256 of user and password): the cost
// is paid once per credential, not once per request.

import { ConfigReader, quoteJsonString } from "../../../assembly";
import { Base64Padding, base64Decode, base64Encode } from "../../lib/base64";
import { BCRYPT_MIN_COST, BcryptHash } from "../../lib/bcrypt";
import { constantTimeEqual } from "../../lib/ct";
import { sha1 } from "../../lib/sha1";
import { Sha256 } from "../../lib/sha2";
import { Location, LocationKind } from "./locations";

export class BasicUser {
  constructor(
    public readonly name: string,
    /** The SHA-1 digest of a {SHA} line, or null for bcrypt. */
    public readonly sha: ArrayBuffer | null,
    public readonly bcrypt: BcryptHash | null,
  ) {}
}

export class BasicAuth {
  users: Map<string, BasicUser> = new Map();
  forward: bool = false;
  /** Where the credential is: the Authorization header's Basic scheme. */
  location: Location = new Location(LocationKind.Header, "authorization", "Basic ");
  cache: CredentialCache = new CredentialCache(256);
}

/** Reads `basic`: `users` (htpasswd lines), `forward`, `max_bcrypt_cost`, `cache_size`. */
export function readBasic(b: ConfigReader): BasicAuth {
  const out = new BasicAuth();
  b.unknownKeys(["users", "forward", "max_bcrypt_cost", "cache_size"]);
  out.forward = b.bool("forward", false);
  const maxCost = <i32>b.integer("max_bcrypt_cost", 12, BCRYPT_MIN_COST, 16);
  out.cache = new CredentialCache(<i32>b.integer("cache_size", 256, 0, 100000));
  const lines = b.stringArray("users");
  if (lines.length == 0 && b.ok) b.fail("users", "must list at least one user");
  for (let i = 0; i < lines.length; i++) {
    const field = "users[" + i.toString() + "]";
    const line = lines[i];
    const colon = line.indexOf(":");
    if (colon <= 0) {
      // The line is not echoed: its hash is a secret too.
      b.fail(field, "is not an htpasswd line (user:hash)");
      continue;
    }
    const name = line.substring(0, colon);
    const hash = line.substring(colon + 1);
    if (!validUser(name)) {
      b.fail(field, "user " + quoteJsonString(name.length > 60 ? name.substring(0, 60) : name) + " must be printable ASCII without spaces or colons");
      continue;
    }
    if (out.users.has(name)) {
      b.fail(field, "user " + quoteJsonString(name) + " is listed twice");
      continue;
    }
    if (hash.startsWith("{SHA}")) {
      const digest = base64Decode(hash.substring(5), false, Base64Padding.Required);
      if (digest === null || digest.byteLength != 20) {
        b.fail(field, "the {SHA} hash of user " + quoteJsonString(name) + " is not base64 of 20 bytes");
        continue;
      }
      out.users.set(name, new BasicUser(name, digest, null));
    } else if (hash.startsWith("$2")) {
      const parsed = BcryptHash.parse(hash);
      if (parsed.hash === null) {
        b.fail(field, "user " + quoteJsonString(name) + ": " + parsed.error!);
        continue;
      }
      if (parsed.hash!.cost > maxCost) {
        b.fail(field, "user " + quoteJsonString(name) + ": bcrypt cost " + parsed.hash!.cost.toString() +
          " is above max_bcrypt_cost " + maxCost.toString());
        continue;
      }
      out.users.set(name, new BasicUser(name, null, parsed.hash));
    } else {
      b.fail(field, "the hash of user " + quoteJsonString(name) + " is neither {SHA} nor bcrypt ($2a$, $2b$, $2y$)");
    }
  }
  return out;
}

function validUser(name: string): bool {
  if (name.length == 0 || name.length > 128) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c == 0x3a) return false;
  }
  return true;
}

/** Why a Basic credential failed, or "" when it verified; `user` receives the name. */
export class BasicResult {
  user: string = "";
  /** True when the credential was found in the cache (no hash computed). */
  cached: bool = false;
  reason: string = "";
  description: string = "";
}

/** Checks the text after "Basic ". */
export function checkBasic(auth: BasicAuth, credential: string): BasicResult {
  const r = new BasicResult();
  const decoded = base64Decode(credential, false, Base64Padding.Required);
  if (decoded === null || decoded.byteLength > 1024) {
    r.reason = "malformed";
    r.description = "Basic credentials are not base64 of user:password";
    return r;
  }
  const bytes = Uint8Array.wrap(decoded);
  let colon = -1;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] == 0x3a) {
      colon = i;
      break;
    }
  }
  if (colon <= 0) {
    r.reason = "malformed";
    r.description = "Basic credentials are not base64 of user:password";
    return r;
  }
  const user = String.UTF8.decodeUnsafe(changetype<usize>(decoded), colon, false);
  const password = decoded.slice(colon + 1);
  r.user = user;
  if (!auth.users.has(user)) {
    r.reason = "bad-password";
    r.description = "user or password not recognised";
    return r;
  }
  const u = auth.users.get(user);
  const key = auth.cache.key(decoded);
  if (auth.cache.has(key)) {
    r.cached = true;
    return r;
  }
  let ok = false;
  if (u.sha !== null) ok = constantTimeEqual(sha1(password), u.sha!);
  else ok = u.bcrypt!.verify(password);
  if (!ok) {
    r.reason = "bad-password";
    r.description = "user or password not recognised";
    return r;
  }
  auth.cache.add(key);
  return r;
}

/** A bounded set of credentials that verified, by SHA-256; the oldest leave first. */
export class CredentialCache {
  private readonly set: Set<string> = new Set();
  private readonly ring: string[] = [];
  private next: i32 = 0;
  private readonly hasher: Sha256 = new Sha256();

  constructor(public readonly capacity: i32) {}

  key(credential: ArrayBuffer): string {
    this.hasher.reset();
    this.hasher.update(credential);
    return base64Encode(this.hasher.finish(), true);
  }

  has(key: string): bool {
    return this.capacity > 0 && this.set.has(key);
  }

  add(key: string): void {
    if (this.capacity == 0 || this.set.has(key)) return;
    if (this.ring.length < this.capacity) this.ring.push(key);
    else {
      this.set.delete(this.ring[this.next]);
      this.ring[this.next] = key;
      this.next = (this.next + 1) % this.capacity;
    }
    this.set.add(key);
  }
}

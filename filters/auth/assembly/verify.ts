// Verifying a JWT for one provider: size limit, parse (alg allow-list), key selection by kid
// or by algorithm, the signature (Envoy's verify_signature for RS and ES, AssemblyScript for
// HS, PS and wherever the host lacks the function), time claims, issuer, then the checks that
// make a valid token not allowed (audience, claim rules, scopes: 403).

import { Status, log, verifySignature } from "../../../assembly";
import { JsonValue } from "../../../assembly/json";
import { ecdsaSignatureDer } from "../../lib/der";
import { Jwt, JwtAlgorithm, JwtError, parseJwt } from "../../lib/jwt";
import { HashAlgorithm } from "../../lib/sha2";
import { ClaimRule, ClaimTest, Provider, Verifier } from "./config";
import { Jwk, KeyType } from "./jwks";

/** What a check decided: status 0 means verified. */
export class Verdict {
  status: u32 = 0;
  /** The stat reason ("expired", "bad-signature", ...). */
  reason: string = "";
  /** RFC 6750 error code for the Bearer challenge. */
  error: string = "";
  description: string = "";
  jwt: Jwt | null = null;
  /** The kid a token named that no key had (a reason to refetch a remote key set). */
  unknownKid: bool = false;
}

export function deny(v: Verdict, status: u32, reason: string, error: string, description: string): Verdict {
  v.status = status;
  v.reason = reason;
  v.error = error;
  v.description = description;
  return v;
}

const HASH_NAMES: string[] = ["sha256", "sha384", "sha512"];

/** Whether the host's verify_signature is there (checked on first use; until then assumed). */
let hostVerifier: bool = true;

function hashOf(alg: JwtAlgorithm): HashAlgorithm {
  return <HashAlgorithm>((<i32>alg) % 3);
}

/** Verifies `jwt`'s signature with `key` (whose type the caller has checked fits the alg). */
export function signatureValid(key: Jwk, jwt: Jwt, mode: Verifier): bool {
  const alg = jwt.alg;
  const ptr = jwt.signingInputPtr;
  const len = jwt.signingInputLength;
  const hash = hashOf(alg);
  if (alg <= JwtAlgorithm.HS512) {
    const mac = key.hmacs[<i32>hash];
    return mac.verifyRaw(ptr, len, changetype<usize>(jwt.signature), jwt.signature.byteLength);
  }
  if (alg >= JwtAlgorithm.PS256 && alg <= JwtAlgorithm.PS512) {
    // verify_signature applies PKCS#1 v1.5 padding only: PSS is verified here.
    return key.rsa!.verifyPss(hash, jwt.signingInput(), jwt.signature);
  }
  const isEc = alg >= JwtAlgorithm.ES256;
  if (isEc && jwt.signature.byteLength != key.ec!.byteLength * 2) return false;
  if (mode == Verifier.Host && hostVerifier) {
    const sig = isEc ? ecdsaSignatureDer(jwt.signature) : jwt.signature;
    if (sig === null) return false;
    const check = verifySignature(HASH_NAMES[<i32>hash], key.der!, sig, jwt.signingInput());
    if (check.status == Status.Ok) return check.valid;
    // The host has no verify_signature (or could not run it): verify here from now on.
    hostVerifier = false;
    log.info("auth: the host's verify_signature is unavailable (status " + (<i32>check.status).toString() +
      "); signatures are verified in the module");
  }
  if (isEc) return key.ec!.verifyRaw(hash, ptr, len, jwt.signature);
  return key.rsa!.verifyPkcs1Raw(hash, ptr, len, jwt.signature);
}

/** A verified token, as the cache keeps it. */
class CachedToken {
  constructor(
    public readonly provider: i32,
    public readonly token: string,
    public readonly jwt: Jwt,
    /** When it stops being accepted from the cache (seconds): exp plus the skew. */
    public readonly until: i64,
  ) {}
}

/** FNV-1a (64-bit) over the provider index and the token's UTF-16 code units: the cache's
 *  index. Only an index: a hit also needs the same provider and the very same token, so a
 *  colliding token is a miss, never another token's verdict. */
function tokenHash(provider: i32, token: string): u64 {
  let h: u64 = 0xcbf29ce484222325 ^ <u64>provider;
  const ptr = changetype<usize>(token);
  const n = <usize>token.length << 1;
  for (let i: usize = 0; i < n; i += 2) {
    h = (h ^ <u64>load<u16>(ptr + i)) * 0x100000001b3;
  }
  return h;
}

/** A bounded cache of tokens whose signature, times and issuer were verified, found by the
 *  token text itself (through a 64-bit hash, then compared whole). Entries leave when the
 *  cache is full (oldest first) and when their exp (plus the skew) has passed. */
export class TokenCache {
  private readonly map: Map<u64, CachedToken> = new Map();
  private readonly ring: u64[] = [];
  private next: i32 = 0;
  hits: i64 = 0;
  misses: i64 = 0;

  constructor(public readonly capacity: i32) {}

  /** The index of `token` for `provider`: computed once per request, used by get and put. */
  key(provider: i32, token: string): u64 {
    return tokenHash(provider, token);
  }

  /** The verified token, or null (never cached, another token, or past its time). */
  get(key: u64, provider: i32, token: string, now: i64): Jwt | null {
    if (this.capacity == 0 || !this.map.has(key)) return null;
    const e = this.map.get(key);
    if (e.provider != provider || e.token != token) return null;
    if (now >= e.until) {
      this.map.delete(key);
      return null;
    }
    return e.jwt;
  }

  put(key: u64, provider: i32, token: string, jwt: Jwt, until: i64): void {
    if (this.capacity == 0) return;
    const e = new CachedToken(provider, token, jwt, until);
    // A colliding token takes the place (the other one is verified again when it returns).
    if (this.map.has(key)) {
      this.map.set(key, e);
      return;
    }
    if (this.ring.length < this.capacity) this.ring.push(key);
    else {
      this.map.delete(this.ring[this.next]);
      this.ring[this.next] = key;
      this.next = (this.next + 1) % this.capacity;
    }
    this.map.set(key, e);
  }

  clear(): void {
    this.map.clear();
    this.ring.length = 0;
    this.next = 0;
  }

  get size(): i32 {
    return this.map.size;
  }
}

const ALG_REASONS: JwtError[] = [JwtError.AlgNone, JwtError.AlgUnknown, JwtError.AlgNotAllowed, JwtError.AlgMissing];

/** Verifies `token` for `p` against `keys` at `now` (seconds). */
export function verifyToken(
  p: Provider, keys: Jwk[], token: string, now: i64, cache: TokenCache, mode: Verifier, unavailableStatus: u32,
): Verdict {
  const v = new Verdict();
  if (token.length > p.maxTokenBytes) return deny(v, 401, "too-large", "invalid_token", "token larger than allowed");
  const cacheKey: u64 = cache.capacity > 0 ? cache.key(p.index, token) : 0;
  let jwt = cache.get(cacheKey, p.index, token, now);
  const hit = jwt !== null;
  if (hit) cache.hits++;
  else {
    if (cache.capacity > 0) cache.misses++;
    const parsed = parseJwt(token, p.algorithms, p.maxTokenBytes);
    if (parsed.jwt === null) {
      const reason = ALG_REASONS.includes(parsed.error) ? "bad-alg" : parsed.error == JwtError.TooLarge ? "too-large" : "malformed";
      return deny(v, 401, reason, "invalid_token", parsed.message);
    }
    const t = parsed.jwt!;
    if (keys.length == 0) return deny(v, unavailableStatus, "unavailable", "invalid_token", "no keys are available");
    const kid = t.kid;
    let named = false;
    let fitting = false;
    let valid = false;
    for (let i = 0; i < keys.length && !valid; i++) {
      const key = unchecked(keys[i]);
      if (kid !== null) {
        if (key.kid === null || key.kid! != kid!) continue;
        named = true;
      }
      if (!key.fits(t.alg) || (key.alg >= 0 && key.alg != <i32>t.alg)) continue;
      fitting = true;
      valid = signatureValid(key, t, mode);
    }
    if (kid !== null && !named) {
      v.unknownKid = true;
      return deny(v, 401, "unknown-kid", "invalid_token", "no key has the token's kid");
    }
    if (!fitting) return deny(v, 401, "key-mismatch", "invalid_token", "no key of the token's kid or alg fits its alg");
    if (!valid) return deny(v, 401, "bad-signature", "invalid_token", "signature does not verify");
    jwt = t;
  }
  const j = jwt!;
  const times = j.checkTimes(now, p.skew, p.requireExp, p.maxLifetime);
  if (times != JwtError.None) {
    const reason = times == JwtError.Expired ? "expired" : times == JwtError.NotYetValid ? "not-yet-valid" : "bad-times";
    return deny(v, 401, reason, "invalid_token", parseReasonMessage(times));
  }
  if (p.issuer !== null) {
    const iss = j.claimString("iss");
    if (iss === null || iss! != p.issuer!) return deny(v, 401, "bad-issuer", "invalid_token", "issuer not accepted");
  }
  if (!hit) cache.put(cacheKey, p.index, token, j, expOf(j, p.skew));
  v.jwt = j;
  if (p.audiences.length > 0 && !j.hasAudience(p.audiences)) {
    return deny(v, 403, "bad-audience", "invalid_token", "audience not allowed");
  }
  for (let i = 0; i < p.claimRules.length; i++) {
    if (!claimHolds(j, unchecked(p.claimRules[i]))) return deny(v, 403, "claims", "insufficient_scope", "a required claim does not hold");
  }
  for (let i = 0; i < p.scopes.length; i++) {
    if (!hasScope(j, unchecked(p.scopes[i]))) return deny(v, 403, "scope", "insufficient_scope", "a required scope is missing");
  }
  return v;
}

function parseReasonMessage(e: JwtError): string {
  return e == JwtError.Expired ? "token expired" : e == JwtError.NotYetValid ? "token not yet valid" :
    e == JwtError.ExpMissing ? "token has no exp" : e == JwtError.LifetimeTooLong ? "token lifetime longer than allowed" :
    "exp, nbf or iat is not a number";
}

/** When a cached token stops being accepted: exp plus the skew, or never (i64 max). */
function expOf(j: Jwt, skew: i64): i64 {
  const exp = j.payload.get("exp");
  if (exp === null) return i64.MAX_VALUE;
  const n = exp.asNumber();
  if (n === null) return 0;
  return <i64>Math.floor(n.value) + skew;
}

/** A claim as header text: strings as they are, numbers and booleans printed, arrays of those
 *  joined with ","; null for objects, null and anything holding a control character. */
export function claimText(v: JsonValue): string | null {
  const s = v.asString();
  if (s !== null) return printable(s.value) ? s.value : null;
  if (v.asNumber() !== null || v.asBool() !== null) return v.toString();
  const a = v.asArray();
  if (a === null) return null;
  let out = "";
  for (let i = 0; i < a.items.length; i++) {
    const t = claimText(unchecked(a.items[i]));
    if (t === null || a.items[i].asArray() !== null) return null;
    out += (i > 0 ? "," : "") + t;
  }
  return out;
}

function printable(s: string): bool {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

function claimHolds(j: Jwt, rule: ClaimRule): bool {
  const v = j.claim(rule.claim);
  if (v === null) return false;
  if (rule.test == ClaimTest.Equals) {
    const s = v.asString();
    if (s !== null) return s.value == rule.value;
    if (v.asNumber() !== null || v.asBool() !== null) return v.toString() == rule.value;
    return false;
  }
  const a = v.asArray();
  if (a !== null) {
    for (let i = 0; i < a.items.length; i++) {
      const s = a.items[i].asString();
      if (s !== null && s.value == rule.value) return true;
    }
    return false;
  }
  const s = v.asString();
  return s !== null && spaceListHas(s.value, rule.value);
}

function spaceListHas(list: string, item: string): bool {
  const parts = list.split(" ");
  return parts.includes(item);
}

/** Scopes from `scope` (space-delimited, RFC 8693) or `scp` (an array or a string). */
function hasScope(j: Jwt, scope: string): bool {
  const s = j.payload.get("scope");
  if (s !== null && s.asString() !== null && spaceListHas(s.asString()!.value, scope)) return true;
  const scp = j.payload.get("scp");
  if (scp === null) return false;
  const a = scp.asArray();
  if (a !== null) {
    for (let i = 0; i < a.items.length; i++) {
      const t = a.items[i].asString();
      if (t !== null && t.value == scope) return true;
    }
    return false;
  }
  const t = scp.asString();
  return t !== null && spaceListHas(t.value, scope);
}

// Verifying a JWT for one provider: size limit, parse (alg allow-list), key selection by kid
// or by algorithm, the signature (Envoy's verify_signature for RS and ES, AssemblyScript for
// HS, PS and wherever the host lacks the function), time claims, issuer, then the checks that
// make a valid token not allowed (audience, claim rules, scopes: 403).

import { Header, Status, log, verifySignature } from "../../../assembly";
import { JsonValue } from "../../../assembly/json";
import { ecdsaSignatureDer } from "../../lib/der";
import { JWT_NO_TIME, Jwt, JwtAlgorithm, JwtError, checkTimeClaims, parseJwt } from "../../lib/jwt";
import { HashAlgorithm } from "../../lib/sha2";
import { ClaimRule, ClaimTest, Provider, Verifier } from "./config";
import { Found } from "./credentials";
import { Jwk, KeyType } from "./jwks";

/** What a check decided: status 0 means verified. */
export class Verdict {
  status: u32 = 0;
  /** The stat reason ("expired", "bad-signature", ...). */
  reason: string = "";
  /** RFC 6750 error code for the Bearer challenge. */
  error: string = "";
  description: string = "";
  /** Set when the token verified (status 0, or 403 for a valid token not allowed here). */
  accepted: Accepted | null = null;
  /** The kid a token named that no key had (a reason to refetch a remote key set). */
  unknownKid: bool = false;

  /** Back to "verified, nothing accepted yet" for the next call. */
  reset(): Verdict {
    this.status = 0;
    this.reason = "";
    this.error = "";
    this.description = "";
    this.accepted = null;
    this.unknownKid = false;
    return this;
  }
}

// verifyToken's answer: one object for the module, filled again by each call (a request reads
// it before the next call), so a cache hit allocates nothing here.
const verdict = new Verdict();

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

/** What a token whose signature, times and issuer verified yields for one provider, worked
 *  out once from its payload and kept in the cache: a hit checks the clock and hands this
 *  over without looking at the payload again. */
export class Accepted {
  /** The time claims (seconds; JWT_NO_TIME when absent), checked on every hit. */
  exp: i64 = JWT_NO_TIME;
  nbf: i64 = JWT_NO_TIME;
  iat: i64 = JWT_NO_TIME;
  /** When it stops being accepted from the cache (seconds): exp plus the skew. */
  until: i64 = i64.MAX_VALUE;
  /** 0, or why this valid token is not allowed here (audience, claims, scope: 403). */
  denial: i32 = DENIAL_NONE;
  /** The identity (`sub` when it is a string): none, or one. */
  names: string[] = [];
  /** The identity headers to set upstream, in order: subject, claims, payload. Shared by
   *  every request the cache serves: read, never changed. */
  headers: Header[] = [];

  constructor(
    public readonly provider: i32,
    public readonly token: string,
  ) {}
}

const DENIAL_NONE: i32 = 0;
const DENIAL_AUDIENCE: i32 = 1;
const DENIAL_CLAIMS: i32 = 2;
const DENIAL_SCOPE: i32 = 3;

/** A 64-bit hash of the provider index and the token's UTF-16 code units, four at a time:
 *  the cache's index. Only an index: a hit also needs the same provider and the very same
 *  token, so a colliding token is a miss, never another token's verdict. */
function tokenHash(provider: i32, source: string, start: i32, length: i32): u64 {
  const ptr = changetype<usize>(source) + (<usize>start << 1);
  const n = <usize>length << 1;
  let h: u64 = 0x9e3779b97f4a7c15 ^ (<u64>provider << 32) ^ <u64>n;
  let i: usize = 0;
  for (; i + 8 <= n; i += 8) {
    h = (h ^ load<u64>(ptr + i)) * 0xff51afd7ed558ccd;
    h ^= h >> 29;
  }
  for (; i < n; i += 2) h = (h ^ <u64>load<u16>(ptr + i)) * 0xc4ceb9fe1a85ec53;
  h ^= h >> 32;
  return h * 0x9e3779b97f4a7c15;
}

/** A bounded cache of tokens whose signature, times and issuer were verified, found by the
 *  token text itself (through a 64-bit hash, then compared whole). Entries leave when the
 *  cache is full (oldest first), when their exp (plus the skew) has passed, and all at once
 *  when a provider's keys change. An entry keeps only the token and what it yields (a few
 *  numbers and the identity headers), not the parsed token. */
export class TokenCache {
  private readonly map: Map<u64, Accepted> = new Map();
  private readonly ring: u64[] = [];
  private next: i32 = 0;
  hits: i64 = 0;
  misses: i64 = 0;

  constructor(public readonly capacity: i32) {}

  /** The index of the token in `found` for `provider`: computed once per request, used by
   *  get and put. */
  key(provider: i32, found: Found): u64 {
    return tokenHash(provider, found.source, found.start, found.end - found.start);
  }

  /** The verified token, or null (never cached, another token, or past its time). */
  get(key: u64, provider: i32, found: Found, now: i64): Accepted | null {
    if (this.capacity == 0 || !this.map.has(key)) return null;
    const e = this.map.get(key);
    if (e.provider != provider || !sameText(e.token, found)) return null;
    if (now >= e.until) {
      this.map.delete(key);
      return null;
    }
    return e;
  }

  put(key: u64, e: Accepted): void {
    if (this.capacity == 0) return;
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

/** Whether `token` is the very text of `found`'s span. Compared 8 bytes at a time whatever
 *  the span's alignment (a Bearer token starts 14 bytes into its header's text, where
 *  memory.compare falls back to one byte at a time). */
function sameText(token: string, found: Found): bool {
  const n = found.end - found.start;
  if (token.length != n) return false;
  const a = changetype<usize>(token);
  const b = changetype<usize>(found.source) + (<usize>found.start << 1);
  const bytes = <usize>n << 1;
  let i: usize = 0;
  for (; i + 8 <= bytes; i += 8) if (load<u64>(a + i) != load<u64>(b + i)) return false;
  for (; i < bytes; i += 2) if (load<u16>(a + i) != load<u16>(b + i)) return false;
  return true;
}

const ALG_REASONS: JwtError[] = [JwtError.AlgNone, JwtError.AlgUnknown, JwtError.AlgNotAllowed, JwtError.AlgMissing];

/** Verifies `token` for `p` against `keys` at `now` (seconds): status 0 with `accepted`, or a
 *  refusal. A cached token is checked against the clock again (exp, nbf, lifetime). The
 *  Verdict is the module's one: valid until the next call. */
export function verifyToken(
  p: Provider, keys: Jwk[], found: Found, now: i64, cache: TokenCache, mode: Verifier, unavailableStatus: u32,
): Verdict {
  const v = verdict.reset();
  if (found.end - found.start > p.maxTokenBytes) return deny(v, 401, "too-large", "invalid_token", "token larger than allowed");
  const cacheKey: u64 = cache.capacity > 0 ? cache.key(p.index, found) : 0;
  let a = cache.get(cacheKey, p.index, found, now);
  if (a !== null) {
    cache.hits++;
    const times = checkTimeClaims(a.exp, a.nbf, a.iat, now, p.skew, p.requireExp, p.maxLifetime);
    if (times != JwtError.None) return denyTimes(v, times);
  } else {
    if (cache.capacity > 0) cache.misses++;
    const token = found.value;
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
    const e = new Accepted(p.index, token);
    e.exp = t.timeClaim("exp");
    e.nbf = t.timeClaim("nbf");
    e.iat = t.timeClaim("iat");
    const times = checkTimeClaims(e.exp, e.nbf, e.iat, now, p.skew, p.requireExp, p.maxLifetime);
    if (times != JwtError.None) return denyTimes(v, times);
    if (p.issuer !== null) {
      const iss = t.claimString("iss");
      if (iss === null || iss! != p.issuer!) return deny(v, 401, "bad-issuer", "invalid_token", "issuer not accepted");
    }
    if (e.exp >= 0) e.until = e.exp + p.skew;
    settle(e, p, t);
    cache.put(cacheKey, e);
    a = e;
  }
  const accepted = a!;
  v.accepted = accepted;
  if (accepted.denial == DENIAL_AUDIENCE) return deny(v, 403, "bad-audience", "invalid_token", "audience not allowed");
  if (accepted.denial == DENIAL_CLAIMS) return deny(v, 403, "claims", "insufficient_scope", "a required claim does not hold");
  if (accepted.denial == DENIAL_SCOPE) return deny(v, 403, "scope", "insufficient_scope", "a required scope is missing");
  return v;
}

/** Works out, from a verified token's payload, whether `p` allows it and what it forwards. */
function settle(e: Accepted, p: Provider, j: Jwt): void {
  if (p.audiences.length > 0 && !j.hasAudience(p.audiences)) e.denial = DENIAL_AUDIENCE;
  for (let i = 0; i < p.claimRules.length && e.denial == DENIAL_NONE; i++) {
    if (!claimHolds(j, unchecked(p.claimRules[i]))) e.denial = DENIAL_CLAIMS;
  }
  for (let i = 0; i < p.scopes.length && e.denial == DENIAL_NONE; i++) {
    if (!hasScope(j, unchecked(p.scopes[i]))) e.denial = DENIAL_SCOPE;
  }
  if (e.denial != DENIAL_NONE) return;
  const sub = j.claimString("sub");
  if (sub !== null) e.names.push(sub);
  if (p.subjectHeader !== null && sub !== null) {
    const t = claimText(j.payload.get("sub")!);
    if (t !== null) e.headers.push(new Header(p.subjectHeader!, t));
  }
  for (let i = 0; i < p.claimHeaders.length; i++) {
    const ch = unchecked(p.claimHeaders[i]);
    const value = j.claim(ch.claim);
    if (value === null) continue;
    const t = claimText(value);
    if (t !== null) e.headers.push(new Header(ch.header, t));
  }
  if (p.payloadHeader !== null) {
    const first = e.token.indexOf(".");
    const second = e.token.indexOf(".", first + 1);
    e.headers.push(new Header(p.payloadHeader!, e.token.substring(first + 1, second)));
  }
}

function denyTimes(v: Verdict, times: JwtError): Verdict {
  const reason = times == JwtError.Expired ? "expired" : times == JwtError.NotYetValid ? "not-yet-valid" : "bad-times";
  return deny(v, 401, reason, "invalid_token", parseReasonMessage(times));
}

function parseReasonMessage(e: JwtError): string {
  return e == JwtError.Expired ? "token expired" : e == JwtError.NotYetValid ? "token not yet valid" :
    e == JwtError.ExpMissing ? "token has no exp" : e == JwtError.LifetimeTooLong ? "token lifetime longer than allowed" :
    "exp, nbf or iat is not a number";
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

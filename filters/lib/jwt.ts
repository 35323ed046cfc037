// JSON Web Token parsing (RFC 7519, compact JWS): size limit, three base64url segments
// (strict: no padding, canonical), header and payload as JSON objects (the SDK's strict
// parser: duplicate members are refused), `alg` checked against an allow-list before anything
// else is trusted, and time-claim checks with clock skew. The signature is NOT verified here:
// hand `signingInput` and `signature` to the verifier that the key's type selects (HMAC in
// hmac.ts; RSA/ECDSA through Envoy's verify_signature or rsa.ts).
//
// Pure module: no host imports; legal in any callback.
//
//   const allowed = jwtAlgorithmBit(JwtAlgorithm.RS256) | jwtAlgorithmBit(JwtAlgorithm.ES256);
//   const parsed = parseJwt(token, allowed, 8192);
//   if (parsed.jwt === null) return deny(parsed.message);   // never echoes the token

import { JsonObject, JsonValue, parseJson } from "../../assembly/json";
import { Base64Padding, base64DecodeRaw } from "./base64";

/** Signature algorithms (JWA names). `none` is deliberately absent: it is always refused. */
export enum JwtAlgorithm {
  HS256 = 0,
  HS384 = 1,
  HS512 = 2,
  RS256 = 3,
  RS384 = 4,
  RS512 = 5,
  PS256 = 6,
  PS384 = 7,
  PS512 = 8,
  ES256 = 9,
  ES384 = 10,
  ES512 = 11,
}

const ALGORITHM_NAMES: string[] = [
  "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
];

/** The algorithm called `name` (case-sensitive, as JWA), or -1 (including for "none"). */
export function jwtAlgorithmByName(name: string): i32 {
  return ALGORITHM_NAMES.indexOf(name);
}

/** The JWA name of `alg`. */
export function jwtAlgorithmName(alg: JwtAlgorithm): string {
  return ALGORITHM_NAMES[<i32>alg];
}

/** The allow-list bit of `alg`; OR several together. */
export function jwtAlgorithmBit(alg: JwtAlgorithm): u32 {
  return <u32>1 << <u32>alg;
}

/** Why a token was refused. The messages name the part, never its content. */
export enum JwtError {
  None = 0,
  TooLarge = 1,
  Malformed = 2,
  HeaderEncoding = 3,
  HeaderJson = 4,
  AlgMissing = 5,
  AlgNone = 6,
  AlgUnknown = 7,
  AlgNotAllowed = 8,
  PayloadEncoding = 9,
  PayloadJson = 10,
  SignatureEncoding = 11,
  BadCritical = 12,
  Expired = 13,
  NotYetValid = 14,
  ExpMissing = 15,
  BadTimeClaim = 16,
  LifetimeTooLong = 17,
}

const ERROR_MESSAGES: string[] = [
  "",
  "token larger than allowed",
  "token is not three base64url segments separated by dots",
  "header is not base64url",
  "header is not a JSON object",
  "header has no alg",
  "alg none is not accepted",
  "alg is not a known algorithm",
  "alg is not allowed",
  "payload is not base64url",
  "payload is not a JSON object",
  "signature is not base64url",
  "header has a crit extension that is not understood",
  "token expired",
  "token not yet valid",
  "token has no exp",
  "exp, nbf or iat is not a number",
  "token lifetime longer than allowed",
];

/** The message for `error` (for logs and WWW-Authenticate error_description). */
export function jwtErrorMessage(error: JwtError): string {
  return ERROR_MESSAGES[<i32>error];
}

/** A parsed, unverified token. */
export class Jwt {
  constructor(
    /** The raw token bytes (the signing input is a prefix of them). */
    public readonly token: ArrayBuffer,
    /** Bytes of `header.payload`: what the signature covers. */
    public readonly signingInputLength: i32,
    public readonly header: JsonObject,
    public readonly payload: JsonObject,
    public readonly alg: JwtAlgorithm,
    /** The header's kid, or null. */
    public readonly kid: string | null,
    public readonly signature: ArrayBuffer,
  ) {}

  /** Address of the signing input (valid while `token` lives). */
  get signingInputPtr(): usize {
    return changetype<usize>(this.token);
  }

  /** The signing input as a new buffer. */
  signingInput(): ArrayBuffer {
    return this.token.slice(0, this.signingInputLength);
  }

  /** A payload claim, or null. Dotted paths reach nested objects: `claim("realm.roles")`. */
  claim(path: string): JsonValue | null {
    let current: JsonValue = this.payload;
    let from = 0;
    while (true) {
      const dot = path.indexOf(".", from);
      const name = dot < 0 ? path.substring(from) : path.substring(from, dot);
      const obj = current.asObject();
      if (obj === null) return null;
      const next = obj.get(name);
      if (next === null) return null;
      if (dot < 0) return next;
      current = next;
      from = dot + 1;
    }
  }

  /** A string claim, or null when absent or not a string. */
  claimString(path: string): string | null {
    const v = this.claim(path);
    if (v === null) return null;
    const s = v.asString();
    return s !== null ? s.value : null;
  }

  /** Whether `aud` (a string or an array of strings) contains any of `audiences`. */
  hasAudience(audiences: string[]): bool {
    const aud = this.payload.get("aud");
    if (aud === null) return false;
    const one = aud.asString();
    if (one !== null) return audiences.includes(one.value);
    const many = aud.asArray();
    if (many === null) return false;
    for (let i = 0; i < many.items.length; i++) {
      const s = unchecked(many.items[i]).asString();
      if (s !== null && audiences.includes(s.value)) return true;
    }
    return false;
  }

  /**
   * Checks exp, nbf and iat against `now` (seconds since the epoch) with `skew` seconds of
   * tolerance; `requireExp` refuses a token without exp; `maxLifetime` (> 0) refuses one whose
   * exp - iat (or exp - now without iat) is longer. Returns JwtError.None when valid.
   */
  checkTimes(now: i64, skew: i64 = 60, requireExp: bool = false, maxLifetime: i64 = 0): JwtError {
    return checkTimeClaims(this.timeClaim("exp"), this.timeClaim("nbf"), this.timeClaim("iat"), now, skew, requireExp, maxLifetime);
  }

  /** The time claim `name` in whole seconds: JWT_NO_TIME when absent, JWT_BAD_TIME when it is
   *  not a number in range (what `checkTimeClaims` takes). */
  timeClaim(name: string): i64 {
    const v = this.payload.get(name);
    if (v === null) return JWT_NO_TIME;
    const n = v.asNumber();
    // NumericDate may have a fraction; whole seconds are what matter. Out-of-range is bad.
    if (n === null || !isFinite(n.value) || n.value < 0 || n.value > 1e15) return JWT_BAD_TIME;
    return <i64>Math.floor(n.value);
  }
}

/** A time claim that is absent (see `Jwt.timeClaim`). */
export const JWT_NO_TIME: i64 = -1;
/** A time claim that is not a number in range. */
export const JWT_BAD_TIME: i64 = -2;

/**
 * `Jwt.checkTimes` on time claims read before (`Jwt.timeClaim`), so a verified token kept in
 * a cache is checked against the clock without its payload. Returns JwtError.None when valid.
 */
export function checkTimeClaims(
  exp: i64, nbf: i64, iat: i64, now: i64, skew: i64, requireExp: bool, maxLifetime: i64,
): JwtError {
  if (exp == JWT_BAD_TIME || nbf == JWT_BAD_TIME || iat == JWT_BAD_TIME) return JwtError.BadTimeClaim;
  if (exp == JWT_NO_TIME) {
    if (requireExp || maxLifetime > 0) return JwtError.ExpMissing;
  } else if (now - skew >= exp) {
    return JwtError.Expired;
  }
  if (nbf != JWT_NO_TIME && now + skew < nbf) return JwtError.NotYetValid;
  if (maxLifetime > 0) {
    const from = iat != JWT_NO_TIME ? iat : now;
    if (exp - from > maxLifetime) return JwtError.LifetimeTooLong;
  }
  return JwtError.None;
}

/** A token, or why it was refused. */
export class JwtParseResult {
  constructor(
    public readonly jwt: Jwt | null,
    public readonly error: JwtError,
  ) {}

  get message(): string {
    return jwtErrorMessage(this.error);
  }
}

/**
 * Parses a compact JWS from UTF-8 bytes. `allowed` is a mask of `jwtAlgorithmBit`s; a token
 * longer than `maxBytes` is refused before any decoding. Example: `parseJwtBytes(b, mask, 8192)`.
 */
export function parseJwtBytes(token: ArrayBuffer, allowed: u32, maxBytes: i32 = 16384): JwtParseResult {
  const len = token.byteLength;
  if (len > maxBytes) return refuse(JwtError.TooLarge);
  const ptr = changetype<usize>(token);
  let first = -1;
  let second = -1;
  for (let i = 0; i < len; i++) {
    if (load<u8>(ptr + <usize>i) != 0x2e) continue;
    if (first < 0) first = i;
    else if (second < 0) second = i;
    else return refuse(JwtError.Malformed);
  }
  if (second < 0 || first == 0 || second == first + 1 || second == len - 1) return refuse(JwtError.Malformed);
  const headerBytes = base64DecodeRaw(ptr, first, true, Base64Padding.Forbidden);
  if (headerBytes === null) return refuse(JwtError.HeaderEncoding);
  const headerParse = parseJson(headerBytes, 8);
  if (headerParse.error !== null) return refuse(JwtError.HeaderJson);
  const header = headerParse.value!.asObject();
  if (header === null) return refuse(JwtError.HeaderJson);
  const algValue = header.get("alg");
  if (algValue === null) return refuse(JwtError.AlgMissing);
  const algText = algValue.asString();
  if (algText === null) return refuse(JwtError.AlgMissing);
  const name = algText.value;
  if (name.toLowerCase() == "none") return refuse(JwtError.AlgNone);
  const alg = jwtAlgorithmByName(name);
  if (alg < 0) return refuse(JwtError.AlgUnknown);
  if ((allowed & jwtAlgorithmBit(<JwtAlgorithm>alg)) == 0) return refuse(JwtError.AlgNotAllowed);
  // RFC 7515 4.1.11: a crit header names extensions the recipient must understand; we
  // understand none.
  if (header.has("crit")) return refuse(JwtError.BadCritical);
  let kid: string | null = null;
  const kidValue = header.get("kid");
  if (kidValue !== null) {
    const kidText = kidValue.asString();
    if (kidText === null) return refuse(JwtError.HeaderJson);
    kid = kidText.value;
  }
  const payloadBytes = base64DecodeRaw(ptr + <usize>(first + 1), second - first - 1, true, Base64Padding.Forbidden);
  if (payloadBytes === null) return refuse(JwtError.PayloadEncoding);
  const payloadParse = parseJson(payloadBytes, 16);
  if (payloadParse.error !== null) return refuse(JwtError.PayloadJson);
  const payload = payloadParse.value!.asObject();
  if (payload === null) return refuse(JwtError.PayloadJson);
  const signature = base64DecodeRaw(ptr + <usize>(second + 1), len - second - 1, true, Base64Padding.Forbidden);
  if (signature === null) return refuse(JwtError.SignatureEncoding);
  return new JwtParseResult(
    new Jwt(token, second, header, payload, <JwtAlgorithm>alg, kid, signature),
    JwtError.None,
  );
}

/** `parseJwtBytes` over a string (a header value). Example: `parseJwt(bearer, mask)`. */
export function parseJwt(token: string, allowed: u32, maxBytes: i32 = 16384): JwtParseResult {
  // Measure before encoding, so a huge token costs nothing.
  if (token.length > maxBytes) return refuse(JwtError.TooLarge);
  return parseJwtBytes(String.UTF8.encode(token), allowed, maxBytes);
}

function refuse(error: JwtError): JwtParseResult {
  return new JwtParseResult(null, error);
}

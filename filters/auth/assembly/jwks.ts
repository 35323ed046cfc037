// JSON Web Key Sets (RFC 7517): the keys a provider verifies with, read once (from the
// configuration or a fetched document) into ready verifiers. The key's type decides what it
// can verify: an RSA key only RS*/PS*, an EC key only ES* on its own curve, an oct key only
// HS*. Each key also carries its SubjectPublicKeyInfo DER for Envoy's verify_signature.

import { JsonObject, JsonValue, describeJson } from "../../../assembly/json";
import { Base64Padding, base64Decode } from "../../lib/base64";
import { ecSpkiDer, rsaSpkiDer } from "../../lib/der";
import { EcCurve, EcdsaPublicKey } from "../../lib/ecdsa";
import { Hmac } from "../../lib/hmac";
import { JwtAlgorithm, jwtAlgorithmByName } from "../../lib/jwt";
import { RsaPublicKey } from "../../lib/rsa";
import { HashAlgorithm } from "../../lib/sha2";

export enum KeyType {
  Oct = 0,
  Rsa = 1,
  Ec = 2,
}

/** Smallest HMAC secret accepted (bytes): RFC 7518 3.2 asks for at least the hash size. */
export const MIN_HMAC_KEY_BYTES: i32 = 32;

/** One usable key. */
export class Jwk {
  kid: string | null = null;
  kty: KeyType = KeyType.Oct;
  /** The JWK's alg, or -1 when it names none. */
  alg: i32 = -1;
  curve: EcCurve = EcCurve.P256;
  hmacs: Hmac[] = [];
  rsa: RsaPublicKey | null = null;
  ec: EcdsaPublicKey | null = null;
  /** SubjectPublicKeyInfo (RSA and EC). */
  der: ArrayBuffer | null = null;

  /** Whether this key's type can verify `alg` (HS with oct, RS/PS with RSA, ES on its curve). */
  fits(alg: JwtAlgorithm): bool {
    if (alg <= JwtAlgorithm.HS512) return this.kty == KeyType.Oct;
    if (alg <= JwtAlgorithm.PS512) return this.kty == KeyType.Rsa;
    if (alg == JwtAlgorithm.ES256) return this.kty == KeyType.Ec && this.curve == EcCurve.P256;
    if (alg == JwtAlgorithm.ES384) return this.kty == KeyType.Ec && this.curve == EcCurve.P384;
    return false;
  }
}

/** A parsed key set, or the first problem (a path relative to the set, and what is wrong). */
export class JwksResult {
  keys: Jwk[] = [];
  errorPath: string = "";
  error: string = "";
  get ok(): bool {
    return this.error.length == 0;
  }
}

const KTYS: string[] = ["oct", "RSA", "EC"];
const MAX_KEYS: i32 = 64;

function fail(r: JwksResult, path: string, problem: string): JwksResult {
  if (r.error.length == 0) {
    r.errorPath = path;
    r.error = problem;
  }
  return r;
}

function member(o: JsonObject, name: string): string | null {
  const v = o.get(name);
  if (v === null) return null;
  const s = v.asString();
  return s === null ? null : s.value;
}

/** Decodes base64url member `name` of `o`, recording a problem (never the value: it may be a
 *  secret) when it is missing or malformed. */
function bytesMember(r: JwksResult, o: JsonObject, path: string, name: string): ArrayBuffer | null {
  const v = o.get(name);
  if (v === null) {
    fail(r, path + "." + name, "is required");
    return null;
  }
  const s = v.asString();
  if (s === null) {
    fail(r, path + "." + name, "expected a base64url string, got " + describeJson(v));
    return null;
  }
  const bytes = base64Decode(s.value, true, Base64Padding.Forbidden);
  if (bytes === null) fail(r, path + "." + name, "is not unpadded base64url");
  return bytes;
}

/** Reads a JWKS document (`{"keys": [...]}`). Keys whose kty is not oct, RSA or EC, and keys
 *  marked `"use": "enc"`, are skipped; a malformed key of a supported type is an error. */
export function readJwks(doc: JsonValue): JwksResult {
  const r = new JwksResult();
  const obj = doc.asObject();
  if (obj === null) return fail(r, "", "expected a JWKS object, got " + describeJson(doc));
  const keysValue = obj.get("keys");
  if (keysValue === null) return fail(r, "keys", "is required");
  const arr = keysValue.asArray();
  if (arr === null) return fail(r, "keys", "expected an array, got " + describeJson(keysValue));
  if (arr.items.length > MAX_KEYS) return fail(r, "keys", "holds " + arr.items.length.toString() + " keys; at most 64");
  for (let i = 0; i < arr.items.length; i++) {
    const path = "keys[" + i.toString() + "]";
    const item = unchecked(arr.items[i]);
    const o = item.asObject();
    if (o === null) return fail(r, path, "expected an object, got " + describeJson(item));
    const ktyValue = o.get("kty");
    if (ktyValue === null) return fail(r, path + ".kty", "is required");
    const ktyText = ktyValue.asString();
    if (ktyText === null) return fail(r, path + ".kty", "expected a string, got " + describeJson(ktyValue));
    const kty = KTYS.indexOf(ktyText.value);
    const use = member(o, "use");
    if (kty < 0 || (use !== null && use == "enc")) continue;
    const key = new Jwk();
    key.kty = <KeyType>kty;
    if (o.has("kid")) {
      const kid = member(o, "kid");
      if (kid === null) return fail(r, path + ".kid", "expected a string, got " + describeJson(o.get("kid")!));
      key.kid = kid;
    }
    if (o.has("alg")) {
      const algText = member(o, "alg");
      const alg = algText === null ? -1 : jwtAlgorithmByName(algText);
      if (alg < 0 || alg == JwtAlgorithm.PS512 || alg == JwtAlgorithm.ES512) {
        return fail(r, path + ".alg", describeJson(o.get("alg")!) + " is not a supported algorithm");
      }
      key.alg = alg;
    }
    if (!readKeyMaterial(r, o, path, key)) return r;
    if (key.alg >= 0 && !key.fits(<JwtAlgorithm>key.alg)) {
      return fail(r, path + ".alg", describeJson(o.get("alg")!) + " does not match the key type " + ktyText.value);
    }
    r.keys.push(key);
  }
  return r;
}

function readKeyMaterial(r: JwksResult, o: JsonObject, path: string, key: Jwk): bool {
  if (key.kty == KeyType.Oct) {
    const k = bytesMember(r, o, path, "k");
    if (k === null) return false;
    if (k.byteLength < MIN_HMAC_KEY_BYTES) {
      fail(r, path + ".k", "is " + k.byteLength.toString() + " bytes; an HMAC secret needs at least 32");
      return false;
    }
    key.hmacs.push(new Hmac(HashAlgorithm.Sha256, k));
    key.hmacs.push(new Hmac(HashAlgorithm.Sha384, k));
    key.hmacs.push(new Hmac(HashAlgorithm.Sha512, k));
    return true;
  }
  if (key.kty == KeyType.Rsa) {
    const n = bytesMember(r, o, path, "n");
    if (n === null) return false;
    const e = bytesMember(r, o, path, "e");
    if (e === null) return false;
    const rsa = RsaPublicKey.fromBytes(n, e);
    if (rsa === null) {
      fail(r, path + ".n", "is not a usable RSA key (2048 to 8192 bits, odd exponent of at most 64 bits)");
      return false;
    }
    key.rsa = rsa;
    key.der = rsaSpkiDer(n, e);
    return true;
  }
  const crv = member(o, "crv");
  if (crv === null || (crv != "P-256" && crv != "P-384")) {
    const got = o.get("crv");
    fail(r, path + ".crv", (got === null ? "is required" : describeJson(got) + " is not supported") + " (P-256 or P-384)");
    return false;
  }
  key.curve = crv == "P-256" ? EcCurve.P256 : EcCurve.P384;
  const x = bytesMember(r, o, path, "x");
  if (x === null) return false;
  const y = bytesMember(r, o, path, "y");
  if (y === null) return false;
  const ec = EcdsaPublicKey.fromBytes(key.curve, x, y);
  if (ec === null) {
    fail(r, path + ".x", "x and y are not a point on " + crv + " of the right size");
    return false;
  }
  key.ec = ec;
  key.der = ecSpkiDer(key.curve, x, y);
  return true;
}

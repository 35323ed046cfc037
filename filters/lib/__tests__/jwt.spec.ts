import {
  base64Encode,
  HashAlgorithm,
  Hmac,
  JwtAlgorithm,
  jwtAlgorithmBit,
  jwtAlgorithmByName,
  JwtError,
  parseJwt,
} from "../index";

function seg(json: string): string {
  return base64Encode(String.UTF8.encode(json), true);
}

const SIG = base64Encode(String.UTF8.encode("signature bytes"), true);
const ALL: u32 = 0xfff;
const PAYLOAD = seg('{"sub":"alice","aud":["api","web"],"realm":{"roles":["admin"]},"exp":2000,"nbf":1000,"iat":1000}');

function token(header: string, payload: string = PAYLOAD, sig: string = SIG): string {
  return seg(header) + "." + payload + "." + sig;
}

function errorOf(t: string, allowed: u32 = ALL, max: i32 = 16384): JwtError {
  return parseJwt(t, allowed, max).error;
}

describe("parseJwt", () => {
  it("splits, decodes and reads header and claims", () => {
    const r = parseJwt(token('{"alg":"RS256","kid":"k1","typ":"JWT"}'), ALL);
    expect<i32>(r.error).toBe(JwtError.None);
    const jwt = r.jwt!;
    expect<i32>(jwt.alg).toBe(JwtAlgorithm.RS256);
    expect<string>(jwt.kid!).toBe("k1");
    expect<string>(jwt.claimString("sub")!).toBe("alice");
    expect<string>(jwt.claim("realm.roles")!.toString()).toBe('["admin"]');
    expect<bool>(jwt.claim("realm.nope") === null).toBe(true);
    expect<bool>(jwt.claim("sub.x") === null).toBe(true);
    expect<bool>(jwt.hasAudience(["web"])).toBe(true);
    expect<bool>(jwt.hasAudience(["other"])).toBe(false);
    expect<string>(String.UTF8.decode(jwt.signature)).toBe("signature bytes");
    const t = token('{"alg":"RS256","kid":"k1","typ":"JWT"}');
    expect<string>(String.UTF8.decode(jwt.signingInput())).toBe(t.substring(0, t.lastIndexOf(".")));
  });

  it("checks alg against the allow-list first; none and unknown are refused", () => {
    expect<i32>(errorOf(token('{"alg":"none"}'))).toBe(JwtError.AlgNone);
    expect<i32>(errorOf(token('{"alg":"NONE"}'))).toBe(JwtError.AlgNone);
    expect<i32>(errorOf(token('{"alg":"HS1"}'))).toBe(JwtError.AlgUnknown);
    expect<i32>(errorOf(token('{"alg":"rs256"}'))).toBe(JwtError.AlgUnknown);
    expect<i32>(errorOf(token('{"typ":"JWT"}'))).toBe(JwtError.AlgMissing);
    expect<i32>(errorOf(token('{"alg":256}'))).toBe(JwtError.AlgMissing);
    const rsOnly = jwtAlgorithmBit(JwtAlgorithm.RS256);
    expect<i32>(errorOf(token('{"alg":"HS256"}'), rsOnly)).toBe(JwtError.AlgNotAllowed);
    expect<i32>(errorOf(token('{"alg":"RS256"}'), rsOnly)).toBe(JwtError.None);
    expect<i32>(errorOf(token('{"alg":"RS256","crit":["exp"]}'))).toBe(JwtError.BadCritical);
    expect<i32>(errorOf(token('{"alg":"RS256","kid":7}'))).toBe(JwtError.HeaderJson);
    expect<i32>(jwtAlgorithmByName("ES384")).toBe(JwtAlgorithm.ES384);
    expect<i32>(jwtAlgorithmByName("none")).toBe(-1);
  });

  it("refuses malformed structure, encoding and JSON", () => {
    const h = seg('{"alg":"HS256"}');
    expect<i32>(errorOf(h + "." + PAYLOAD)).toBe(JwtError.Malformed);
    expect<i32>(errorOf(h + "." + PAYLOAD + "." + SIG + ".x")).toBe(JwtError.Malformed);
    expect<i32>(errorOf("." + PAYLOAD + "." + SIG)).toBe(JwtError.Malformed);
    expect<i32>(errorOf(h + ".." + SIG)).toBe(JwtError.Malformed);
    expect<i32>(errorOf(h + "." + PAYLOAD + ".")).toBe(JwtError.Malformed);
    expect<i32>(errorOf(h + "=." + PAYLOAD + "." + SIG)).toBe(JwtError.HeaderEncoding);
    expect<i32>(errorOf("e30+." + PAYLOAD + "." + SIG)).toBe(JwtError.HeaderEncoding);
    expect<i32>(errorOf(seg("[1]") + "." + PAYLOAD + "." + SIG)).toBe(JwtError.HeaderJson);
    expect<i32>(errorOf(seg('{"alg":"HS256","alg":"none"}') + "." + PAYLOAD + "." + SIG)).toBe(JwtError.HeaderJson);
    expect<i32>(errorOf(h + "." + PAYLOAD + "x." + SIG)).toBe(JwtError.PayloadEncoding);
    expect<i32>(errorOf(h + "." + seg('"str"') + "." + SIG)).toBe(JwtError.PayloadJson);
    expect<i32>(errorOf(h + "." + seg('{"a":') + "." + SIG)).toBe(JwtError.PayloadJson);
    expect<i32>(errorOf(h + "." + PAYLOAD + "." + SIG + "=")).toBe(JwtError.SignatureEncoding);
    expect<i32>(errorOf(h + "." + PAYLOAD + ".a/b")).toBe(JwtError.SignatureEncoding);
  });

  it("refuses a token over the size limit before decoding it", () => {
    const t = token('{"alg":"HS256"}');
    expect<i32>(errorOf(t, ALL, t.length)).toBe(JwtError.None);
    expect<i32>(errorOf(t, ALL, t.length - 1)).toBe(JwtError.TooLarge);
    expect<i32>(errorOf("x".repeat(1 << 20), ALL, 8192)).toBe(JwtError.TooLarge);
  });

  it("checks exp, nbf and lifetime with skew", () => {
    const jwt = parseJwt(token('{"alg":"HS256"}'), ALL).jwt!;
    expect<i32>(jwt.checkTimes(1500)).toBe(JwtError.None);
    expect<i32>(jwt.checkTimes(2059)).toBe(JwtError.None); // within the default 60 s skew
    expect<i32>(jwt.checkTimes(2060)).toBe(JwtError.Expired);
    expect<i32>(jwt.checkTimes(2000, 0)).toBe(JwtError.Expired);
    expect<i32>(jwt.checkTimes(941)).toBe(JwtError.None);
    expect<i32>(jwt.checkTimes(939)).toBe(JwtError.NotYetValid);
    expect<i32>(jwt.checkTimes(1500, 60, true, 1000)).toBe(JwtError.None);
    expect<i32>(jwt.checkTimes(1500, 60, true, 999)).toBe(JwtError.LifetimeTooLong);
    const noExp = parseJwt(token('{"alg":"HS256"}', seg('{"sub":"a"}')), ALL).jwt!;
    expect<i32>(noExp.checkTimes(1)).toBe(JwtError.None);
    expect<i32>(noExp.checkTimes(1, 60, true)).toBe(JwtError.ExpMissing);
    const bad = parseJwt(token('{"alg":"HS256"}', seg('{"exp":"soon"}')), ALL).jwt!;
    expect<i32>(bad.checkTimes(1)).toBe(JwtError.BadTimeClaim);
  });

  it("verifies an HS256 token signed here, and refuses a tampered one", () => {
    const key = String.UTF8.encode("a secret of at least thirty-two bytes!!");
    const signer = new Hmac(HashAlgorithm.Sha256, key);
    const input = seg('{"alg":"HS256"}') + "." + PAYLOAD;
    const good = input + "." + base64Encode(signer.mac(String.UTF8.encode(input)), true);
    const jwt = parseJwt(good, ALL).jwt!;
    expect<bool>(signer.verifyRaw(jwt.signingInputPtr, jwt.signingInputLength, changetype<usize>(jwt.signature), jwt.signature.byteLength)).toBe(true);
    const tampered = seg('{"alg":"HS256"}') + "." + seg('{"sub":"mallory"}') + good.substring(good.lastIndexOf("."));
    const t = parseJwt(tampered, ALL).jwt!;
    expect<bool>(signer.verify(t.signingInput(), t.signature)).toBe(false);
  });
});

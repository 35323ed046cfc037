import {
  base64Encode,
  HashAlgorithm,
  Hmac,
  JWT_BAD_TIME,
  JWT_NO_TIME,
  JwtAlgorithm,
  jwtAlgorithmBit,
  jwtAlgorithmByName,
  jwtAlgorithmName,
  JwtError,
  jwtErrorMessage,
  parseJwt,
  parseJwtBytes,
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

/** `t` as bytes, with `after` lying in memory just past the buffer's end (inside its block). */
function bytesFollowedBy(t: string, after: string): ArrayBuffer {
  const buffer = String.UTF8.encode(t + after);
  // An object's byte length is its header's size field: shrink it to leave `after` outside.
  store<u32>(changetype<usize>(buffer) - 4, String.UTF8.byteLength(t));
  return buffer;
}

function errorOf(t: string, allowed: u32 = ALL, max: i32 = 16384): JwtError {
  return parseJwt(t, allowed, max).error;
}

describe("algorithms and errors", () => {
  it("name every algorithm by its JWA name, and back", () => {
    const names = ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"];
    const algs: JwtAlgorithm[] = [
      JwtAlgorithm.HS256, JwtAlgorithm.HS384, JwtAlgorithm.HS512,
      JwtAlgorithm.RS256, JwtAlgorithm.RS384, JwtAlgorithm.RS512,
      JwtAlgorithm.PS256, JwtAlgorithm.PS384, JwtAlgorithm.PS512,
      JwtAlgorithm.ES256, JwtAlgorithm.ES384, JwtAlgorithm.ES512,
    ];
    for (let i = 0; i < names.length; i++) {
      expect<string>(jwtAlgorithmName(algs[i])).toBe(names[i]);
      expect<i32>(jwtAlgorithmByName(names[i])).toBe(algs[i]);
    }
  });

  it("give every error its own message", () => {
    expect<string>(jwtErrorMessage(JwtError.None)).toBe("");
    expect<string>(jwtErrorMessage(JwtError.TooLarge)).toBe("token larger than allowed");
    expect<string>(jwtErrorMessage(JwtError.Malformed)).toBe("token is not three base64url segments separated by dots");
    expect<string>(jwtErrorMessage(JwtError.HeaderEncoding)).toBe("header is not base64url");
    expect<string>(jwtErrorMessage(JwtError.HeaderJson)).toBe("header is not a JSON object");
    expect<string>(jwtErrorMessage(JwtError.AlgMissing)).toBe("header has no alg");
    expect<string>(jwtErrorMessage(JwtError.AlgNone)).toBe("alg none is not accepted");
    expect<string>(jwtErrorMessage(JwtError.AlgUnknown)).toBe("alg is not a known algorithm");
    expect<string>(jwtErrorMessage(JwtError.AlgNotAllowed)).toBe("alg is not allowed");
    expect<string>(jwtErrorMessage(JwtError.PayloadEncoding)).toBe("payload is not base64url");
    expect<string>(jwtErrorMessage(JwtError.PayloadJson)).toBe("payload is not a JSON object");
    expect<string>(jwtErrorMessage(JwtError.SignatureEncoding)).toBe("signature is not base64url");
    expect<string>(jwtErrorMessage(JwtError.BadCritical)).toBe("header has a crit extension that is not understood");
    expect<string>(jwtErrorMessage(JwtError.Expired)).toBe("token expired");
    expect<string>(jwtErrorMessage(JwtError.NotYetValid)).toBe("token not yet valid");
    expect<string>(jwtErrorMessage(JwtError.ExpMissing)).toBe("token has no exp");
    expect<string>(jwtErrorMessage(JwtError.BadTimeClaim)).toBe("exp, nbf or iat is not a number");
    expect<string>(jwtErrorMessage(JwtError.LifetimeTooLong)).toBe("token lifetime longer than allowed");
    expect<string>(parseJwt("a.b", ALL).message).toBe("token is not three base64url segments separated by dots");
  });
});

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
    expect<bool>(jwt.hasAudience(["api"])).toBe(true);
    expect<bool>(jwt.hasAudience(["other", "api"])).toBe(true);
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

  it("reads dotted paths whose first name is empty", () => {
    const jwt = parseJwt(token('{"alg":"HS256"}', seg('{"":{"a":1},".a":2}')), ALL).jwt!;
    expect<string>(jwt.claim(".a")!.toString()).toBe("1");
    expect<string>(jwt.claim("")!.toString()).toBe('{"a":1}');
  });

  it("finds no audience in a token without aud or with aud neither a string nor an array", () => {
    const none = parseJwt(token('{"alg":"HS256"}', seg('{"sub":"a"}')), ALL).jwt!;
    expect<bool>(none.hasAudience(["api"])).toBe(false);
    const number = parseJwt(token('{"alg":"HS256"}', seg('{"aud":7}')), ALL).jwt!;
    expect<bool>(number.hasAudience(["api"])).toBe(false);
    const one = parseJwt(token('{"alg":"HS256"}', seg('{"aud":"api"}')), ALL).jwt!;
    expect<bool>(one.hasAudience(["api"])).toBe(true);
    // An audience taken out of the claim's list (still in memory past its end) is not seen.
    const shrunk = parseJwt(token('{"alg":"HS256"}', seg('{"aud":["api","gone"]}')), ALL).jwt!;
    shrunk.payload.get("aud")!.asArray()!.items.pop();
    expect<bool>(shrunk.hasAudience(["api"])).toBe(true);
    expect<bool>(shrunk.hasAudience(["gone"])).toBe(false);
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
    // Three dots, the first one leading: malformed, whatever the segments hold.
    expect<i32>(errorOf("." + h + "." + PAYLOAD + "." + SIG)).toBe(JwtError.Malformed);
    // The standard alphabet's + and / are not base64url, in the payload too.
    expect<i32>(errorOf(h + "." + "e30+" + "." + SIG)).toBe(JwtError.PayloadEncoding);
    expect<i32>(errorOf(h + "." + "e30/" + "." + SIG)).toBe(JwtError.PayloadEncoding);
  });

  it("reads only the token's own bytes, not a dot lying past its end", () => {
    const t = token('{"alg":"HS256"}');
    expect<i32>(parseJwtBytes(bytesFollowedBy(t, "."), ALL).error).toBe(JwtError.None);
    expect<i32>(parseJwtBytes(bytesFollowedBy(t, ".."), ALL).error).toBe(JwtError.None);
  });

  it("limits the header to 8 levels of nesting and the payload to 16", () => {
    const deep = (levels: i32): string => "[".repeat(levels) + "]".repeat(levels);
    expect<i32>(errorOf(token('{"alg":"HS256","x":' + deep(7) + "}"))).toBe(JwtError.None);
    expect<i32>(errorOf(token('{"alg":"HS256","x":' + deep(8) + "}"))).toBe(JwtError.HeaderJson);
    const h = '{"alg":"HS256"}';
    expect<i32>(errorOf(token(h, seg('{"x":' + deep(15) + "}")))).toBe(JwtError.None);
    expect<i32>(errorOf(token(h, seg('{"x":' + deep(16) + "}")))).toBe(JwtError.PayloadJson);
  });

  it("refuses a token over the size limit before decoding it", () => {
    const t = token('{"alg":"HS256"}');
    expect<i32>(errorOf(t, ALL, t.length)).toBe(JwtError.None);
    expect<i32>(errorOf(t, ALL, t.length - 1)).toBe(JwtError.TooLarge);
    expect<i32>(errorOf("x".repeat(1 << 20), ALL, 8192)).toBe(JwtError.TooLarge);
    // The default limit is 16384 bytes, as a string and as bytes.
    expect<i32>(parseJwt("x".repeat(16385), ALL).error).toBe(JwtError.TooLarge);
    expect<i32>(parseJwt("x".repeat(16384), ALL).error).toBe(JwtError.Malformed);
    expect<i32>(parseJwtBytes(String.UTF8.encode("x".repeat(16385)), ALL).error).toBe(JwtError.TooLarge);
    expect<i32>(parseJwtBytes(String.UTF8.encode("x".repeat(16384)), ALL).error).toBe(JwtError.Malformed);
  });

  it("checks exp, nbf and lifetime with skew", () => {
    const jwt = parseJwt(token('{"alg":"HS256"}'), ALL).jwt!;
    expect<i32>(jwt.checkTimes(1500)).toBe(JwtError.None);
    expect<i32>(jwt.checkTimes(2059)).toBe(JwtError.None); // within the default 60 s skew
    expect<i32>(jwt.checkTimes(2060)).toBe(JwtError.Expired);
    expect<i32>(jwt.checkTimes(2000, 0)).toBe(JwtError.Expired);
    expect<i32>(jwt.checkTimes(941)).toBe(JwtError.None);
    expect<i32>(jwt.checkTimes(939)).toBe(JwtError.NotYetValid);
    expect<i32>(jwt.checkTimes(940)).toBe(JwtError.None); // now + skew == nbf
    expect<i32>(jwt.checkTimes(1500, 60, false, 1)).toBe(JwtError.LifetimeTooLong);
    expect<i32>(jwt.checkTimes(1500, 60, true, 1000)).toBe(JwtError.None);
    expect<i32>(jwt.checkTimes(1500, 60, true, 999)).toBe(JwtError.LifetimeTooLong);
    const noExp = parseJwt(token('{"alg":"HS256"}', seg('{"sub":"a"}')), ALL).jwt!;
    expect<i32>(noExp.checkTimes(1)).toBe(JwtError.None);
    expect<i32>(noExp.checkTimes(1, 60, true)).toBe(JwtError.ExpMissing);
    expect<i32>(noExp.checkTimes(1, 60, false, 1)).toBe(JwtError.ExpMissing); // a lifetime needs exp
    const bad = parseJwt(token('{"alg":"HS256"}', seg('{"exp":"soon"}')), ALL).jwt!;
    expect<i32>(bad.checkTimes(1)).toBe(JwtError.BadTimeClaim);
    // NumericDate may have a fraction: whole seconds count, from 0 on.
    const fraction = parseJwt(token('{"alg":"HS256"}', seg('{"exp":0.5,"nbf":0.25}')), ALL).jwt!;
    expect<i64>(fraction.timeClaim("exp")).toBe(0);
    expect<i64>(fraction.timeClaim("nbf")).toBe(0);
    expect<i32>(fraction.checkTimes(100)).toBe(JwtError.Expired); // exp 0 is a time, not absent
    // From 0 to 10^15 seconds; below or above, a bad claim.
    const times = parseJwt(
      token('{"alg":"HS256"}', seg('{"zero":0,"top":1e15,"over":2e15,"neg":-1}')),
      ALL,
    ).jwt!;
    expect<i64>(times.timeClaim("zero")).toBe(0);
    expect<i64>(times.timeClaim("top")).toBe(1_000_000_000_000_000);
    expect<i64>(times.timeClaim("over")).toBe(JWT_BAD_TIME);
    expect<i64>(times.timeClaim("neg")).toBe(JWT_BAD_TIME);
    expect<i64>(times.timeClaim("absent")).toBe(JWT_NO_TIME);
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

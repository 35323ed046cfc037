// meshwasm filter building blocks: pieces that filters share, importable by your own filter.
// Pure AssemblyScript: nothing here calls the host, so every function is legal in any callback
// (and compiles without the SDK). See README.md beside this file.
//
//   import { Regex } from "meshwasm/filters/lib";

export { Regex, RegexCompileResult, RegexError, REGEX_MAX_INSTRUCTIONS } from "./regex";
export {
  Base64Padding,
  base64Decode,
  base64DecodeBytes,
  base64DecodeInto,
  base64DecodeRaw,
  base64DecodedLength,
  base64Encode,
  base64EncodeRaw,
  base64Error,
} from "./base64";
export { constantTimeEqual, constantTimeEqualRaw, constantTimeEqualString } from "./ct";
export { Hash, HashAlgorithm, newHash, Sha256, Sha512, sha256, sha384, sha512 } from "./sha2";
export { Sha1, sha1 } from "./sha1";
export { Hmac, hmac } from "./hmac";
export { BCRYPT_MAX_COST, BCRYPT_MIN_COST, BcryptHash, BcryptParseResult, bcryptHash } from "./bcrypt";
export {
  MATCHER_KEYS,
  MatchKind,
  readStringMatcher,
  StringMatcher,
  StringMatcherResult,
} from "./matchers";
export {
  JWT_BAD_TIME,
  JWT_NO_TIME,
  Jwt,
  JwtAlgorithm,
  JwtError,
  JwtParseResult,
  checkTimeClaims,
  jwtAlgorithmBit,
  jwtAlgorithmByName,
  jwtAlgorithmName,
  jwtErrorMessage,
  parseJwt,
  parseJwtBytes,
} from "./jwt";
export { RSA_MAX_BITS, RSA_MIN_BITS, RsaPublicKey } from "./rsa";
export { EcCurve, EcdsaPublicKey } from "./ecdsa";
export { ecSpkiDer, ecdsaSignatureDer, rsaSpkiDer } from "./der";
export { basicChallenge, bearerChallenge, jsonErrorBody, keyChallenge, quotedParam, reasonPhrase } from "./reply";
export {
  BUCKET_KEY_MAX,
  BucketEntry,
  BucketSet,
  bucketHash,
  bucketKey,
  ceilSeconds,
  check,
  Decision,
  freshState,
  InPlace,
  LIMIT_MAX_AMOUNT,
  LIMIT_MAX_INTERVAL_MS,
  Limit,
  LimitKind,
  limitsSignature,
  takeInPlace,
} from "./bucket";
export { LEASE_SHARE, giveBack, giveBackInPlace, leasable, leaseAmount, leaseUntil } from "./lease";
export { TextBuilder } from "./text";

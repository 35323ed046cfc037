// bcrypt password hashes ($2a$, $2b$, $2y$), as htpasswd, most web frameworks and Kong store
// them: verify a password against a stored hash, or make one.
//
// Why our own: no AssemblyScript bcrypt exists; the JavaScript ones (bcryptjs) depend on
// JavaScript's runtime. This is the published algorithm (Provos and Mazieres, "A
// Future-Adaptable Password Scheme", 1999): the expensive key schedule of Blowfish, run 2^cost
// times, then "OrpheanBeholderScryDoubt" enciphered 64 times. Blowfish's initial state is pi
// (blowfish-pi.ts, generated). Checked against bcryptjs by filters/lib/test/bcrypt.test.ts.
//
// The password is used as bytes, cut to its first 72 (as every current implementation does);
// a NUL byte is part of the password, not its end. `$2x$` (a historical implementation's
// sign-extension bug) is refused rather than guessed at.
//
// Cost is the caller's to bound: each step of cost doubles the work (cost 10 is about a
// thousand key schedules). Read the hash once with `BcryptHash.parse` at configure, refuse
// costs above your budget there, and cache verified credentials: this is deliberately slow.
//
//   const parsed = BcryptHash.parse(line);          // onConfigure
//   if (parsed.error != null) cfg.fail(field, parsed.error!);
//   parsed.hash!.verify(passwordBytes)              // per request (slow: cache the result)

import { constantTimeEqualRaw } from "./ct";
import { PI_P, PI_S } from "./blowfish-pi";

const ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const MAGIC = "OrpheanBeholderScryDoubt";
const SALT_BYTES = 16;
const DIGEST_BYTES = 23;
const MAX_KEY_BYTES = 72;

/** Lowest and highest cost a hash may carry (2^4 to 2^31 rounds of the key schedule). */
export const BCRYPT_MIN_COST = 4;
export const BCRYPT_MAX_COST = 31;

/** A parsed `$2b$10$<salt><digest>` hash, or why the text is not one. */
export class BcryptParseResult {
  constructor(
    public readonly hash: BcryptHash | null,
    public readonly error: string | null,
  ) {}
}

/** A stored bcrypt hash, parsed once. */
export class BcryptHash {
  private constructor(
    /** "2a", "2b" or "2y". */
    public readonly variant: string,
    /** log2 of the key schedule rounds, 4..31. */
    public readonly cost: i32,
    private readonly salt: StaticArray<u8>,
    private readonly digest: StaticArray<u8>,
  ) {}

  /** Reads `$2a$`/`$2b$`/`$2y$` + two-digit cost + `$` + 22 salt and 31 digest characters. */
  static parse(text: string): BcryptParseResult {
    if (text.length != 60) {
      return new BcryptParseResult(null, `a bcrypt hash has 60 characters, this has ${text.length}`);
    }
    if (text.charCodeAt(0) != 0x24 || text.charCodeAt(3) != 0x24 || text.charCodeAt(6) != 0x24) {
      return new BcryptParseResult(null, "a bcrypt hash reads $2b$NN$ followed by 53 characters");
    }
    const variant = text.substring(1, 3);
    if (variant != "2a" && variant != "2b" && variant != "2y") {
      return new BcryptParseResult(null, `bcrypt variant "$${variant}$" is not supported (use $2a$, $2b$ or $2y$)`);
    }
    const tens = text.charCodeAt(4) - 0x30;
    const ones = text.charCodeAt(5) - 0x30;
    if (tens < 0 || tens > 9 || ones < 0 || ones > 9) {
      return new BcryptParseResult(null, `bcrypt cost "${text.substring(4, 6)}" is not two digits`);
    }
    const cost = tens * 10 + ones;
    if (cost < BCRYPT_MIN_COST || cost > BCRYPT_MAX_COST) {
      return new BcryptParseResult(null, `bcrypt cost ${cost} is outside ${BCRYPT_MIN_COST}..${BCRYPT_MAX_COST}`);
    }
    const salt = new StaticArray<u8>(SALT_BYTES);
    if (!decode(text, 7, 22, salt)) {
      return new BcryptParseResult(null, "the bcrypt salt is not 22 characters of bcrypt's base64");
    }
    const digest = new StaticArray<u8>(DIGEST_BYTES);
    if (!decode(text, 29, 31, digest)) {
      return new BcryptParseResult(null, "the bcrypt digest is not 31 characters of bcrypt's base64");
    }
    return new BcryptParseResult(new BcryptHash(variant, cost, salt, digest), null);
  }

  /** Whether `password` hashes to this (constant-time comparison of the digests). */
  verify(password: ArrayBuffer): bool {
    return this.verifyRaw(changetype<usize>(password), password.byteLength);
  }

  /** `verify` over `len` bytes at `ptr`. */
  verifyRaw(ptr: usize, len: i32): bool {
    bcryptRaw(ptr, len, changetype<usize>(this.salt), this.cost);
    return constantTimeEqualRaw(changetype<usize>(OUT), DIGEST_BYTES, changetype<usize>(this.digest), DIGEST_BYTES);
  }
}

/**
 * Hashes `password` with a 16-byte `salt` at `cost`: the `$2b$` text htpasswd -B would store.
 * Example: `bcryptHash(passwordBytes, sixteenRandomBytes, 10)`.
 */
export function bcryptHash(password: ArrayBuffer, salt: ArrayBuffer, cost: i32): string {
  assert(salt.byteLength == SALT_BYTES, "bcrypt: the salt is 16 bytes");
  assert(cost >= BCRYPT_MIN_COST && cost <= BCRYPT_MAX_COST, "bcrypt: cost is 4..31");
  memory.copy(changetype<usize>(SALT), changetype<usize>(salt), SALT_BYTES);
  bcryptRaw(changetype<usize>(password), password.byteLength, changetype<usize>(SALT), cost);
  const costText = cost < 10 ? `0${cost}` : cost.toString();
  return `$2b$${costText}$${encode(changetype<usize>(SALT), SALT_BYTES)}${encode(changetype<usize>(OUT), DIGEST_BYTES)}`;
}

// --- bcrypt's base64: its own alphabet, no padding --------------------------------------------

function value(c: i32): i32 {
  if (c == 0x2e) return 0; // .
  if (c == 0x2f) return 1; // /
  if (c >= 0x41 && c <= 0x5a) return c - 0x41 + 2;
  if (c >= 0x61 && c <= 0x7a) return c - 0x61 + 28;
  if (c >= 0x30 && c <= 0x39) return c - 0x30 + 54;
  return -1;
}

/** Decodes `count` characters of `text` from `start` into `out` (its length in bytes). */
function decode(text: string, start: i32, count: i32, out: StaticArray<u8>): bool {
  let bits: u32 = 0;
  let held = 0;
  let written = 0;
  for (let i = 0; i < count; i++) {
    const v = value(text.charCodeAt(start + i));
    if (v < 0) return false;
    bits = (bits << 6) | <u32>v;
    held += 6;
    if (held >= 8) {
      held -= 8;
      if (written < out.length) out[written++] = <u8>(bits >> <u32>held);
    }
  }
  return written == out.length;
}

function encode(ptr: usize, len: i32): string {
  let text = "";
  let bits: u32 = 0;
  let held = 0;
  for (let i = 0; i < len; i++) {
    bits = (bits << 8) | <u32>load<u8>(ptr + <usize>i);
    held += 8;
    while (held >= 6) {
      held -= 6;
      text += ALPHABET.charAt(<i32>((bits >> <u32>held) & 63));
    }
  }
  if (held > 0) text += ALPHABET.charAt(<i32>((bits << <u32>(6 - held)) & 63));
  return text;
}

// --- Eksblowfish ----------------------------------------------------------------------------

/** Blowfish's state: 18 subkeys then four S-boxes of 256 words, in one array. */
const P_WORDS: usize = 18;
const STATE_WORDS: usize = P_WORDS + 4 * 256;

/** Where `streamWord` is in its input; reset at the start of each pass, as the algorithm says. */
let cursor = 0;

/** The next big-endian word of `len` bytes at `ptr`, read cyclically. */
// @ts-ignore: decorator
@inline
function streamWord(ptr: usize, len: i32): u32 {
  let word: u32 = 0;
  for (let i = 0; i < 4; i++) {
    word = (word << 8) | <u32>load<u8>(ptr + <usize>cursor);
    cursor++;
    if (cursor >= len) cursor = 0;
  }
  return word;
}

// @ts-ignore: decorator
@inline
function f(s: usize, x: u32): u32 {
  const a = load<u32>(s + ((<usize>(x >> 24)) << 2));
  const b = load<u32>(s + ((256 + <usize>((x >> 16) & 0xff)) << 2));
  const c = load<u32>(s + ((512 + <usize>((x >> 8) & 0xff)) << 2));
  const d = load<u32>(s + ((768 + <usize>(x & 0xff)) << 2));
  return ((a + b) ^ c) + d;
}

/** The two halves `encipher` leaves. */
let left: u32 = 0;
let right: u32 = 0;

/** Enciphers (`left`, `right`) in place with the state at `p` (S-boxes after the 18 subkeys). */
function encipher(p: usize): void {
  const s = p + (P_WORDS << 2);
  let l = left ^ load<u32>(p);
  let r = right;
  for (let i: usize = 1; i <= 16; i += 2) {
    r ^= f(s, l) ^ load<u32>(p + (i << 2));
    l ^= f(s, r) ^ load<u32>(p + ((i + 1) << 2));
  }
  left = r ^ load<u32>(p, 17 << 2);
  right = l;
}

/** Mixes the key into the subkeys, then re-enciphers the whole state, salting each block. */
function expand(p: usize, key: usize, keyLen: i32, salt: usize, saltLen: i32): void {
  cursor = 0;
  for (let i: usize = 0; i < P_WORDS; i++) store<u32>(p + (i << 2), load<u32>(p + (i << 2)) ^ streamWord(key, keyLen));
  cursor = 0;
  left = 0;
  right = 0;
  for (let i: usize = 0; i < STATE_WORDS; i += 2) {
    if (saltLen > 0) {
      left ^= streamWord(salt, saltLen);
      right ^= streamWord(salt, saltLen);
    }
    encipher(p);
    store<u32>(p + (i << 2), left);
    store<u32>(p + ((i + 1) << 2), right);
  }
}

// Working memory, allocated once and reached from globals (so always alive): bcrypt itself then
// allocates nothing, and no buffer known only by its address can be collected mid-hash.
const KEY = new StaticArray<u8>(MAX_KEY_BYTES);
const STATE = new StaticArray<u32>(<i32>STATE_WORDS);
const WORDS = new StaticArray<u32>(6);
const OUT = new StaticArray<u8>(24);
const SALT = new StaticArray<u8>(SALT_BYTES);
const MAGIC_BYTES = String.UTF8.encode(MAGIC);

/** bcrypt's 24 enciphered bytes (the digest is the first 23), left in `OUT`. */
function bcryptRaw(password: usize, passwordLen: i32, salt: usize, cost: i32): void {
  // The key is the password's bytes and a terminating NUL, at most 72 bytes in all.
  const keyLen = min(passwordLen + 1, MAX_KEY_BYTES);
  const keyPtr = changetype<usize>(KEY);
  memory.fill(keyPtr, 0, MAX_KEY_BYTES);
  memory.copy(keyPtr, password, <usize>min(passwordLen, MAX_KEY_BYTES));

  const p = changetype<usize>(STATE);
  memory.copy(p, changetype<usize>(PI_P), P_WORDS << 2);
  memory.copy(p + (P_WORDS << 2), changetype<usize>(PI_S), 1024 << 2);

  expand(p, keyPtr, keyLen, salt, SALT_BYTES);
  const rounds: u64 = (<u64>1) << <u64>cost;
  for (let r: u64 = 0; r < rounds; r++) {
    expand(p, keyPtr, keyLen, 0, 0);
    expand(p, salt, SALT_BYTES, 0, 0);
  }

  const words = WORDS;
  cursor = 0;
  for (let i = 0; i < 6; i++) words[i] = streamWord(changetype<usize>(MAGIC_BYTES), 24);
  for (let n = 0; n < 64; n++) {
    for (let i = 0; i < 6; i += 2) {
      left = words[i];
      right = words[i + 1];
      encipher(p);
      words[i] = left;
      words[i + 1] = right;
    }
  }
  const out = changetype<usize>(OUT);
  for (let i = 0; i < 6; i++) store<u32>(out + (<usize>i << 2), bswap<u32>(words[i]));
  memory.fill(keyPtr, 0, MAX_KEY_BYTES); // no copy of the password outlives the call
}

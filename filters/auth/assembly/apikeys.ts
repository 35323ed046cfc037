// API keys of named consumers: read once (keys hashed with SHA-256 at configure, or given as
// their SHA-256), compared per request in constant time.

import { ConfigReader, quoteJsonString } from "../../../assembly";
import { constantTimeEqual } from "../../lib/ct";
import { sha256 } from "../../lib/sha2";
import { Location, LocationKind, isToken, readLocations } from "./locations";

export class Consumer {
  constructor(
    public readonly name: string,
    /** SHA-256 of the key: presented keys are hashed and compared in constant time. */
    public readonly keyHash: ArrayBuffer,
  ) {}
}

export class ApiKeys {
  from: Location[] = [];
  consumers: Consumer[] = [];
  forward: bool = false;
}

export function readApiKeys(k: ConfigReader): ApiKeys {
  const out = new ApiKeys();
  k.unknownKeys(["from", "consumers", "forward"]);
  out.from = readLocations(k, "from", [new Location(LocationKind.Header, "x-api-key", "")]);
  out.forward = k.bool("forward", false);
  const consumers = k.array("consumers", true);
  if (consumers.length == 0 && k.ok) k.fail("consumers", "must list at least one consumer");
  const names: string[] = [];
  for (let i = 0; i < consumers.length; i++) {
    const cr = consumers[i];
    cr.unknownKeys(["name", "key", "key_sha256"]);
    const name = cr.string("name");
    if (!isToken(name)) cr.fail("name", quoteJsonString(name) + " must be 1-128 characters of [A-Za-z0-9_.~-]");
    if (names.includes(name)) cr.fail("name", quoteJsonString(name) + " is used twice");
    names.push(name);
    const hasKey = cr.has("key");
    if (hasKey == cr.has("key_sha256")) {
      k.fail("consumers[" + i.toString() + "]", "needs exactly one of key, key_sha256");
      continue;
    }
    let hash = new ArrayBuffer(32);
    if (hasKey) {
      const key = cr.string("key");
      // The key itself is never echoed: it is a secret.
      if (key.length < 16) cr.fail("key", "is " + key.length.toString() + " characters; at least 16 are required");
      hash = sha256(String.UTF8.encode(key));
    } else {
      const hex = cr.string("key_sha256");
      const h = hexDecode(hex);
      if (h === null || h.byteLength != 32) cr.fail("key_sha256", "must be 64 hexadecimal digits (a SHA-256 digest)");
      else hash = h;
    }
    out.consumers.push(new Consumer(name, hash));
  }
  return out;
}

function hexDecode(s: string): ArrayBuffer | null {
  if ((s.length & 1) != 0) return null;
  const out = new ArrayBuffer(s.length >> 1);
  for (let i = 0; i < s.length; i += 2) {
    const hi = hexDigit(s.charCodeAt(i));
    const lo = hexDigit(s.charCodeAt(i + 1));
    if (hi < 0 || lo < 0) return null;
    store<u8>(changetype<usize>(out) + <usize>(i >> 1), <u8>((hi << 4) | lo));
  }
  return out;
}

function hexDigit(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}


/** The index of the consumer whose key `presented` is, or -1. The key is hashed first, so the
 *  comparison takes the same time whatever its length, and every consumer is compared, so
 *  the time does not tell which one matched. */
export function consumerOf(keys: ApiKeys, presented: string): i32 {
  const hash = sha256(String.UTF8.encode(presented));
  let match = -1;
  for (let i = 0; i < keys.consumers.length; i++) {
    if (constantTimeEqual(hash, unchecked(keys.consumers[i]).keyHash) && match < 0) match = i;
  }
  return match;
}

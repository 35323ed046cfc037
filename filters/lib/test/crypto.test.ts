// base64/base64url, constant-time compare, SHA-256/384/512 and HMAC against node:crypto and
// Buffer, on inputs generated here: every length across the block and padding boundaries,
// random bytes, keys shorter and longer than a block. No pasted vectors: node computes them.

import { createHash, createHmac, randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { type BufferExports, type Buffers, buffersOf, loadHarness } from "./load-harness.ts";

interface Exports extends BufferExports {
  hash(algorithm: number, chunk: number): void;
  hmacKey(algorithm: number): void;
  hmacMac(): void;
  hmacVerify(): number;
  encode(url: number, pad: number): void;
  decode(url: number, padding: number): number;
  decodeString(url: number, padding: number): number;
  decodeError(url: number, padding: number): void;
  equal(): number;
}

const ALGORITHMS = [
  { id: 0, node: "sha256" },
  { id: 1, node: "sha384" },
  { id: 2, node: "sha512" },
];
const REQUIRED = 0;
const FORBIDDEN = 1;
const OPTIONAL = 2;

let x: Exports;
let io: Buffers;

beforeAll(async () => {
  x = await loadHarness<Exports>("crypto");
  io = buffersOf(x);
}, 120_000);

describe("SHA-2", () => {
  it("matches node:crypto for every length 0..300 and larger inputs, in one or many updates", () => {
    let checked = 0;
    const lengths = [...Array.from({ length: 301 }, (_, i) => i), 1000, 4096, 65537];
    for (const len of lengths) {
      const data = randomBytes(len);
      for (const alg of ALGORITHMS) {
        const want = createHash(alg.node).update(data).digest("hex");
        io.put(data);
        for (const chunk of [0, 1, 7, 64, 127]) {
          x.hash(alg.id, chunk);
          expect(io.result().toString("hex"), `${alg.node} of ${len} bytes, chunk ${chunk}`).toBe(
            want,
          );
          checked++;
        }
      }
    }
    expect(checked).toBe(304 * 3 * 5);
  });
});

describe("HMAC", () => {
  it("matches node:crypto for keys of 0..300 bytes and messages across block boundaries", () => {
    let checked = 0;
    for (const alg of ALGORITHMS) {
      for (const keyLength of [0, 1, 16, 32, 63, 64, 65, 127, 128, 129, 200, 300]) {
        const key = randomBytes(keyLength);
        io.putSecond(key);
        x.hmacKey(alg.id);
        for (const len of [0, 1, 55, 56, 63, 64, 65, 111, 112, 127, 128, 129, 1000]) {
          const data = randomBytes(len);
          const want = createHmac(alg.node, key).update(data).digest();
          io.put(data);
          x.hmacMac(); // the keyed state is reused message after message
          expect(io.result().equals(want), `${alg.node} key ${keyLength} msg ${len}`).toBe(true);
          checked++;
        }
      }
    }
    expect(checked).toBe(3 * 12 * 13);
  });

  it("verifies the right tag and refuses a flipped bit, a truncated or a longer tag", () => {
    const key = randomBytes(32);
    const data = randomBytes(100);
    io.putSecond(key);
    x.hmacKey(0);
    const tag = createHmac("sha256", key).update(data).digest();
    io.put(data);
    io.putSecond(tag);
    expect(x.hmacVerify()).toBe(1);
    for (let bit = 0; bit < tag.length * 8; bit += 37) {
      const bad = Buffer.from(tag);
      bad[bit >> 3] = (bad[bit >> 3] as number) ^ (1 << (bit & 7));
      io.putSecond(bad);
      expect(x.hmacVerify(), `bit ${bit}`).toBe(0);
    }
    io.putSecond(tag.subarray(0, 31));
    expect(x.hmacVerify()).toBe(0);
    io.putSecond(Buffer.concat([tag, Buffer.from([0])]));
    expect(x.hmacVerify()).toBe(0);
    io.putSecond(new Uint8Array(0));
    expect(x.hmacVerify()).toBe(0);
  });
});

describe("base64", () => {
  it("encodes like Buffer in both alphabets, with and without padding", () => {
    for (let len = 0; len < 100; len++) {
      const data = randomBytes(len);
      io.put(data);
      const std = data.toString("base64");
      const url = data.toString("base64url");
      x.encode(0, 1);
      expect(io.result().toString()).toBe(std);
      x.encode(0, 0);
      expect(io.result().toString()).toBe(std.replace(/=+$/, ""));
      x.encode(1, 0);
      expect(io.result().toString()).toBe(url);
      x.encode(1, 1);
      expect(io.result().toString()).toBe(std.replaceAll("+", "-").replaceAll("/", "_"));
    }
  });

  it("decodes every canonical encoding back to its bytes, from bytes and from strings", () => {
    for (let len = 0; len < 100; len++) {
      const data = randomBytes(len);
      const cases: [string, number, number][] = [
        [data.toString("base64"), 0, REQUIRED],
        [data.toString("base64"), 0, OPTIONAL],
        [data.toString("base64").replace(/=+$/, ""), 0, OPTIONAL],
        [data.toString("base64url"), 1, FORBIDDEN],
        [data.toString("base64url"), 1, OPTIONAL],
      ];
      for (const [text, url, padding] of cases) {
        io.put(Buffer.from(text));
        expect(x.decode(url, padding), `${text} ${url} ${padding}`).toBe(1);
        expect(io.result().equals(data)).toBe(true);
        io.putUtf16(text);
        expect(x.decodeString(url, padding)).toBe(1);
        expect(io.result().equals(data)).toBe(true);
      }
    }
  });

  it("refuses every non-canonical or foreign spelling, and says why without echoing it", () => {
    const refusals: [string, number, number, string][] = [
      ["QQ", 0, REQUIRED, "base64 padding (=) missing at offset 2"],
      ["QQ==", 1, FORBIDDEN, "base64url padding (=) not allowed at offset 2"],
      ["QR==", 0, REQUIRED, "non-canonical base64 (unused bits set) at offset 1"],
      ["QUI", 1, FORBIDDEN, ""],
      ["QUJ", 1, FORBIDDEN, "non-canonical base64url (unused bits set) at offset 2"],
      ["Q", 0, OPTIONAL, "invalid base64 length 1"],
      ["QUJDR", 1, FORBIDDEN, "invalid base64url length 5"],
      ["QQ=", 0, OPTIONAL, "misplaced or wrong base64 padding at offset 2"],
      ["QUJD=", 0, OPTIONAL, "misplaced or wrong base64 padding at offset 4"],
      ["Q===", 0, REQUIRED, "invalid base64 character at offset 1"],
      ["QU=D", 0, REQUIRED, "invalid base64 character at offset 2"],
      ["a+b/", 1, FORBIDDEN, "invalid base64url character at offset 1"],
      ["a-b_", 0, REQUIRED, "invalid base64 character at offset 1"],
      ["QU JD", 0, OPTIONAL, "invalid base64 character at offset 2"],
      ["QUJD\n", 0, OPTIONAL, "invalid base64 character at offset 4"],
      ["QUJ\u0000", 0, OPTIONAL, "invalid base64 character at offset 3"],
      ["QUJ\u0141", 0, OPTIONAL, "invalid base64 character at offset 3"],
      ["", 0, REQUIRED, ""],
    ];
    for (const [text, url, padding, why] of refusals) {
      io.putUtf16(text);
      x.decodeError(url, padding);
      expect(io.result().toString(), JSON.stringify(text)).toBe(why);
      expect(x.decodeString(url, padding), JSON.stringify(text)).toBe(why === "" ? 1 : 0);
      if ([...text].every((c) => c.charCodeAt(0) < 0x80)) {
        io.put(Buffer.from(text));
        expect(x.decode(url, padding)).toBe(why === "" ? 1 : 0);
      }
    }
  });

  it("never accepts random garbage that Buffer would not produce", () => {
    const alphabet = "ABCabc0189+/-_= \n.";
    let accepted = 0;
    for (let i = 0; i < 5000; i++) {
      const n = Math.floor(Math.random() * 12);
      let text = "";
      for (let k = 0; k < n; k++) text += alphabet[Math.floor(Math.random() * alphabet.length)];
      for (const [url, padding] of [
        [0, REQUIRED],
        [1, FORBIDDEN],
        [0, OPTIONAL],
      ] as const) {
        io.put(Buffer.from(text));
        if (x.decode(url, padding) === 1) {
          accepted++;
          // Whatever is accepted is the one canonical spelling of its bytes.
          const bytes = io.result();
          const canonical = url ? bytes.toString("base64url") : bytes.toString("base64");
          const spelled =
            padding === OPTIONAL && !text.endsWith("=") ? canonical.replace(/=+$/, "") : canonical;
          expect(spelled, JSON.stringify(text)).toBe(text);
        }
      }
    }
    expect(accepted).toBeGreaterThan(100);
  });
});

describe("constant-time compare", () => {
  it("says equal exactly when the bytes are equal", () => {
    for (let i = 0; i < 500; i++) {
      const a = randomBytes(Math.floor(Math.random() * 40));
      const b = Math.random() < 0.5 ? Buffer.from(a) : randomBytes(Math.floor(Math.random() * 40));
      if (Math.random() < 0.3 && b.length > 0) {
        const at = Math.floor(Math.random() * b.length);
        b[at] = (b[at] as number) ^ 1;
      }
      io.put(a);
      io.putSecond(b);
      expect(x.equal()).toBe(a.equals(b) ? 1 : 0);
    }
  });
});

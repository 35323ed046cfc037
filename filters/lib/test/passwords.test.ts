// SHA-1 against node:crypto and bcrypt against bcryptjs, on inputs generated here: every
// length across SHA-1's block boundaries, passwords of every length around bcrypt's 72-byte
// cut, non-ASCII and NUL bytes, random salts, each accepted variant. No pasted vectors.

import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import bcrypt from "bcryptjs";
import { beforeAll, describe, expect, it } from "vitest";
import { type BufferExports, type Buffers, buffersOf, loadHarness } from "./load-harness.ts";

interface Exports extends BufferExports {
  sha1(chunk: number): void;
  hash(cost: number): void;
  verify(): number;
}

let x: Exports;
let io: Buffers;

beforeAll(async () => {
  x = await loadHarness<Exports>("passwords");
  io = buffersOf(x);
}, 120_000);

function verify(password: Uint8Array, stored: string): number {
  io.put(password);
  io.putSecond(Buffer.from(stored, "utf8"));
  return x.verify();
}

/** The salt bcryptjs wrote into `stored`, as the 16 bytes it encodes. */
function saltOf(stored: string): Buffer {
  const alphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const bits = [...stored.slice(7, 29)]
    .map((c) => alphabet.indexOf(c).toString(2).padStart(6, "0"))
    .join("");
  const bytes = Buffer.alloc(16);
  for (let i = 0; i < 16; i++) bytes[i] = Number.parseInt(bits.slice(i * 8, i * 8 + 8), 2);
  return bytes;
}

describe("SHA-1", () => {
  it("matches node:crypto at every length from 0 to 200 bytes, in one update and in chunks", () => {
    for (let len = 0; len <= 200; len++) {
      const data = randomBytes(len);
      const expected = createHash("sha1").update(data).digest("hex");
      for (const chunk of [0, 1, 7, 64]) {
        io.put(data);
        x.sha1(chunk);
        expect(io.result().toString("hex"), `length ${len}, chunk ${chunk}`).toBe(expected);
      }
    }
  });

  it("matches node:crypto on a megabyte", () => {
    const data = randomBytes(1 << 20);
    io.put(data);
    x.sha1(0);
    expect(io.result().toString("hex")).toBe(createHash("sha1").update(data).digest("hex"));
  });
});

describe("bcrypt", () => {
  it("starts from the digits of pi that scripts/gen-blowfish-pi.mjs computes", () => {
    // Exits non-zero (and throws here) when filters/lib/blowfish-pi.ts differs from the digits.
    const script = new URL("../../../scripts/gen-blowfish-pi.mjs", import.meta.url);
    expect(() =>
      execFileSync(process.execPath, [script.pathname, "--check"], { stdio: "pipe" }),
    ).not.toThrow();
  });

  it("accepts what bcryptjs hashed, and nothing one byte off, at passwords of 0 to 80 bytes", () => {
    for (let len = 0; len <= 80; len += len < 70 ? 7 : 1) {
      const password = randomBytes(len);
      const stored = bcrypt.hashSync(password.toString("latin1"), 4);
      // bcryptjs hashes the UTF-8 of a string; give the harness the same bytes.
      const bytes = Buffer.from(password.toString("latin1"), "utf8");
      expect(verify(bytes, stored), `length ${len}`).toBe(1);
      if (bytes.length > 0) {
        const wrong = Buffer.from(bytes);
        wrong[wrong.length - 1] = (wrong.at(-1) ?? 0) ^ 1;
        // Past 72 bytes the tail is not part of the key: only then may a change go unnoticed.
        expect(verify(wrong, stored), `length ${len}, last byte changed`).toBe(
          wrong.length > 72 ? 1 : 0,
        );
      }
    }
  });

  it("cuts the password at 72 bytes and treats NUL and non-ASCII bytes as part of it", () => {
    const long = "p".repeat(72);
    const stored = bcrypt.hashSync(long, 4);
    expect(verify(Buffer.from(`${long}anything`), stored)).toBe(1);
    expect(verify(Buffer.from(long.slice(0, 71)), stored)).toBe(0);

    const withNul = "abc\u0000def";
    const nulHash = bcrypt.hashSync(withNul, 4);
    expect(verify(Buffer.from(withNul, "utf8"), nulHash)).toBe(1);
    expect(verify(Buffer.from("abc"), nulHash)).toBe(0);

    const accented = "pässwörd-密码";
    expect(verify(Buffer.from(accented, "utf8"), bcrypt.hashSync(accented, 5))).toBe(1);
  });

  it("makes the same hash as bcryptjs for the same password, salt and cost", () => {
    for (const cost of [4, 5, 6]) {
      for (let i = 0; i < 5; i++) {
        const password = randomBytes(1 + i * 9).toString("base64");
        const stored = bcrypt.hashSync(password, cost);
        io.put(Buffer.from(password));
        io.putSecond(saltOf(stored));
        x.hash(cost);
        expect(io.result().toString("utf8")).toBe(stored.replace(/^\$2a\$/, "$2b$"));
      }
    }
  });

  it("reads $2a$, $2b$ and $2y$ alike", () => {
    const stored = bcrypt.hashSync("correct horse", 4);
    for (const variant of ["2a", "2b", "2y"]) {
      const text = `$${variant}${stored.slice(3)}`;
      expect(verify(Buffer.from("correct horse"), text), variant).toBe(1);
      expect(verify(Buffer.from("correct horsE"), text), variant).toBe(0);
    }
  });

  it("refuses text that is not a hash, saying why", () => {
    const good = bcrypt.hashSync("x", 4);
    const cases: Array<[string, string]> = [
      ["", "60 characters"],
      [good.slice(0, 59), "60 characters"],
      [`$2x${good.slice(3)}`, 'variant "$2x$"'],
      [`$1a${good.slice(3)}`, 'variant "$1a$"'],
      [`${good.slice(0, 4)}x4${good.slice(6)}`, "not two digits"],
      [`${good.slice(0, 4)}03${good.slice(6)}`, "cost 3 is outside"],
      [`${good.slice(0, 4)}32${good.slice(6)}`, "cost 32 is outside"],
      [`${good.slice(0, 10)}!${good.slice(11)}`, "salt"],
      [`${good.slice(0, 40)}+${good.slice(41)}`, "digest"],
      [`#${good.slice(1)}`, "$2b$NN$"],
    ];
    for (const [text, reason] of cases) {
      expect(verify(Buffer.from("x"), text), JSON.stringify(text)).toBe(-1);
      expect(io.result().toString("utf8"), JSON.stringify(text)).toContain(reason);
    }
  });
});

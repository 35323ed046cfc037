// Shared by the auth filter's tests: building the module, keys generated with node:crypto,
// and tokens signed with them. Nothing here is a pasted constant: every key and token is made
// by the code below, fresh for each run.

import {
  createHmac,
  constants as cryptoConstants,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
  randomBytes,
  sign,
} from "node:crypto";
import { existsSync, readdirSync, renameSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { compileFilter } from "../../../src/build/compile.ts";

export const ROOT = resolve(fileURLToPath(import.meta.url), "..", "..", "..", "..");

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!["__tests__", "test"].includes(entry.name)) newest = Math.max(newest, newestMtime(path));
    } else newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** filters/auth compiled (build/auth.wasm when current, else build/test-modules/filter-auth.wasm,
 *  compiled when out of date). */
export async function buildAuth(): Promise<string> {
  const outFile = join(ROOT, "build", "test-modules", "filter-auth.wasm");
  const compiler = join(ROOT, "node_modules", "assemblyscript");
  const sources = Math.max(
    newestMtime(join(ROOT, "filters", "auth", "assembly")),
    newestMtime(join(ROOT, "filters", "lib")),
    newestMtime(join(ROOT, "assembly")),
    existsSync(compiler) ? statSync(compiler).mtimeMs : 0,
  );
  if (existsSync(outFile) && statSync(outFile).mtimeMs > sources) return outFile;
  // `npm run build` (the start of `npm test`) already wrote build/auth.wasm with the same
  // compiler settings: use it when it is current.
  const built = join(ROOT, "build", "auth.wasm");
  if (existsSync(built) && statSync(built).mtimeMs > sources) return built;
  // Written beside, then renamed: a test file running at the same time never reads half a module.
  const tmp = `${outFile}.${process.pid}.tmp`;
  await compileFilter({
    entry: join(ROOT, "filters", "auth", "assembly", "index.ts"),
    outFile: tmp,
  });
  renameSync(tmp, outFile);
  return outFile;
}

export type Alg =
  | "HS256"
  | "HS384"
  | "HS512"
  | "RS256"
  | "RS384"
  | "RS512"
  | "PS256"
  | "PS384"
  | "ES256"
  | "ES384";

/** A signing key with its public JWK. */
export interface TestKey {
  kid: string;
  /** The public JWK (for HMAC, the secret as an oct JWK). */
  jwk: JsonWebKey & { kid?: string; alg?: string };
  sign(alg: Alg, data: Buffer): Buffer;
}

export function rsaKey(kid: string, bits = 2048, withAlg?: Alg): TestKey {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: bits });
  return asymmetric(kid, publicKey, privateKey, withAlg);
}

export function ecKey(kid: string, curve: "P-256" | "P-384" = "P-256", withAlg?: Alg): TestKey {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: curve });
  return asymmetric(kid, publicKey, privateKey, withAlg);
}

export function hmacKey(kid: string, bytes = 32, withAlg?: Alg): TestKey {
  const secret = randomBytes(bytes);
  const jwk: TestKey["jwk"] = { kty: "oct", k: secret.toString("base64url"), kid };
  if (withAlg) jwk.alg = withAlg;
  return {
    kid,
    jwk,
    sign: (alg, data) =>
      createHmac(`sha${alg.slice(2)}`, secret)
        .update(data)
        .digest(),
  };
}

function asymmetric(kid: string, pub: KeyObject, priv: KeyObject, withAlg?: Alg): TestKey {
  const jwk: TestKey["jwk"] = { ...pub.export({ format: "jwk" }), kid };
  if (withAlg) jwk.alg = withAlg;
  return {
    kid,
    jwk,
    sign(alg, data) {
      const hash = `sha${alg.slice(2)}`;
      if (alg.startsWith("PS")) {
        return sign(hash, data, {
          key: priv,
          padding: cryptoConstants.RSA_PKCS1_PSS_PADDING,
          saltLength: cryptoConstants.RSA_PSS_SALTLEN_DIGEST,
        });
      }
      if (alg.startsWith("ES")) return sign(hash, data, { key: priv, dsaEncoding: "ieee-p1363" });
      return sign(hash, data, priv);
    },
  };
}

const b64u = (v: Buffer | string) => Buffer.from(v).toString("base64url");

export interface TokenOptions {
  alg: Alg;
  key: TestKey;
  /** Header fields; kid defaults to the key's (null leaves it out). */
  header?: Record<string, unknown>;
  kid?: string | null;
  claims?: Record<string, unknown>;
}

/** A compact JWS signed by `key`. */
export function token(o: TokenOptions): string {
  const header: Record<string, unknown> = { alg: o.alg, typ: "JWT", ...o.header };
  const kid = o.kid === undefined ? o.key.kid : o.kid;
  if (kid !== null) header.kid = kid;
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(o.claims ?? {}))}`;
  return `${input}.${b64u(o.key.sign(o.alg, Buffer.from(input)))}`;
}

/** Seconds since the epoch, as the test host's clock reads at start. */
export const nowSeconds = () => Math.floor(Date.now() / 1000);

export function jwks(...keys: TestKey[]): { keys: TestKey["jwk"][] } {
  return { keys: keys.map((k) => k.jwk) };
}

// The filter's configuration, read once in onConfigure into immutable typed objects. Every
// mistake is recorded with its field path; the root logs the first and refuses to start.

import { ConfigReader, parseJson, quoteJsonString } from "../../../assembly";
import { JwtAlgorithm, jwtAlgorithmBit, jwtAlgorithmByName } from "../../lib/jwt";
import { ApiKeys, readApiKeys } from "./apikeys";
import { BasicAuth, readBasic } from "./basic";
import { Jwk, readJwks } from "./jwks";
import { Location, LocationKind, isToken, readLocations } from "./locations";
import { RemoteJwks, readRemoteJwks } from "./remote";

export class ClaimHeader {
  constructor(
    public readonly claim: string,
    public readonly header: string,
  ) {}
}

export enum ClaimTest {
  Equals = 0,
  Contains = 1,
}

export class ClaimRule {
  constructor(
    public readonly claim: string,
    public readonly test: ClaimTest,
    public readonly value: string,
  ) {}
}

export class Provider {
  name: string = "";
  index: i32 = 0;
  issuer: string | null = null;
  audiences: string[] = [];
  algorithms: u32 = 0;
  /** Inline keys (remote providers start empty and fill from the fetch). */
  keys: Jwk[] = [];
  /** Set when the keys are fetched (remote_jwks). */
  remote: RemoteJwks | null = null;
  from: Location[] = [];
  skew: i64 = 60;
  requireExp: bool = false;
  maxLifetime: i64 = 0;
  maxTokenBytes: i32 = 4096;
  forward: bool = false;
  subjectHeader: string | null = null;
  claimHeaders: ClaimHeader[] = [];
  payloadHeader: string | null = null;
  claimRules: ClaimRule[] = [];
  scopes: string[] = [];
}

export enum RequirementKind {
  Provider = 0,
  Any = 1,
  All = 2,
  ApiKey = 3,
  Basic = 4,
  None = 5,
}

export class Requirement {
  kind: RequirementKind = RequirementKind.None;
  provider: i32 = -1;
  children: Requirement[] = [];
}

export class Rule {
  pathExact: string | null = null;
  pathPrefix: string | null = null;
  /** Upper-case methods; empty means any. */
  methods: string[] = [];
  /** Lower-case host without port; null means any. */
  host: string | null = null;
  requires: Requirement = new Requirement();
  /** Consumer names (API key or Basic consumer, JWT sub) allowed; empty means any. */
  allow: string[] = [];
}

export enum Verifier {
  /** Envoy's verify_signature for RS and ES, AssemblyScript where the host lacks it (and PS). */
  Host = 0,
  /** AssemblyScript only. */
  Wasm = 1,
}

export enum BodyStyle {
  Json = 0,
  Text = 1,
  Empty = 2,
}

export class Config {
  providers: Provider[] = [];
  providerNames: string[] = [];
  apiKeys: ApiKeys | null = null;
  basic: BasicAuth | null = null;
  rules: Rule[] = [];
  defaultRequires: Requirement = new Requirement();
  consumerHeader: string = "x-auth-consumer";
  /** Every identity header the filter sets: client copies are removed from each request. */
  identityHeaders: string[] = [];
  /** The field that named each identity header (for configuration errors). */
  identityFields: string[] = [];
  /** identityHeaders as UTF-8, for the per-request lookups. */
  identityHeaderBytes: ArrayBuffer[] = [];
  realm: string = "meshwasm";
  bypassCorsPreflight: bool = false;
  unavailableStatus: u32 = 401;
  body: BodyStyle = BodyStyle.Json;
  tokenCacheSize: i32 = 1024;
  verifier: Verifier = Verifier.Host;
  statPrefix: string = "auth";
}

const TOP_KEYS: string[] = [
  "providers", "api_keys", "basic", "rules", "default_requires", "consumer_header", "realm",
  "bypass_cors_preflight", "unavailable_status", "deny_body", "token_cache_size",
  "signature_verifier", "stat_prefix",
];
const PROVIDER_KEYS: string[] = [
  "issuer", "audiences", "algorithms", "jwks", "remote_jwks", "from", "clock_skew_seconds",
  "require_expiration", "max_lifetime_seconds", "max_token_bytes", "forward", "subject_header",
  "claims_to_headers", "payload_header", "require_claims", "scopes",
];
const SUPPORTED_ALGS: string[] = [
  "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "ES256", "ES384",
];

/** Reads the whole configuration; `cfg.ok` says whether it may start. */
export function readAuthConfig(cfg: ConfigReader): Config {
  const c = new Config();
  cfg.unknownKeys(TOP_KEYS);
  c.realm = cfg.string("realm", "meshwasm");
  c.consumerHeader = cfg.headerName("consumer_header", "x-auth-consumer");
  c.bypassCorsPreflight = cfg.bool("bypass_cors_preflight", false);
  const unavailable = cfg.integer("unavailable_status", 401);
  if (unavailable != 401 && unavailable != 503) cfg.fail("unavailable_status", unavailable.toString() + " is not 401 or 503");
  c.unavailableStatus = <u32>unavailable;
  const body = cfg.oneOf("deny_body", ["json", "text", "empty"], "json");
  c.body = body == "text" ? BodyStyle.Text : body == "empty" ? BodyStyle.Empty : BodyStyle.Json;
  c.tokenCacheSize = <i32>cfg.integer("token_cache_size", 1024, 0, 100000);
  c.verifier = cfg.oneOf("signature_verifier", ["host", "wasm"], "host") == "wasm" ? Verifier.Wasm : Verifier.Host;
  c.statPrefix = cfg.string("stat_prefix", "auth");
  if (!isStatName(c.statPrefix)) cfg.fail("stat_prefix", quoteJsonString(c.statPrefix) + " must be 1-40 of [a-z0-9_]");
  addIdentity(c, c.consumerHeader, "consumer_header");

  if (cfg.has("providers")) {
    const providers = cfg.object("providers");
    const names = providers.keys;
    if (names.length == 0 && providers.ok) cfg.fail("providers", "must name at least one provider");
    for (let i = 0; i < names.length; i++) {
      if (!isProviderName(names[i])) providers.fail(names[i], "provider names are 1-64 characters of [A-Za-z0-9_-]");
      const p = readProvider(providers.object(names[i]), c, names[i]);
      p.index = i;
      c.providers.push(p);
      c.providerNames.push(names[i]);
    }
  }
  if (cfg.has("api_keys")) c.apiKeys = readApiKeys(cfg.object("api_keys"));
  if (cfg.has("basic")) c.basic = readBasic(cfg.object("basic"));
  if (c.providers.length == 0 && c.apiKeys === null && c.basic === null) {
    cfg.fail("providers", "at least one of providers, api_keys or basic must be configured");
  }
  const rules = cfg.array("rules");
  for (let i = 0; i < rules.length; i++) c.rules.push(readRule(rules[i], c));
  if (cfg.has("default_requires")) c.defaultRequires = readRequirement(cfg, "default_requires", c, 0);
  else c.defaultRequires = anyOfEverything(c);
  checkHeaderClashes(cfg, c);
  for (let i = 0; i < c.identityHeaders.length; i++) c.identityHeaderBytes.push(String.UTF8.encode(c.identityHeaders[i]));
  return c;
}

function addIdentity(c: Config, header: string, field: string): void {
  c.identityHeaders.push(header);
  c.identityFields.push(field);
}

function isProviderName(s: string): bool {
  if (s.length == 0 || s.length > 64) return false;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    const ok = (ch >= 0x61 && ch <= 0x7a) || (ch >= 0x41 && ch <= 0x5a) || (ch >= 0x30 && ch <= 0x39) || ch == 0x5f || ch == 0x2d;
    if (!ok) return false;
  }
  return true;
}

function isStatName(s: string): bool {
  if (s.length == 0 || s.length > 40) return false;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (!((ch >= 0x61 && ch <= 0x7a) || (ch >= 0x30 && ch <= 0x39) || ch == 0x5f)) return false;
  }
  return true;
}

function anyOfEverything(c: Config): Requirement {
  const r = new Requirement();
  r.kind = RequirementKind.Any;
  for (let i = 0; i < c.providers.length; i++) {
    const p = new Requirement();
    p.kind = RequirementKind.Provider;
    p.provider = i;
    r.children.push(p);
  }
  if (c.apiKeys !== null) {
    const k = new Requirement();
    k.kind = RequirementKind.ApiKey;
    r.children.push(k);
  }
  if (c.basic !== null) {
    const b = new Requirement();
    b.kind = RequirementKind.Basic;
    r.children.push(b);
  }
  return r;
}

function readProvider(p: ConfigReader, c: Config, name: string): Provider {
  const out = new Provider();
  out.name = name;
  p.unknownKeys(PROVIDER_KEYS);
  out.issuer = p.optionalString("issuer");
  out.audiences = p.stringArray("audiences", []);
  const algs = p.stringArray("algorithms");
  if (algs.length == 0 && p.ok) p.fail("algorithms", "must list at least one algorithm");
  for (let i = 0; i < algs.length; i++) {
    const a = algs[i];
    if (!SUPPORTED_ALGS.includes(a)) {
      p.fail("algorithms[" + i.toString() + "]", quoteJsonString(a) + " is not supported (" + SUPPORTED_ALGS.join(", ") + ")");
    } else out.algorithms |= jwtAlgorithmBit(<JwtAlgorithm>jwtAlgorithmByName(a));
  }
  if (p.has("jwks") == p.has("remote_jwks")) {
    p.fail(p.has("jwks") ? "remote_jwks" : "jwks", p.has("jwks") ? "only one of jwks, remote_jwks may be set" : "is required (or remote_jwks)");
  } else if (p.has("remote_jwks")) {
    out.remote = readRemoteJwks(p.object("remote_jwks"));
  } else {
    const raw = p.raw("jwks")!;
    let doc = raw;
    const text = raw.asString();
    if (text !== null) {
      // A JWKS may be given as its JSON text too (as a file's content would be).
      const parsed = parseJson(String.UTF8.encode(text.value), 16);
      if (parsed.error !== null) p.fail("jwks", "is not JSON: " + parsed.error!.toString());
      else doc = parsed.value!;
    }
    if (p.ok) {
      const r = readJwks(doc);
      if (!r.ok) p.fail(r.errorPath.length > 0 ? "jwks." + r.errorPath : "jwks", r.error);
      else if (r.keys.length == 0) p.fail("jwks.keys", "holds no usable key (oct, RSA or EC)");
      out.keys = r.keys;
      let usable = false;
      for (let i = 0; i < out.keys.length; i++) {
        for (let a = 0; a <= <i32>JwtAlgorithm.ES384; a++) {
          if ((out.algorithms & jwtAlgorithmBit(<JwtAlgorithm>a)) != 0 && out.keys[i].fits(<JwtAlgorithm>a)) usable = true;
        }
      }
      if (!usable && p.ok && out.keys.length > 0) p.fail("jwks.keys", "holds no key that fits the provider's algorithms");
    }
  }
  out.from = readLocations(p, "from", [
    new Location(LocationKind.Header, "authorization", "Bearer "),
    new Location(LocationKind.Query, "access_token", ""),
  ]);
  out.skew = p.integer("clock_skew_seconds", 60, 0, 3600);
  out.requireExp = p.bool("require_expiration", false);
  out.maxLifetime = p.integer("max_lifetime_seconds", 0, 0, 31536000);
  out.maxTokenBytes = <i32>p.integer("max_token_bytes", 4096, 64, 65536);
  out.forward = p.bool("forward", false);
  if (p.has("subject_header")) {
    out.subjectHeader = p.headerName("subject_header");
    addIdentity(c, out.subjectHeader!, p.path + ".subject_header");
  }
  if (p.has("payload_header")) {
    out.payloadHeader = p.headerName("payload_header");
    addIdentity(c, out.payloadHeader!, p.path + ".payload_header");
  }
  const ch = p.array("claims_to_headers");
  for (let i = 0; i < ch.length; i++) {
    ch[i].unknownKeys(["claim", "header"]);
    const claim = ch[i].string("claim");
    if (!isClaimPath(claim)) ch[i].fail("claim", quoteJsonString(claim) + " is not a claim path (names separated by dots)");
    const header = ch[i].headerName("header");
    out.claimHeaders.push(new ClaimHeader(claim, header));
    addIdentity(c, header, ch[i].path + ".header");
  }
  const rc = p.array("require_claims");
  for (let i = 0; i < rc.length; i++) {
    rc[i].unknownKeys(["claim", "equals", "contains"]);
    const claim = rc[i].string("claim");
    if (!isClaimPath(claim)) rc[i].fail("claim", quoteJsonString(claim) + " is not a claim path (names separated by dots)");
    const hasEq = rc[i].has("equals");
    if (hasEq == rc[i].has("contains")) {
      p.fail("require_claims[" + i.toString() + "]", "needs exactly one of equals, contains");
      continue;
    }
    out.claimRules.push(new ClaimRule(claim, hasEq ? ClaimTest.Equals : ClaimTest.Contains, rc[i].string(hasEq ? "equals" : "contains")));
  }
  out.scopes = p.stringArray("scopes", []);
  for (let i = 0; i < out.scopes.length; i++) {
    const s = out.scopes[i];
    if (s.length == 0 || s.includes(" ")) p.fail("scopes[" + i.toString() + "]", quoteJsonString(s) + " must be non-empty without spaces");
  }
  return out;
}

function isClaimPath(s: string): bool {
  if (s.length == 0 || s.length > 200) return false;
  return !s.startsWith(".") && !s.endsWith(".") && !s.includes("..");
}

const REQUIREMENT_KEYS: string[] = ["provider", "any", "all", "api_key", "basic", "none"];

function readRequirement(parent: ConfigReader, key: string, c: Config, depth: i32): Requirement {
  const out = new Requirement();
  const before = parent.allErrors.length;
  const r = parent.object(key, true);
  if (parent.allErrors.length > before) return out;
  r.unknownKeys(REQUIREMENT_KEYS);
  let chosen = "";
  let count = 0;
  for (let i = 0; i < REQUIREMENT_KEYS.length; i++) {
    if (r.has(REQUIREMENT_KEYS[i])) {
      chosen = REQUIREMENT_KEYS[i];
      count++;
    }
  }
  if (count != 1) {
    parent.fail(key, "needs exactly one of " + REQUIREMENT_KEYS.join(", "));
    return out;
  }
  if (depth > 4) {
    r.fail(chosen, "requirements nest at most 5 deep");
    return out;
  }
  if (chosen == "provider") {
    out.kind = RequirementKind.Provider;
    const name = r.string("provider");
    out.provider = c.providerNames.indexOf(name);
    if (out.provider < 0 && r.ok) r.fail("provider", quoteJsonString(name) + " is not a configured provider");
  } else if (chosen == "any" || chosen == "all") {
    out.kind = chosen == "any" ? RequirementKind.Any : RequirementKind.All;
    const items = r.array(chosen, true);
    if (items.length == 0 && r.ok) r.fail(chosen, "must list at least one requirement");
    for (let i = 0; i < items.length; i++) out.children.push(readRequirement(r, chosen + "[" + i.toString() + "]", c, depth + 1));
  } else {
    const on = r.requiredBool(chosen);
    if (!on && r.ok) r.fail(chosen, "must be true (leave the requirement out instead)");
    if (chosen == "api_key") {
      out.kind = RequirementKind.ApiKey;
      if (c.apiKeys === null && r.ok) r.fail("api_key", "needs api_keys to be configured");
    } else if (chosen == "basic") {
      out.kind = RequirementKind.Basic;
      if (c.basic === null && r.ok) r.fail("basic", "needs basic to be configured");
    } else out.kind = RequirementKind.None;
  }
  return out;
}

function readRule(r: ConfigReader, c: Config): Rule {
  const out = new Rule();
  r.unknownKeys(["match", "requires", "allow"]);
  const m = r.object("match", true);
  m.unknownKeys(["path", "methods", "host"]);
  if (m.has("path")) {
    const p = m.object("path");
    p.unknownKeys(["exact", "prefix"]);
    if (p.has("exact") == p.has("prefix")) m.fail("path", "needs exactly one of exact, prefix");
    else if (p.has("exact")) out.pathExact = p.string("exact");
    else out.pathPrefix = p.string("prefix");
    const v = out.pathExact !== null ? out.pathExact! : out.pathPrefix !== null ? out.pathPrefix! : "/";
    if (!v.startsWith("/")) p.fail(out.pathExact !== null ? "exact" : "prefix", quoteJsonString(v) + " must start with /");
  }
  const methods = m.stringArray("methods", []);
  for (let i = 0; i < methods.length; i++) {
    if (!isToken(methods[i])) m.fail("methods[" + i.toString() + "]", quoteJsonString(methods[i]) + " is not a method name");
    out.methods.push(methods[i].toUpperCase());
  }
  if (m.has("host")) {
    const h = m.string("host");
    if (h.length == 0 || h.includes(" ") || h.includes("/")) m.fail("host", quoteJsonString(h) + " is not a host name");
    out.host = h.toLowerCase();
  }
  out.requires = readRequirement(r, "requires", c, 0);
  out.allow = r.stringArray("allow", []);
  return out;
}

/** A credential header may not double as an identity header (the filter would strip what it
 *  reads, or forward what a client forged). */
function checkHeaderClashes(cfg: ConfigReader, c: Config): void {
  const seen: string[] = [];
  for (let i = 0; i < c.identityHeaders.length; i++) {
    const h = c.identityHeaders[i];
    const field = c.identityFields[i];
    if (seen.includes(h)) {
      cfg.fail(field, quoteJsonString(h) + " is already an identity header (" + c.identityFields[seen.indexOf(h)] + ")");
      return;
    }
    seen.push(h);
    if (h == "authorization" || h == "cookie") cfg.fail(field, "identity header " + quoteJsonString(h) + " would hold credentials");
  }
  for (let p = 0; p < c.providers.length; p++) {
    headerClashes(cfg, seen, c.providers[p].from, "providers." + c.providerNames[p] + ".from");
  }
  if (c.apiKeys !== null) headerClashes(cfg, seen, c.apiKeys!.from, "api_keys.from");
}

function headerClashes(cfg: ConfigReader, identity: string[], from: Location[], field: string): void {
  for (let i = 0; i < from.length; i++) {
    if (from[i].kind == LocationKind.Header && identity.includes(from[i].name)) {
      cfg.fail(field + "[" + i.toString() + "].header", quoteJsonString(from[i].name) + " is also an identity header");
    }
  }
}

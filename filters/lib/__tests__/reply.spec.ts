// Standard replies and DER encodings: structure that needs no reference values. That the DER
// keys and signatures are what verifiers accept is checked against node:crypto and real Envoy
// by the auth filter's tests (filters/auth/test).
import {
  basicChallenge,
  bearerChallenge,
  EcCurve,
  ecSpkiDer,
  ecdsaSignatureDer,
  jsonErrorBody,
  keyChallenge,
  quotedParam,
  reasonPhrase,
  rsaSpkiDer,
} from "../index";

function hex(buffer: ArrayBuffer): string {
  let out = "";
  const bytes = Uint8Array.wrap(buffer);
  for (let i = 0; i < bytes.length; i++) out += (<u32>bytes[i] + 0x100).toString(16).substring(1);
  return out;
}

function filled(n: i32, value: u8): ArrayBuffer {
  const out = new Uint8Array(n);
  out.fill(value);
  return out.buffer;
}

describe("challenges", () => {
  it("writes Bearer with and without an error", () => {
    expect(bearerChallenge("api")).toBe('Bearer realm="api"');
    expect(bearerChallenge("api", "invalid_token", "token expired")).toBe(
      'Bearer realm="api", error="invalid_token", error_description="token expired"',
    );
    expect(bearerChallenge("api", "insufficient_scope", "", "read")).toBe(
      'Bearer realm="api", error="insufficient_scope", scope="read"',
    );
  });

  it("writes one-character parameters, and a description only with an error", () => {
    expect(bearerChallenge("r", "e", "d", "s")).toBe('Bearer realm="r", error="e", error_description="d", scope="s"');
    expect(bearerChallenge("api", "", "no token was sent")).toBe('Bearer realm="api"');
  });

  it("writes Basic and Key", () => {
    expect(basicChallenge("r")).toBe('Basic realm="r", charset="UTF-8"');
    expect(keyChallenge("r")).toBe('Key realm="r"');
  });

  it("cannot be broken out of by quotes, backslashes or line breaks", () => {
    expect(quotedParam('a"b\\c\r\nd\u00e9')).toBe("a'b/c??d?");
    expect(bearerChallenge('x", error="none')).toBe("Bearer realm=\"x', error='none\"");
    expect(quotedParam("z".repeat(500)).length).toBe(200);
    expect(quotedParam(" ~\u007f\u001f")).toBe(" ~??");
  });
});

describe("reasonPhrase", () => {
  it("names the statuses these replies use, and calls the rest Error", () => {
    expect(reasonPhrase(400)).toBe("Bad Request");
    expect(reasonPhrase(401)).toBe("Unauthorized");
    expect(reasonPhrase(403)).toBe("Forbidden");
    expect(reasonPhrase(429)).toBe("Too Many Requests");
    expect(reasonPhrase(500)).toBe("Internal Server Error");
    expect(reasonPhrase(503)).toBe("Service Unavailable");
    expect(reasonPhrase(402)).toBe("Error");
    expect(reasonPhrase(404)).toBe("Error");
    expect(reasonPhrase(430)).toBe("Error");
    expect(reasonPhrase(501)).toBe("Error");
    expect(reasonPhrase(504)).toBe("Error");
  });
});

describe("jsonErrorBody", () => {
  it("escapes its strings", () => {
    expect(jsonErrorBody(401, "invalid_token", 'say "hi"\n')).toBe(
      '{"status":401,"error":"invalid_token","message":"say \\"hi\\"\\n"}\n',
    );
  });
});

describe("DER", () => {
  it("wraps an RSA key in SubjectPublicKeyInfo with positive INTEGERs", () => {
    // A 2048-bit modulus with the top bit set gets a leading zero: 257 bytes of INTEGER.
    const der = rsaSpkiDer(filled(256, 0xff), filled(3, 0x01));
    expect(der.byteLength).toBe(294);
    expect(hex(der).substring(0, 64)).toBe("30820122300d06092a864886f70d01010105000382010f003082010a02820101");
    expect(hex(der).substring(64, 68)).toBe("00ff");
    expect(hex(der).substring(hex(der).length - 10)).toBe("0203010101");
  });

  it("wraps a P-256 point and a P-384 point", () => {
    const p256 = ecSpkiDer(EcCurve.P256, filled(32, 1), filled(32, 2))!;
    expect(p256.byteLength).toBe(91);
    expect(hex(p256).substring(0, 54)).toBe("3059301306072a8648ce3d020106082a8648ce3d03010703420004");
    const p384 = ecSpkiDer(EcCurve.P384, filled(48, 1), filled(48, 2))!;
    expect(p384.byteLength).toBe(120);
    expect(hex(p384).substring(0, 48)).toBe("3076301006072a8648ce3d020106052b8104002203620004");
    expect(ecSpkiDer(EcCurve.P256, filled(31, 1), filled(32, 2))).toBeNull();
  });

  it("turns r || s into a DER SEQUENCE, minimal and positive", () => {
    const rs = new Uint8Array(64);
    rs[0] = 0; rs[1] = 0x7f; // r: leading zero dropped
    rs[32] = 0x80;           // s: top bit set, a zero added
    const der = hex(ecdsaSignatureDer(rs.buffer)!);
    expect(der.substring(0, 10)).toBe("304402" + "1f7f");
    expect(der.substring(70, 78)).toBe("02210080");
    expect(ecdsaSignatureDer(new ArrayBuffer(3))).toBeNull();
    expect(ecdsaSignatureDer(new ArrayBuffer(0))).toBeNull();
  });
});

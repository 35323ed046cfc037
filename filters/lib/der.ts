// DER encodings that hosts' signature verifiers expect: a SubjectPublicKeyInfo (RFC 5280) for
// an RSA key (RFC 8017 A.1.1) or an EC key on P-256/P-384 (RFC 5480), built from a JWK's
// decoded members, and an ECDSA signature as a DER SEQUENCE of two INTEGERs from JWS's
// fixed-width r || s. This is what Envoy's verify_signature foreign function takes.
//
// Pure module: no host imports; legal in any callback.
//
//   const der = rsaSpkiDer(nBytes, eBytes);                  // onConfigure, once per key
//   verifySignature("sha256", der, signature, signingInput); // per request
//   verifySignature("sha256", ecSpkiDer(EcCurve.P256, x, y)!, ecdsaSignatureDer(rs)!, input);

import { EcCurve } from "./ecdsa";

// Object identifiers, DER-encoded with their tag and length.
const RSA_ENCRYPTION: u8[] = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const EC_PUBLIC_KEY: u8[] = [0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const PRIME256V1: u8[] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const SECP384R1: u8[] = [0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];
const NULL: u8[] = [0x05, 0x00];

/** A growing DER writer: each constructed value is written after its content. */
class Der {
  bytes: u8[] = [];

  raw(b: u8[]): Der {
    for (let i = 0; i < b.length; i++) this.bytes.push(unchecked(b[i]));
    return this;
  }

  /** Tag, length and content. */
  tlv(tag: u8, content: u8[]): Der {
    this.bytes.push(tag);
    const n = content.length;
    if (n >= 0x10000) {
      this.bytes.push(0x83);
      this.bytes.push(<u8>(n >> 16));
      this.bytes.push(<u8>(n >> 8));
    } else if (n >= 0x100) {
      this.bytes.push(0x82);
      this.bytes.push(<u8>(n >> 8));
    } else if (n >= 0x80) {
      this.bytes.push(0x81);
    }
    this.bytes.push(<u8>n);
    return this.raw(content);
  }

  /** A non-negative INTEGER from big-endian bytes: leading zeros dropped, one 0x00 added
   *  when the top bit is set (so the value stays positive). */
  unsigned(ptr: usize, len: i32): Der {
    let start = 0;
    while (start < len - 1 && load<u8>(ptr + <usize>start) == 0) start++;
    const content: u8[] = [];
    if (len == 0 || load<u8>(ptr + <usize>start) >= 0x80) content.push(0);
    for (let i = start; i < len; i++) content.push(load<u8>(ptr + <usize>i));
    return this.tlv(0x02, content);
  }

  finish(): ArrayBuffer {
    const out = new ArrayBuffer(this.bytes.length);
    for (let i = 0; i < this.bytes.length; i++) store<u8>(changetype<usize>(out) + <usize>i, unchecked(this.bytes[i]));
    return out;
  }
}

/** SubjectPublicKeyInfo of the RSA key with big-endian modulus `n` and exponent `e`. */
export function rsaSpkiDer(n: ArrayBuffer, e: ArrayBuffer): ArrayBuffer {
  const key = new Der().unsigned(changetype<usize>(n), n.byteLength).unsigned(changetype<usize>(e), e.byteLength);
  const rsaKey = new Der().tlv(0x30, key.bytes);
  const bitString: u8[] = [0];
  for (let i = 0; i < rsaKey.bytes.length; i++) bitString.push(unchecked(rsaKey.bytes[i]));
  const algorithm = new Der().raw(RSA_ENCRYPTION).raw(NULL);
  const body = new Der().tlv(0x30, algorithm.bytes).tlv(0x03, bitString);
  return new Der().tlv(0x30, body.bytes).finish();
}

/** SubjectPublicKeyInfo of the uncompressed EC point (x, y) on `curve`, or null when a
 *  coordinate is not exactly the curve's size. */
export function ecSpkiDer(curve: EcCurve, x: ArrayBuffer, y: ArrayBuffer): ArrayBuffer | null {
  const size = curve == EcCurve.P256 ? 32 : 48;
  if (x.byteLength != size || y.byteLength != size) return null;
  const point: u8[] = [0, 0x04];
  for (let i = 0; i < size; i++) point.push(load<u8>(changetype<usize>(x) + <usize>i));
  for (let i = 0; i < size; i++) point.push(load<u8>(changetype<usize>(y) + <usize>i));
  const algorithm = new Der().raw(EC_PUBLIC_KEY).raw(curve == EcCurve.P256 ? PRIME256V1 : SECP384R1);
  const body = new Der().tlv(0x30, algorithm.bytes).tlv(0x03, point);
  return new Der().tlv(0x30, body.bytes).finish();
}

/** The DER form (SEQUENCE { r INTEGER, s INTEGER }) of a JWS ECDSA signature r || s, or null
 *  when its length is odd or zero. */
export function ecdsaSignatureDer(rs: ArrayBuffer): ArrayBuffer | null {
  const len = rs.byteLength;
  if (len == 0 || (len & 1) != 0) return null;
  const half = len >> 1;
  const ptr = changetype<usize>(rs);
  const ints = new Der().unsigned(ptr, half).unsigned(ptr + <usize>half, half);
  return new Der().tlv(0x30, ints.bytes).finish();
}

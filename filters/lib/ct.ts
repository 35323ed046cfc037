// Constant-time comparison: the time taken depends on the length of the first argument only,
// never on where the inputs differ, so comparing a secret (a MAC, an API key's hash) to what a
// client sent leaks nothing but that length.
//
// Pure module: no host imports; legal in any callback.

/**
 * Whether `aLen` bytes at `a` equal `bLen` bytes at `b`, in time that depends on `aLen` only.
 * Pass the client-supplied value as `a`. Example: `constantTimeEqualRaw(p, n, q, m)`.
 */
export function constantTimeEqualRaw(a: usize, aLen: i32, b: usize, bLen: i32): bool {
  let diff = <u32>(aLen ^ bLen);
  // On a length mismatch, still walk `a` (against itself) so the time is the same.
  const other = aLen == bLen ? b : a;
  for (let i = 0; i < aLen; i++) {
    diff |= <u32>(load<u8>(a + <usize>i) ^ load<u8>(other + <usize>i));
  }
  return diff == 0;
}

/** `constantTimeEqualRaw` over two buffers. Example: `constantTimeEqual(sent, expected)`. */
export function constantTimeEqual(a: ArrayBuffer, b: ArrayBuffer): bool {
  return constantTimeEqualRaw(changetype<usize>(a), a.byteLength, changetype<usize>(b), b.byteLength);
}

/** `constantTimeEqualRaw` over two strings (their UTF-16 code units). */
export function constantTimeEqualString(a: string, b: string): bool {
  return constantTimeEqualRaw(
    changetype<usize>(a),
    a.length << 1,
    changetype<usize>(b),
    b.length << 1,
  );
}

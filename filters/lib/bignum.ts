// Multi-precision arithmetic for the signature verifiers (rsa.ts, ecdsa.ts): numbers are
// little-endian arrays of 32-bit limbs at raw addresses, multiplied in the Montgomery domain
// (CIOS). Public-key work only: the verifiers handle no secrets, so variable time is fine.
//
// Pure module: no host imports; legal in any callback.

// Big-endian bytes to little-endian limbs (zero-extended).
export function bytesToLimbs(src: usize, len: i32, dst: usize, limbs: i32): void {
  memory.fill(dst, 0, <usize>limbs << 2);
  for (let i = 0; i < len; i++) {
    const byte = <u32>load<u8>(src + <usize>(len - 1 - i));
    const at = dst + (<usize>(i >> 2) << 2);
    store<u32>(at, load<u32>(at) | (byte << (<u32>(i & 3) << 3)));
  }
}

// Little-endian limbs to `len` big-endian bytes.
export function limbsToBytes(src: usize, limbs: i32, dst: usize, len: i32): void {
  for (let i = 0; i < len; i++) {
    const limb = i >> 2 < limbs ? load<u32>(src + (<usize>(i >> 2) << 2)) : 0;
    store<u8>(dst + <usize>(len - 1 - i), <u8>(limb >> (<u32>(i & 3) << 3)));
  }
}

// -1, 0, 1 as a <, =, > b.
export function compare(a: usize, b: usize, limbs: i32): i32 {
  for (let i = limbs - 1; i >= 0; i--) {
    const x = load<u32>(a + (<usize>i << 2));
    const y = load<u32>(b + (<usize>i << 2));
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

// -n0^-1 mod 2^32 by Newton's iteration (n0 odd).
export function negInverse(n0: u32): u32 {
  let x: u32 = 1;
  for (let i = 0; i < 5; i++) x = x * (2 - n0 * x);
  return 0 - x;
}

// out = a * b * R^-1 mod n (CIOS). `out` may alias `a` or `b`; `t` has limbs + 2 words.
export function montMul(out: usize, a: usize, b: usize, n: usize, n0inv: u32, limbs: i32, t: usize): void {
  memory.fill(t, 0, <usize>(limbs + 2) << 2);
  for (let i = 0; i < limbs; i++) {
    const ai = <u64>load<u32>(a + (<usize>i << 2));
    let carry: u64 = 0;
    for (let j = 0; j < limbs; j++) {
      const at = t + (<usize>j << 2);
      const sum = <u64>load<u32>(at) + ai * <u64>load<u32>(b + (<usize>j << 2)) + carry;
      store<u32>(at, <u32>sum);
      carry = sum >> 32;
    }
    let top = <u64>load<u32>(t + (<usize>limbs << 2)) + carry;
    store<u32>(t + (<usize>limbs << 2), <u32>top);
    store<u32>(t + (<usize>(limbs + 1) << 2), <u32>(top >> 32));
    // Separate u32 statement: inside a u64 cast the product would not wrap at 32 bits.
    const m32: u32 = load<u32>(t) * n0inv;
    const m = <u64>m32;
    let sum = <u64>load<u32>(t) + m * <u64>load<u32>(n);
    carry = sum >> 32;
    for (let j = 1; j < limbs; j++) {
      sum = <u64>load<u32>(t + (<usize>j << 2)) + m * <u64>load<u32>(n + (<usize>j << 2)) + carry;
      store<u32>(t + (<usize>(j - 1) << 2), <u32>sum);
      carry = sum >> 32;
    }
    top = <u64>load<u32>(t + (<usize>limbs << 2)) + carry;
    store<u32>(t + (<usize>(limbs - 1) << 2), <u32>top);
    store<u32>(t + (<usize>limbs << 2), load<u32>(t + (<usize>(limbs + 1) << 2)) + <u32>(top >> 32));
  }
  // t < 2n: subtract n once if t >= n.
  const high = load<u32>(t + (<usize>limbs << 2));
  if (high != 0 || compare(t, n, limbs) >= 0) {
    let borrow: i64 = 0;
    for (let j = 0; j < limbs; j++) {
      const d = <i64>load<u32>(t + (<usize>j << 2)) - <i64>load<u32>(n + (<usize>j << 2)) + borrow;
      store<u32>(out + (<usize>j << 2), <u32>d);
      borrow = d >> 32;
    }
  } else {
    memory.copy(out, t, <usize>limbs << 2);
  }
}

// R^2 mod n, R = 2^(32 * limbs): 1 doubled (mod n) 2 * 32 * limbs times. Configure time only.
export function rSquared(n: StaticArray<u32>, bits: i32): StaticArray<u32> {
  const limbs = n.length;
  const x = new StaticArray<u32>(limbs);
  const xp = changetype<usize>(x);
  const np = changetype<usize>(n);
  store<u32>(xp, 1);
  const doublings = 64 * limbs;
  for (let k = 0; k < doublings; k++) {
    // x = 2x; if x >= n (including a carry out), x -= n.
    let carry: u32 = 0;
    for (let j = 0; j < limbs; j++) {
      const at = xp + (<usize>j << 2);
      const v = load<u32>(at);
      store<u32>(at, (v << 1) | carry);
      carry = v >> 31;
    }
    if (carry != 0 || compare(xp, np, limbs) >= 0) {
      let borrow: i64 = 0;
      for (let j = 0; j < limbs; j++) {
        const at = xp + (<usize>j << 2);
        const d = <i64>load<u32>(at) - <i64>load<u32>(np + (<usize>j << 2)) + borrow;
        store<u32>(at, <u32>d);
        borrow = d >> 32;
      }
    }
  }
  return x;
}

/** out = a + b over `limbs` limbs; returns the carry out (0 or 1). `out` may alias. */
export function addLimbs(out: usize, a: usize, b: usize, limbs: i32): u32 {
  let carry: u64 = 0;
  for (let j = 0; j < limbs; j++) {
    const at = <usize>j << 2;
    const sum = <u64>load<u32>(a + at) + <u64>load<u32>(b + at) + carry;
    store<u32>(out + at, <u32>sum);
    carry = sum >> 32;
  }
  return <u32>carry;
}

/** out = a - b over `limbs` limbs; returns the borrow out (0 or 1). `out` may alias. */
export function subLimbs(out: usize, a: usize, b: usize, limbs: i32): u32 {
  let borrow: i64 = 0;
  for (let j = 0; j < limbs; j++) {
    const at = <usize>j << 2;
    const d = <i64>load<u32>(a + at) - <i64>load<u32>(b + at) + borrow;
    store<u32>(out + at, <u32>d);
    borrow = d >> 32;
  }
  return <u32>(borrow & 1);
}

/** out = (a + b) mod m, for a, b < m. */
export function modAdd(out: usize, a: usize, b: usize, m: usize, limbs: i32): void {
  const carry = addLimbs(out, a, b, limbs);
  if (carry != 0 || compare(out, m, limbs) >= 0) subLimbs(out, out, m, limbs);
}

/** out = (a - b) mod m, for a, b < m. */
export function modSub(out: usize, a: usize, b: usize, m: usize, limbs: i32): void {
  if (subLimbs(out, a, b, limbs) != 0) addLimbs(out, out, m, limbs);
}

/** Whether all `limbs` limbs at `a` are zero. */
export function isZero(a: usize, limbs: i32): bool {
  let bits: u32 = 0;
  for (let j = 0; j < limbs; j++) bits |= load<u32>(a + (<usize>j << 2));
  return bits == 0;
}

/**
 * out = base^exp in the Montgomery domain of m: `base` and the result in Montgomery form,
 * `exp` a plain number of `limbs` limbs; `one` is R mod m. `acc` and `t` are scratch
 * (limbs and limbs + 2 words); `out` must not alias `base`.
 */
export function montPow(
  out: usize,
  base: usize,
  exp: usize,
  m: usize,
  m0inv: u32,
  limbs: i32,
  one: usize,
  t: usize,
): void {
  memory.copy(out, one, <usize>limbs << 2);
  for (let i = limbs * 32 - 1; i >= 0; i--) {
    montMul(out, out, out, m, m0inv, limbs, t);
    const word = load<u32>(exp + (<usize>(i >> 5) << 2));
    if (((word >> <u32>(i & 31)) & 1) != 0) montMul(out, out, base, m, m0inv, limbs, t);
  }
}

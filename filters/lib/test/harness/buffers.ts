// The buffers every test driver shares: the test reserves room for an input (and a second
// input: a key, a salt, a signature), writes its bytes there, calls the driver, and reads the
// result back. A driver re-exports the four numeric exports and reads the buffers through the
// accessors (filters/lib/test/load-harness.ts is the TypeScript side).

let inputBytes = new ArrayBuffer(0);
let secondBytes = new ArrayBuffer(0);
let resultBytes = new ArrayBuffer(0);

/** Room for the next input; returns its address. */
export function reserve(size: i32): usize {
  inputBytes = new ArrayBuffer(size);
  return changetype<usize>(inputBytes);
}

/** Room for a second input (a key, a salt, a tag, the other side of a compare). */
export function reserveSecond(size: i32): usize {
  secondBytes = new ArrayBuffer(size);
  return changetype<usize>(secondBytes);
}

export function resultPtr(): usize {
  return changetype<usize>(resultBytes);
}

export function resultLength(): i32 {
  return resultBytes.byteLength;
}

/** The input the test wrote last. */
export function input(): ArrayBuffer {
  return inputBytes;
}

/** The second input the test wrote last. */
export function second(): ArrayBuffer {
  return secondBytes;
}

/** What the test reads next through resultPtr/resultLength. */
export function setResult(bytes: ArrayBuffer): void {
  resultBytes = bytes;
}

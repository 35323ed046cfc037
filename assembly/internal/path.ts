// The property-path wire format: every segment followed by a NUL byte, e.g.
// ["request", "path"] → "request\0path\0". Envoy splits on NUL, so a segment may itself
// contain dots ("wasm.my_state" under filter_state).

/** Serializes path segments to the NUL-separated form proxy_get_property expects. */
export function serializePath(segments: string[]): ArrayBuffer {
  const parts = new Array<ArrayBuffer>(segments.length);
  let size = 0;
  for (let i = 0; i < segments.length; i++) {
    const part = String.UTF8.encode(unchecked(segments[i]));
    unchecked((parts[i] = part));
    size += part.byteLength + 1;
  }
  const out = new ArrayBuffer(size);
  let p = changetype<usize>(out);
  for (let i = 0; i < parts.length; i++) {
    const part = unchecked(parts[i]);
    memory.copy(p, changetype<usize>(part), part.byteLength);
    p += part.byteLength;
    store<u8>(p++, 0);
  }
  return out;
}

/** Splits a dotted path ("request.path") into segments. Use the array form when a
 *  segment contains a dot. */
export function splitPath(dotted: string): string[] {
  return dotted.length == 0 ? new Array<string>(0) : dotted.split(".");
}

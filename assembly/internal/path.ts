// The property-path wire format: segments separated by NUL bytes, e.g.
// ["request", "path"] → "request\0path". Envoy splits on NUL, so a segment may itself
// contain dots ("wasm.my_state" under filter_state). No trailing NUL: proxy_set_property uses
// the raw bytes as the filter-state key, so a trailing NUL would make a value set under
// ["my_key"] unreadable as ["my_key"] (the Rust SDK drops it too).

/** Serializes path segments to the NUL-separated form proxy_get_property expects. */
export function serializePath(segments: string[]): ArrayBuffer {
  const parts = new Array<ArrayBuffer>(segments.length);
  let size = 0;
  for (let i = 0; i < segments.length; i++) {
    const part = String.UTF8.encode(unchecked(segments[i]));
    unchecked((parts[i] = part));
    size += part.byteLength + 1;
  }
  if (size > 0) size--;
  const out = new ArrayBuffer(size);
  let p = changetype<usize>(out);
  for (let i = 0; i < parts.length; i++) {
    const part = unchecked(parts[i]);
    memory.copy(p, changetype<usize>(part), part.byteLength);
    p += part.byteLength;
    if (i + 1 < parts.length) store<u8>(p++, 0);
  }
  return out;
}

/** Splits a dotted path ("request.path") into segments. Use the array form when a
 *  segment contains a dot. */
export function splitPath(dotted: string): string[] {
  return dotted.length == 0 ? new Array<string>(0) : dotted.split(".");
}

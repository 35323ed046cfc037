// Bench module "headers20-pairs": the headers20 work (read 20 request headers, add 20, remove
// the 20 read) in two host calls instead of 41: the whole map is read once as one block
// (HeaderMap.pairsBlock), a new block is written beside it on bytes (the pairs named
// x-bench-in-* left out, the 20 new pairs appended) and handed back with one
// proxy_set_header_map_pairs. It calls the ABI directly, past the SDK's write checks (it
// writes only the names and values below and the pairs it read): the hand-written lower bound
// of the SDK's batched edits, which headers20 uses (bench/README.md, "Header edits").

import { Action, CallbackNeeds, HttpContext, MapType, RootContext, registerRootContext, StreamCallbacks } from "../../../../assembly";
import { proxy_set_header_map_pairs } from "../../../../assembly/abi/imports";

export * from "../../../../assembly/exports";

const COUNT = 20;
const IN_PREFIX = String.UTF8.encode("x-bench-in-");
const outNames = new Array<ArrayBuffer>(COUNT);
const outValues = new Array<ArrayBuffer>(COUNT);
let outBytes = 0;
for (let i = 0; i < COUNT; i++) {
  outNames[i] = String.UTF8.encode("x-bench-out-" + i.toString());
  outValues[i] = String.UTF8.encode("value-" + i.toString());
  outBytes += outNames[i].byteLength + outValues[i].byteLength + 2;
}

function startsWithIn(p: usize, len: usize): bool {
  const n = <usize>IN_PREFIX.byteLength;
  return len >= n && memory.compare(p, changetype<usize>(IN_PREFIX), n) == 0;
}

class Headers20Block extends HttpContext {
  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    const block = this.request.headers.pairsBlock();
    const base = changetype<usize>(block);
    const n: usize = block.byteLength < 4 ? <usize>0 : <usize>load<u32>(base);
    const out = heap.alloc(<usize>block.byteLength + 4 + COUNT * 8 + <usize>outBytes);
    // First pass: count kept pairs.
    let kept: usize = 0;
    let sizes = base + 4;
    let data = base + 4 + n * 8;
    for (let i: usize = 0; i < n; i++) {
      const nl = <usize>load<u32>(sizes);
      const vl = <usize>load<u32>(sizes, 4);
      if (!startsWithIn(data, nl)) kept++;
      sizes += 8;
      data += nl + vl + 2;
    }
    const total = kept + COUNT;
    store<u32>(out, <u32>total);
    let os = out + 4;
    let od = out + 4 + total * 8;
    sizes = base + 4;
    data = base + 4 + n * 8;
    for (let i: usize = 0; i < n; i++) {
      const nl = <usize>load<u32>(sizes);
      const vl = <usize>load<u32>(sizes, 4);
      if (!startsWithIn(data, nl)) {
        store<u32>(os, <u32>nl);
        store<u32>(os, <u32>vl, 4);
        os += 8;
        memory.copy(od, data, nl + vl + 2);
        od += nl + vl + 2;
      }
      sizes += 8;
      data += nl + vl + 2;
    }
    for (let i = 0; i < COUNT; i++) {
      const nm = unchecked(outNames[i]);
      const v = unchecked(outValues[i]);
      store<u32>(os, <u32>nm.byteLength);
      store<u32>(os, <u32>v.byteLength, 4);
      os += 8;
      memory.copy(od, changetype<usize>(nm), nm.byteLength);
      od += nm.byteLength;
      store<u8>(od++, 0);
      memory.copy(od, changetype<usize>(v), v.byteLength);
      od += v.byteLength;
      store<u8>(od++, 0);
    }
    proxy_set_header_map_pairs(MapType.HttpRequestHeaders, out, od - out);
    heap.free(out);
    return Action.Continue;
  }
}

class Headers20BlockRoot extends RootContext {
  // Each request is done in its headers and nothing stays in its context: a build for the
  // configuration (`meshwasm build --for-config`) leaves out proxy_on_delete too.
  neededCallbacks(needs: CallbackNeeds): void {
    needs.noStreamState();
    needs.need(StreamCallbacks.RequestHeaders, "every request");
  }

  createHttpContext(contextId: u32): HttpContext | null {
    return new Headers20Block(contextId, this);
  }
}

registerRootContext((id: u32): RootContext => new Headers20BlockRoot(id), "headers20-pairs");

// The edit log that keeps a whole header-map copy true after the SDK's own writes: each edit
// as Envoy's header map applies it (remove drops every value, set is remove then one entry at
// the end, add of an absent name appends), byte for byte, and a give-up (0) wherever Envoy's
// result cannot be told from the copy. The conformance suite checks the same against Envoy.
import {
  EDIT_ADD,
  EDIT_REMOVE,
  EDIT_SET,
  EditLog,
  rebuiltCount,
  rebuiltSize,
  recordAfter,
  recordKind,
  recordName,
  recordNameLen,
  recordValue,
  recordValueLen,
} from "../internal/mapedits";
import { HeaderBytes, deserializeHeaderBytes, serializeHeaderBytes } from "../internal/pairs";

function b(s: string): ArrayBuffer {
  return String.UTF8.encode(s);
}

function bytesOf(values: u8[]): ArrayBuffer {
  const out = new ArrayBuffer(values.length);
  for (let i = 0; i < values.length; i++) store<u8>(changetype<usize>(out) + i, values[i]);
  return out;
}

function hexOf(buf: ArrayBuffer): string {
  let out = "";
  for (let i = 0; i < buf.byteLength; i++) {
    const v = load<u8>(changetype<usize>(buf) + i);
    out += (v < 16 ? "0" : "") + v.toString(16);
  }
  return out;
}

/** A map as "name=hex(value)" joined by ";" (values as hex so any byte shows). */
function show(block: usize, size: usize): string {
  const pairs = deserializeHeaderBytes(block, size);
  const out = new Array<string>(0);
  for (let i = 0; i < pairs.length; i++) {
    out.push(String.UTF8.decode(pairs[i].name) + "=" + hexOf(pairs[i].value));
  }
  return out.join(";");
}

function mapOf(pairs: string[]): ArrayBuffer {
  const list = new Array<HeaderBytes>(0);
  for (let i = 0; i < pairs.length; i += 2) list.push(new HeaderBytes(b(pairs[i]), b(pairs[i + 1])));
  return serializeHeaderBytes(list);
}

function push(log: EditLog, kind: u32, name: ArrayBuffer, value: ArrayBuffer): void {
  log.push(kind, changetype<usize>(name), name.byteLength, changetype<usize>(value), value.byteLength);
}

function pushQueued(log: EditLog, kind: u32, name: ArrayBuffer, value: ArrayBuffer): void {
  log.push(kind, changetype<usize>(name), name.byteLength, changetype<usize>(value), value.byteLength, true);
}

/** Applies `log` to `block`; the result shown, or "gave up". */
function applied(log: EditLog, block: ArrayBuffer): string {
  const base = changetype<usize>(block);
  const out = log.apply(base, block.byteLength < 4 ? 0 : <i32>load<u32>(base));
  if (out == 0) return "gave up";
  const shown = show(out, rebuiltSize);
  heap.free(out);
  return shown;
}

describe("header-map edit log", () => {
  it("removes every value of a name, matched after lower-casing the name", () => {
    const log = new EditLog();
    push(log, EDIT_REMOVE, b("X-M"), new ArrayBuffer(0));
    expect(applied(log, mapOf([":path", "/", "x-m", "1", "a", "2", "x-m", "3"]))).toBe(
      ":path=2f;a=32",
    );
    expect(log.count).toBe(0);
  });

  it("sets a name by removing every value and adding one at the end", () => {
    const log = new EditLog();
    push(log, EDIT_SET, b("x-m"), b("v"));
    expect(applied(log, mapOf(["x-m", "1", "a", "2", "x-m", "3"]))).toBe("a=32;x-m=76");
  });

  it("adds a name the map does not hold at the end, lower-cased, the value byte for byte", () => {
    const log = new EditLog();
    push(log, EDIT_ADD, b("X-New"), bytesOf([0xff, 0x00, 0x41]));
    push(log, EDIT_ADD, b("x-two"), b("2"));
    expect(applied(log, mapOf([":path", "/", "a", "1"]))).toBe(":path=2f;a=31;x-new=ff0041;x-two=32");
  });

  it("applies edits in order (an add after a remove of the same name appends)", () => {
    const log = new EditLog();
    push(log, EDIT_REMOVE, b("a"), new ArrayBuffer(0));
    push(log, EDIT_ADD, b("a"), b("x"));
    push(log, EDIT_SET, b("b"), b("y"));
    push(log, EDIT_REMOVE, b("absent"), new ArrayBuffer(0));
    expect(applied(log, mapOf(["a", "1", "b", "2", "c", "3"]))).toBe("c=33;a=78;b=79");
  });

  it("works on an empty map (no bytes, or a zero count)", () => {
    const log = new EditLog();
    push(log, EDIT_ADD, b("a"), b("1"));
    expect(applied(log, new ArrayBuffer(0))).toBe("a=31");
    push(log, EDIT_REMOVE, b("a"), new ArrayBuffer(0));
    expect(applied(log, mapOf([]))).toBe("");
  });

  it("gives up where Envoy's result depends on more than the copy shows", () => {
    const map = mapOf([":path", "/", "a", "1"]);
    const cases: string[][] = [
      ["add", "a", "2"], // a second value: joined into one entry for Envoy's inline headers
      ["add", ":method", "GET"], // pseudo-headers are kept apart at the front
      ["set", ":path", "/b"],
      ["set", "Host", "h"], // the authority is ":authority" in Envoy's map
      ["add", "x-empty", ""],
      ["set", "x-empty", ""],
    ];
    for (let i = 0; i < cases.length; i++) {
      const log = new EditLog();
      const c = cases[i];
      push(log, c[0] == "add" ? EDIT_ADD : EDIT_SET, b(c[1]), b(c[2]));
      expect(applied(log, map)).toBe("gave up");
      expect(log.count).toBe(1); // left as it was: the caller reads the map again
      expect(log.pending).toBe(true);
    }
  });

  it("gives up on an add after a set of the same name, not after a remove", () => {
    const log = new EditLog();
    push(log, EDIT_SET, b("x-s"), b("1"));
    push(log, EDIT_ADD, b("x-s"), b("2"));
    expect(applied(log, mapOf(["a", "1"]))).toBe("gave up");
    const again = new EditLog();
    push(again, EDIT_SET, b("x-s"), b("1"));
    push(again, EDIT_REMOVE, b("X-S"), new ArrayBuffer(0));
    push(again, EDIT_ADD, b("x-s"), b("2"));
    push(again, EDIT_ADD, b("x-t"), b("3"));
    push(again, EDIT_SET, b("x-t"), b("4"));
    expect(applied(again, mapOf(["x-s", "0", "a", "1"]))).toBe("a=31;x-s=32;x-t=34");
  });

  it("applies only what is new since the last apply; queued edits stay until sent", () => {
    const log = new EditLog();
    pushQueued(log, EDIT_ADD, b("x-a"), b("1"));
    pushQueued(log, EDIT_REMOVE, b("b"), new ArrayBuffer(0));
    const first = log.apply(changetype<usize>(mapOf(["b", "2", "c", "3"])), 2);
    expect(show(first, rebuiltSize)).toBe("c=33;x-a=31");
    expect(log.pending).toBe(false);
    expect(log.queuedCount).toBe(2);
    pushQueued(log, EDIT_SET, b("c"), b("4"));
    expect(log.bytes).toBeLessThan(log.end - log.start);
    const second = log.apply(first, rebuiltCount);
    expect(show(second, rebuiltSize)).toBe("x-a=31;c=34");
    heap.free(first);
    heap.free(second);
    // The three queued edits, in order, for the host.
    const seen = new Array<string>(0);
    for (let rec = log.queuedStart; rec < log.end; rec = recordAfter(rec)) {
      seen.push(String.UTF8.decodeUnsafe(recordName(rec), recordNameLen(rec)));
    }
    expect(seen.join(",")).toBe("x-a,b,c");
    log.sent();
    expect(log.count).toBe(0);
    expect(log.queuedCount).toBe(0);
  });

  it("keeps edits sent before the copy applied them, then forgets them once applied", () => {
    const log = new EditLog();
    pushQueued(log, EDIT_ADD, b("x-a"), b("1"));
    log.sent();
    expect(log.count).toBe(1);
    expect(log.queuedCount).toBe(0);
    expect(log.pending).toBe(true);
    const out = log.apply(changetype<usize>(mapOf(["a", "1"])), 1);
    expect(show(out, rebuiltSize)).toBe("a=31;x-a=31");
    heap.free(out);
    expect(log.count).toBe(0);
  });

  it("queues after the edits it does not queue, and starts afresh after clear", () => {
    const log = new EditLog();
    push(log, EDIT_SET, b("a"), b("1"));
    pushQueued(log, EDIT_ADD, b("x-q"), b("2"));
    expect(log.queuedCount).toBe(1);
    expect(log.queuedStart).toBeGreaterThan(log.start);
    expect(String.UTF8.decodeUnsafe(recordName(log.queuedStart), recordNameLen(log.queuedStart))).toBe("x-q");
    log.clear();
    expect(log.count).toBe(0);
    expect(log.queuedCount).toBe(0);
    expect(log.pending).toBe(false);
    expect(log.bytes).toBe(0);
    expect(log.end).toBe(log.start);
    pushQueued(log, EDIT_ADD, b("x-r"), b("3"));
    expect(log.queuedStart).toBe(log.start);
    expect(log.count).toBe(1);
    expect(applied(log, mapOf(["a", "1"]))).toBe("a=31;x-r=33");
  });

  it("sets and removes many names of a large map, each entry matched once", () => {
    const log = new EditLog();
    const pairs = new Array<string>(0);
    const expected = new Array<string>(0);
    for (let i = 0; i < 150; i++) {
      pairs.push("x-in-" + i.toString());
      pairs.push("v");
      if (i % 3 != 0) expected.push("x-in-" + i.toString() + "=76");
    }
    for (let i = 0; i < 150; i += 3) push(log, EDIT_REMOVE, b("x-in-" + i.toString()), new ArrayBuffer(0));
    for (let i = 0; i < 60; i++) {
      push(log, EDIT_SET, b("X-Out-" + i.toString()), b("o"));
      expected.push("x-out-" + i.toString() + "=6f");
    }
    expect(applied(log, mapOf(pairs))).toBe(expected.join(";"));
    // The same log object again, on a smaller map: its reused table starts empty.
    push(log, EDIT_ADD, b("x-in-1"), b("again"));
    expect(applied(log, mapOf(["a", "1"]))).toBe("a=31;x-in-1=616761696e");
  });

  it("removes pseudo-headers like any name", () => {
    const log = new EditLog();
    push(log, EDIT_REMOVE, b(":path"), new ArrayBuffer(0));
    expect(applied(log, mapOf([":path", "/", "a", "1"]))).toBe("a=31");
  });

  it("gives up on a removal of host (a request map's other name for :authority)", () => {
    const log = new EditLog();
    push(log, EDIT_REMOVE, b("Host"), new ArrayBuffer(0));
    expect(applied(log, mapOf([":authority", "h", "a", "1"]))).toBe("gave up");
  });

  it("hands each record back for a replay: kind, name lower-cased, value", () => {
    const log = new EditLog();
    push(log, EDIT_SET, b("X-A"), b("1"));
    push(log, EDIT_REMOVE, b("b"), new ArrayBuffer(0));
    push(log, EDIT_ADD, b("c"), b("three"));
    const seen = new Array<string>(0);
    let rec = log.start;
    while (rec < log.end) {
      seen.push(recordKind(rec).toString() + ":" + String.UTF8.decodeUnsafe(recordName(rec), recordNameLen(rec)) +
        "=" + String.UTF8.decodeUnsafe(recordValue(rec), recordValueLen(rec)));
      rec = recordAfter(rec);
    }
    expect(seen.join(",")).toBe("1:x-a=1,2:b=,0:c=three");
  });

  it("grows its log past its first block and keeps every edit", () => {
    const log = new EditLog();
    let expected = new Array<string>(0);
    for (let i = 0; i < 100; i++) {
      const name = "x-long-header-name-" + i.toString();
      push(log, EDIT_ADD, b(name), b("value-" + i.toString()));
      expected.push(name + "=" + hexOf(b("value-" + i.toString())));
    }
    expect(log.bytes).toBeGreaterThan(256);
    expect(applied(log, mapOf([]))).toBe(expected.join(";"));
  });
});

// The edit log that keeps a whole header-map copy true after the SDK's own writes: each edit
// as Envoy's header map applies it (remove drops every value, set is remove then one entry at
// the end, add of an absent name appends), byte for byte, and a give-up (0) wherever Envoy's
// result cannot be told from the copy. The conformance suite checks the same against Envoy.
import {
  EDIT_ADD,
  EDIT_REMOVE,
  EDIT_SET,
  EditLog,
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
      expect(log.count).toBe(0);
    }
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

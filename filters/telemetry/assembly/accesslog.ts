// The access-log line: one JSON object per request, written when the stream ends. Pure
// formatting (the values are gathered by the filter in onLog), so the as-pect tests and the
// test host see the same text. The line is built in one reused buffer (filters/lib/text.ts):
// one string per line, not one per member.

import { TextBuilder } from "../../lib/text";

/** What is masked in place of a redacted header's value. */
export const REDACTED = "[REDACTED]";

const STAMP = new TextBuilder(32);

/** Milliseconds since the epoch as RFC 3339 UTC with milliseconds: 2026-11-30T04:05:06.789Z. */
export function isoTimestamp(epochMs: i64): string {
  return writeIsoTimestamp(STAMP.reset(), epochMs).toString();
}

/** Appends `isoTimestamp(epochMs)` to `b`. */
export function writeIsoTimestamp(b: TextBuilder, epochMs: i64): TextBuilder {
  let days = epochMs / 86400000;
  let rem = epochMs % 86400000;
  if (rem < 0) {
    rem += 86400000;
    days -= 1;
  }
  // Civil date from days since 1970-01-01 (the proleptic Gregorian calendar, era arithmetic).
  const z = days + 719468;
  const era = (z >= 0 ? z : z - 146096) / 146097;
  const doe = z - era * 146097;
  const yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const mp = (5 * doy + 2) / 153;
  const day = doy - (153 * mp + 2) / 5 + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  b.padded(year, 4).char(0x2d).padded(month, 2).char(0x2d).padded(day, 2).char(0x54);
  b.padded(rem / 3600000, 2).char(0x3a).padded((rem / 60000) % 60, 2).char(0x3a);
  return b.padded((rem / 1000) % 60, 2).char(0x2e).padded(rem % 1000, 3).char(0x5a);
}

/** Builds one JSON object, member by member, in the order written. `reset` starts a new one
 *  in the same buffer (the filter keeps one line per VM). */
export class JsonLine {
  private readonly b: TextBuilder = new TextBuilder(512);
  private first: bool = true;

  constructor() {
    this.b.char(0x7b);
  }

  /** Starts a new, empty object. */
  reset(): JsonLine {
    this.b.reset().char(0x7b);
    this.first = true;
    return this;
  }

  private key(name: string): TextBuilder {
    const b = this.b;
    if (!this.first) b.char(0x2c);
    this.first = false;
    return b.quoted(name).char(0x3a);
  }

  /** A string member; null writes JSON null. */
  str(name: string, value: string | null): JsonLine {
    const b = this.key(name);
    if (value === null) b.str("null");
    else b.quoted(value);
    return this;
  }

  /** A string member holding an RFC 3339 timestamp (see isoTimestamp). */
  timestamp(name: string, epochMs: i64): JsonLine {
    writeIsoTimestamp(this.key(name).char(0x22), epochMs).char(0x22);
    return this;
  }

  /** An integer member; a negative value (absent) writes null. */
  int(name: string, value: i64): JsonLine {
    const b = this.key(name);
    if (value < 0) b.str("null");
    else b.int(value);
    return this;
  }

  /** A number member with up to three decimals (durations in ms). */
  millis(name: string, nanos: i64): JsonLine {
    const b = this.key(name);
    if (nanos < 0) {
      b.str("null");
    } else {
      const micros = nanos / 1000;
      b.int(micros / 1000);
      let frac = micros % 1000;
      if (frac != 0) {
        // Three digits with the trailing zeros trimmed: 500 → .5, 050 → .05.
        let digits = 3;
        while (frac % 10 == 0) {
          frac /= 10;
          digits--;
        }
        b.char(0x2e).padded(frac, digits);
      }
    }
    return this;
  }

  /** An object member of header values: names in order, `null` for absent ones. */
  headers(name: string, names: string[], values: Array<string | null>): JsonLine {
    const b = this.key(name).char(0x7b);
    for (let i = 0; i < names.length; i++) {
      if (i > 0) b.char(0x2c);
      b.quoted(names[i]).char(0x3a);
      const v = values[i];
      if (v === null) b.str("null");
      else b.quoted(v);
    }
    b.char(0x7d);
    return this;
  }

  /** The object's text. */
  close(): string {
    const b = this.b;
    b.char(0x7d);
    const text = b.toString();
    b.truncate(b.length - 1);
    return text;
  }

  /** The object's text as UTF-8 (`String.UTF8.encode(close())` without the string). */
  closeUtf8(): ArrayBuffer {
    const b = this.b;
    b.char(0x7d);
    const bytes = b.utf8();
    b.truncate(b.length - 1);
    return bytes;
  }
}

// The access-log line: one JSON object per request, written when the stream ends. Pure
// formatting (the values are gathered by the filter in onLog), so the as-pect tests and the
// test host see the same text.

import { quoteJsonString } from "../../../assembly";

/** What is masked in place of a redacted header's value. */
export const REDACTED = "[REDACTED]";

/** Milliseconds since the epoch as RFC 3339 UTC with milliseconds: 2026-11-30T04:05:06.789Z. */
export function isoTimestamp(epochMs: i64): string {
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
  return (
    pad(year, 4) +
    "-" +
    pad(month, 2) +
    "-" +
    pad(day, 2) +
    "T" +
    pad(rem / 3600000, 2) +
    ":" +
    pad((rem / 60000) % 60, 2) +
    ":" +
    pad((rem / 1000) % 60, 2) +
    "." +
    pad(rem % 1000, 3) +
    "Z"
  );
}

function pad(n: i64, width: i32): string {
  return n.toString().padStart(width, "0");
}

/** Builds one JSON object, member by member, in the order written. */
export class JsonLine {
  private text: string = "{";
  private first: bool = true;

  private key(name: string): void {
    this.text += (this.first ? "" : ",") + quoteJsonString(name) + ":";
    this.first = false;
  }

  /** A string member; null writes JSON null. */
  str(name: string, value: string | null): JsonLine {
    this.key(name);
    this.text += value === null ? "null" : quoteJsonString(value);
    return this;
  }

  /** An integer member; a negative value (absent) writes null. */
  int(name: string, value: i64): JsonLine {
    this.key(name);
    this.text += value < 0 ? "null" : value.toString();
    return this;
  }

  /** A number member with up to three decimals (durations in ms). */
  millis(name: string, nanos: i64): JsonLine {
    this.key(name);
    if (nanos < 0) {
      this.text += "null";
    } else {
      const micros = nanos / 1000;
      const whole = micros / 1000;
      const frac = micros % 1000;
      this.text += whole.toString() + (frac == 0 ? "" : "." + trimZeros(pad(frac, 3)));
    }
    return this;
  }

  /** An object member of header values: names in order, `null` for absent ones. */
  headers(name: string, names: string[], values: Array<string | null>): JsonLine {
    this.key(name);
    let out = "{";
    for (let i = 0; i < names.length; i++) {
      const v = values[i];
      out += (i == 0 ? "" : ",") + quoteJsonString(names[i]) + ":" + (v === null ? "null" : quoteJsonString(v));
    }
    this.text += out + "}";
    return this;
  }

  /** The object's text. */
  close(): string {
    return this.text + "}";
  }
}

function trimZeros(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) == 0x30) end--;
  return s.substring(0, end);
}

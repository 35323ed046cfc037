// A header batch written one edit at a time (host/headers.ts): where the copy cannot tell what
// Envoy's map becomes, or the batch is too small to be worth a whole-map write, each queued
// edit goes to the host as the unbatched call would have, in order.

import {
  proxy_add_header_map_value,
  proxy_remove_header_map_value,
  proxy_replace_header_map_value,
} from "../abi/imports";
import { LogLevel, MapType, Status } from "../abi/types";
import { headersWritten } from "../internal/current";
import { escapeForLog } from "../internal/headercheck";
import {
  EDIT_REMOVE,
  EDIT_SET,
  recordAfter,
  recordKind,
  recordName,
  recordNameLen,
  recordValue,
  recordValueLen,
} from "../internal/mapedits";
import { logAt } from "./log";

/** Sends each edit logged from `rec` up to `end` (an EditLog's records) to map `mapType`;
 *  the first status not Ok (each such edit is logged naming the header). */
export function replayEdits(mapType: MapType, rec: usize, end: usize): Status {
  let first = Status.Ok;
  while (rec < end) {
    const kind = recordKind(rec);
    const name = recordName(rec);
    const nameLen = recordNameLen(rec);
    let status: Status;
    if (kind == EDIT_REMOVE) {
      status = <Status>proxy_remove_header_map_value(mapType, name, nameLen);
    } else if (kind == EDIT_SET) {
      status = <Status>proxy_replace_header_map_value(mapType, name, nameLen, recordValue(rec), recordValueLen(rec));
    } else {
      status = <Status>proxy_add_header_map_value(mapType, name, nameLen, recordValue(rec), recordValueLen(rec));
    }
    headersWritten(mapType, status);
    if (status != Status.Ok) {
      if (first == Status.Ok) first = status;
      logAt(
        LogLevel.Warn,
        "meshwasm: batched header edit of \"" + escapeForLog(String.UTF8.decodeUnsafe(name, nameLen)) +
          "\" was not written: status " + (<i32>status).toString(),
      );
    }
    rec = recordAfter(rec);
  }
  return first;
}

// Standard local replies for authentication and authorization: the WWW-Authenticate
// challenges of RFC 9110 11.6.1 (Bearer as RFC 6750 3, Basic as RFC 7617 2, and an API key
// scheme) and a small JSON error body. Every value placed in a quoted parameter is cleaned
// first (quotes, backslashes and control characters replaced), so a configured realm or an
// error description can never break the header or inject another one.
//
// Pure module: no host imports; legal in any callback. Send the reply with the context's
// `sendLocalResponse(status, body, headers)`.
//
//   const challenge = bearerChallenge("api", "invalid_token", "token expired");
//   // Bearer realm="api", error="invalid_token", error_description="token expired"
//   this.sendLocalResponse(401, jsonErrorBody(401, "invalid_token", "token expired"),
//     [new Header("www-authenticate", challenge), new Header("content-type", "application/json")]);

import { quoteJsonString } from "../../assembly/json";

/** `text` made safe inside a quoted-string: `"` and `\` become `'` and `/`, control
 *  characters and anything outside printable ASCII become `?`; cut at 200 characters. */
export function quotedParam(text: string): string {
  const n = min(text.length, 200);
  let out = "";
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c == 0x22) out += "'";
    else if (c == 0x5c) out += "/";
    else if (c < 0x20 || c > 0x7e) out += "?";
    else out += String.fromCharCode(c);
  }
  return out;
}

/** A Bearer challenge (RFC 6750 3): `Bearer realm="r"`, with `error` and `error_description`
 *  when `error` is not empty (a request that carried no token gets none, as 3.1 asks). */
export function bearerChallenge(realm: string, error: string = "", description: string = "", scope: string = ""): string {
  let out = "Bearer realm=\"" + quotedParam(realm) + "\"";
  if (error.length > 0) out += ", error=\"" + quotedParam(error) + "\"";
  if (error.length > 0 && description.length > 0) out += ", error_description=\"" + quotedParam(description) + "\"";
  if (scope.length > 0) out += ", scope=\"" + quotedParam(scope) + "\"";
  return out;
}

/** A Basic challenge (RFC 7617 2): `Basic realm="r", charset="UTF-8"`. */
export function basicChallenge(realm: string): string {
  return "Basic realm=\"" + quotedParam(realm) + "\", charset=\"UTF-8\"";
}

/** An API key challenge, in the style of Kong's key-auth: `Key realm="r"`. */
export function keyChallenge(realm: string): string {
  return "Key realm=\"" + quotedParam(realm) + "\"";
}

/** The standard JSON error body: `{"status":401,"error":"invalid_token","message":"..."}`
 *  followed by a newline. Strings are JSON-escaped. */
export function jsonErrorBody(status: u32, error: string, message: string): string {
  return "{\"status\":" + status.toString() + ",\"error\":" + quoteJsonString(error) + ",\"message\":" +
    quoteJsonString(message) + "}\n";
}

/** The reason phrase of the statuses these replies use. */
export function reasonPhrase(status: u32): string {
  if (status == 400) return "Bad Request";
  if (status == 401) return "Unauthorized";
  if (status == 403) return "Forbidden";
  if (status == 429) return "Too Many Requests";
  if (status == 500) return "Internal Server Error";
  if (status == 503) return "Service Unavailable";
  return "Error";
}

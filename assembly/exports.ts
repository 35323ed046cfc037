// The dispatcher: every guest export of proxy-wasm ABI 0.2.1.
//
// A filter's entry file re-exports this module (`export * from "meshwasm/assembly/exports"`)
// and nothing else reaches the host's callbacks. Each export finds its context, switches
// state if needed and forwards to the user's method.
//
// Contexts are made where the host first names them. A module built by `meshwasm build`
// does not export proxy_on_context_create (transform/exports.mjs): Envoy then skips that VM
// entry for every stream and root, and leaves the in-VM state to the module. A root context
// is made at its proxy_on_vm_start or proxy_on_configure; a stream's (HTTP or TCP) at the
// first callback that names its id, whichever that is (request headers, a new connection, or
// proxy_on_log for a request Envoy answered before the filter ran). With one root in the VM
// the stream belongs to it at no cost; with several (plugins sharing one VM) the stream's
// `plugin_root_id` property says which (one host call per stream). A module that keeps the
// export (`--export-all`, or a plain asc build) gets every context announced, and then an
// id the host never announced is a broken contract, as is, in either mode, a root callback
// for an id that is no root: both abort with a message naming the callback. A module built
// for a configuration that keeps no stream state has no proxy_on_delete (Envoy skips that
// entry too): each stream's context is then forgotten when the callback that made it returns.
// Nor has one built for a configuration that needs proxy_on_log (and not proxy_on_done): each
// stream's context then lives until its log, which calls onDelete and forgets it
// (internal/needs.ts, withoutDeleteAtLog, says why that is the end of the stream in Envoy).

import { Action, GrpcStatus, PeerType } from "./abi/types";
import { downstreamData, upstreamData } from "./host/buffers";
import { refreshLogLevel } from "./host/log";
import { propertyStringAt, wirePath } from "./host/properties";
import { enteredContext, useContext } from "./internal/current";
import { hostAlloc } from "./internal/memory";
import { Broken, panic } from "./internal/panic";
import {
  Context,
  HttpContext,
  RootContext,
  StreamContext,
  pendingGrpcCalls,
  pendingHttpCalls,
  unaryGrpcTokens,
} from "./context";
import { findRootFactory, registeredRootIds } from "./registry";
import { endOfCallback, noteHostBytes } from "./collect";
import { onBody, onHeaders, onTrailers } from "./internal/http-dispatch";
import { PRUNED_CALLBACKS, checkNeededCallbacks, logEndsStreams } from "./internal/needs";
import { StreamCallbacks } from "./callbacks";

// Not a proxy-wasm callback: what a configuration needs, for `meshwasm build --for-config`.
export { meshwasm_needed_callbacks } from "./internal/needs";

const roots = new Map<u32, RootContext>();
const https = new Map<u32, HttpContext>();
const streams = new Map<u32, StreamContext>();
/** Children whose root makes neither HTTP nor stream contexts: every callback passes. */
const passthrough = new Map<u32, Context>();

/** The live roots in the order they were made, and each one's root_id (same index). */
const rootList = new Array<RootContext>(0);
const rootIdList = new Array<string>(0);

/** Built for a configuration that keeps no stream state (`meshwasm build --for-config` left
 *  proxy_on_delete out): a stream's context lives only while the callback that made it runs,
 *  and the SDK forgets it when that callback returns (see CallbackNeeds.noStreamState). */
const CONTEXT_PER_CALLBACK: bool = (PRUNED_CALLBACKS & StreamCallbacks.Delete) != 0;

// Without proxy_on_delete a stream's context lives only while its callback runs, so at most
// one is alive: it is kept here instead of in the maps above (no hashing, and none of the
// map's growth and rehashing, which allocate, per stream). Context ids are never 0.
// Not when the log ends each stream (logEndsStreams): streams then overlap, in the maps.
let callbackId: u32 = 0;
let callbackContext: Context | null = null;

/** What the slot's context is. */
enum SlotKind {
  None = 0,
  Http = 1,
  Stream = 2,
  /** A child whose root makes neither HTTP nor stream contexts. */
  Passthrough = 3,
}
let callbackKind: SlotKind = SlotKind.None;

/** Whether the running callback's context is in the slot above (built without
 *  proxy_on_delete, and no configured root needs the log). */
function inSlot(): bool {
  return CONTEXT_PER_CALLBACK && !logEndsStreams;
}

/** Whether the host announces contexts (the module exports proxy_on_context_create). */
let hostAnnounces = false;

// With the minimal runtime the GC runs only when asked; every export ends with no managed
// references on the stack, so that is where it may run (collect.ts says when). The
// incremental runtime collects by itself.

function unknownContext(id: u32, callback: string): void {
  panic(Broken.UNKNOWN_CONTEXT + callback + " (context " + id.toString() + ")");
}

function rootOf(id: u32, callback: string): RootContext {
  if (!roots.has(id)) unknownContext(id, callback);
  return roots.get(id);
}

/** The root `id` of proxy_on_vm_start / proxy_on_configure, made here if the host did not
 *  announce it. */
function startingRoot(id: u32, callback: string): RootContext {
  if (roots.has(id)) return roots.get(id);
  if (hostAnnounces || isKnown(id)) unknownContext(id, callback);
  createRoot(id);
  return roots.get(id);
}

function isKnown(id: u32): bool {
  return (callbackKind != SlotKind.None && callbackId == id) || https.has(id) || streams.has(id) || roots.has(id) || passthrough.has(id);
}

const PLUGIN_ROOT_ID = wirePath("plugin_root_id");

/** This context's plugin_root_id ("" when the host has none). */
function pluginRootId(): string {
  const value = propertyStringAt(PLUGIN_ROOT_ID);
  return value === null ? "" : value;
}

function createRoot(contextId: u32): void {
  refreshLogLevel();
  const rootId = pluginRootId();
  const factory = findRootFactory(rootId);
  if (factory === null) {
    panic(Broken.UNKNOWN_ROOT + "\"" + rootId + "\"; registered: " + registeredRootIds());
    return;
  }
  const root = factory(contextId);
  // Envoy announces a root again when a plugin with the same key starts again: the new object
  // replaces the old one.
  if (roots.has(contextId)) forgetRoot(contextId);
  if (CONTEXT_PER_CALLBACK) retireRoots(rootId);
  roots.set(contextId, root);
  rootList.push(root);
  rootIdList.push(rootId);
}

/**
 * Without proxy_on_delete the host never says that a root is gone, and a plugin whose
 * configuration is updated gets a new root (a new id) with the same root_id: each older root
 * with that root_id is retired here, so its state (caches, key sets) is not kept for ever.
 * New streams already go to the newest root of a root_id; the host may still call the old
 * one's root callbacks (a tick, a callout's answer) until it drops it, so its id keeps a bare
 * RootContext that does nothing. Several live plugins with one root_id in one VM need the
 * announcing build (`--export-all`) anyway.
 */
function retireRoots(rootId: string): void {
  for (let i = rootList.length - 1; i >= 0; i--) {
    if (unchecked(rootIdList[i]) != rootId) continue;
    const old = unchecked(rootList[i]);
    old.alive = false;
    roots.set(old.contextId, new RootContext(old.contextId));
    rootList.splice(i, 1);
    rootIdList.splice(i, 1);
  }
}

/** Makes the context of child `contextId` under `root`: HTTP, stream, or a passthrough. */
function createChild(contextId: u32, root: RootContext): void {
  refreshLogLevel();
  const http = root.createHttpContext(contextId);
  if (http !== null) {
    if (inSlot()) holdForCallback(contextId, http, SlotKind.Http);
    else https.set(contextId, http);
    return;
  }
  const stream = root.createStreamContext(contextId);
  if (stream !== null) {
    if (inSlot()) holdForCallback(contextId, stream, SlotKind.Stream);
    else streams.set(contextId, stream);
  } else if (inSlot()) {
    holdForCallback(contextId, new Context(contextId), SlotKind.Passthrough);
  } else {
    passthrough.set(contextId, new Context(contextId));
  }
}

/** Built without proxy_on_delete: `ctx` is the context of the callback now running. */
function holdForCallback(contextId: u32, ctx: Context, kind: SlotKind): void {
  callbackId = contextId;
  callbackContext = ctx;
  callbackKind = kind;
}

/**
 * A stream the host did not announce: its first callback is `callback`. With one root it is
 * that root's; with several, the root whose root_id the stream's plugin_root_id names (the
 * newest such root when several plugins share a root_id: a configuration update's new root).
 */
function createStream(contextId: u32, callback: string): void {
  if (hostAnnounces || rootList.length == 0 || roots.has(contextId)) unknownContext(contextId, callback);
  let root = unchecked(rootList[0]);
  if (rootList.length > 1) {
    const rootId = pluginRootId();
    let found = -1;
    for (let i = rootIdList.length - 1; i >= 0; i--) {
      if (unchecked(rootIdList[i]) == rootId) {
        found = i;
        break;
      }
    }
    if (found < 0) {
      panic(Broken.UNKNOWN_ROOT + "\"" + rootId + "\" in " + callback + " (context " + contextId.toString() + ")");
    }
    root = unchecked(rootList[found]);
  }
  createChild(contextId, root);
}

function anyContext(id: u32, callback: string): Context {
  if (inSlot()) {
    if (callbackKind == SlotKind.None || callbackId != id) {
      if (roots.has(id)) return roots.get(id);
      createStream(id, callback);
    }
    return changetype<Context>(callbackContext);
  }
  if (https.has(id)) return https.get(id);
  if (streams.has(id)) return streams.get(id);
  if (roots.has(id)) return roots.get(id);
  if (!passthrough.has(id)) createStream(id, callback);
  return anyContextKnown(id);
}

function anyContextKnown(id: u32): Context {
  if (https.has(id)) return https.get(id);
  if (streams.has(id)) return streams.get(id);
  return passthrough.get(id);
}

/** The slot's context for stream `id`'s callback `callback` (made now when the slot holds
 *  no context of `id`): the context when it is of `kind`, null for a passthrough child; a root
 *  or a context of another kind aborts with `broken` naming the callback. */
function slotContext(id: u32, callback: string, kind: SlotKind, broken: string): Context | null {
  if (callbackKind == SlotKind.None || callbackId != id) {
    if (roots.has(id)) panic(broken + callback + " (context " + id.toString() + ")");
    createStream(id, callback);
  }
  if (callbackKind == kind) return callbackContext;
  if (callbackKind == SlotKind.Passthrough) return null;
  panic(broken + callback + " (context " + id.toString() + ")");
  return null;
}

/** The HTTP context `id`, or null for a passthrough child. */
function httpOf(id: u32, callback: string): HttpContext | null {
  if (inSlot()) return changetype<HttpContext | null>(slotContext(id, callback, SlotKind.Http, Broken.NOT_HTTP));
  if (https.has(id)) return https.get(id);
  if (passthrough.has(id)) return null;
  if (!streams.has(id) && !roots.has(id)) {
    createStream(id, callback);
    return httpOf(id, callback);
  }
  panic(Broken.NOT_HTTP + callback + " (context " + id.toString() + ")");
  return null;
}

function streamOf(id: u32, callback: string): StreamContext | null {
  if (inSlot()) return changetype<StreamContext | null>(slotContext(id, callback, SlotKind.Stream, Broken.NOT_STREAM));
  if (streams.has(id)) return streams.get(id);
  if (passthrough.has(id)) return null;
  if (!https.has(id) && !roots.has(id)) {
    createStream(id, callback);
    return streamOf(id, callback);
  }
  panic(Broken.NOT_STREAM + callback + " (context " + id.toString() + ")");
  return null;
}

/** The end of a per-stream callback of stream `id`: without proxy_on_delete, its context is
 *  forgotten here (nothing else would), unless its log will. */
function endOfStreamCallback(id: u32): void {
  if (inSlot()) forgetStream(id);
  endOfCallback();
}

function forgetStream(id: u32): void {
  if (inSlot()) {
    if (callbackKind != SlotKind.None && callbackId == id) {
      changetype<Context>(callbackContext).alive = false;
      callbackContext = null;
      callbackKind = SlotKind.None;
      callbackId = 0;
    }
    return;
  }
  if (https.has(id)) {
    https.get(id).alive = false;
    https.delete(id);
  } else if (streams.has(id)) {
    streams.get(id).alive = false;
    streams.delete(id);
  } else {
    passthrough.delete(id);
  }
}

/** A passthrough child's callback: nothing to do. */
function passOn(id: u32): Action {
  if (inSlot()) forgetStream(id);
  return Action.Continue;
}

// ---- memory and ABI marker ------------------------------------------------------------

/** The ABI version marker Envoy looks for. Never called. */
export function proxy_abi_version_0_2_1(): void {}

/** The host allocates the buffers it returns to us with this. */
export function proxy_on_memory_allocate(size: usize): usize {
  noteHostBytes(size);
  return hostAlloc(size);
}

/** Same as proxy_on_memory_allocate; Envoy looks for this name first. */
export function malloc(size: usize): usize {
  noteHostBytes(size);
  return hostAlloc(size);
}

// ---- lifecycle --------------------------------------------------------------------------

export function proxy_on_context_create(contextId: u32, parentId: u32): void {
  hostAnnounces = true;
  // Envoy creates a context with that context current, a stream's as well as a root's.
  enteredContext(contextId);
  if (parentId == 0) {
    createRoot(contextId);
  } else {
    createChild(contextId, rootOf(parentId, "proxy_on_context_create"));
  }
  endOfCallback();
}

export function proxy_on_vm_start(rootContextId: u32, vmConfigurationSize: u32): bool {
  enteredContext(rootContextId);
  const ok = startingRoot(rootContextId, "proxy_on_vm_start").onVmStart(vmConfigurationSize);
  endOfCallback();
  return ok;
}

export function proxy_on_configure(rootContextId: u32, configurationSize: u32): bool {
  enteredContext(rootContextId);
  const root = startingRoot(rootContextId, "proxy_on_configure");
  const ok = checkNeededCallbacks(root, root.onConfigure(configurationSize));
  endOfCallback();
  return ok;
}

export function proxy_on_tick(rootContextId: u32): void {
  enteredContext(rootContextId);
  const root = rootOf(rootContextId, "proxy_on_tick");
  root.runTimers();
  root.onTick();
  endOfCallback();
}

export function proxy_on_queue_ready(rootContextId: u32, queueId: u32): void {
  enteredContext(rootContextId);
  rootOf(rootContextId, "proxy_on_queue_ready").onQueueReady(queueId);
  endOfCallback();
}

export function proxy_on_foreign_function(rootContextId: u32, functionId: u32, argumentsSize: u32): void {
  enteredContext(rootContextId);
  rootOf(rootContextId, "proxy_on_foreign_function").onForeignFunction(functionId, argumentsSize);
  endOfCallback();
}

export function proxy_on_done(contextId: u32): bool {
  enteredContext(contextId);
  const done = anyContext(contextId, "proxy_on_done").onDone();
  if (inSlot() && !roots.has(contextId)) forgetStream(contextId);
  endOfCallback();
  return done;
}

export function proxy_on_log(contextId: u32): void {
  enteredContext(contextId);
  const ctx = anyContext(contextId, "proxy_on_log");
  ctx.onLog();
  if (CONTEXT_PER_CALLBACK && !roots.has(contextId)) {
    // The stream's last callback when its log ends it (no proxy_on_delete follows).
    if (logEndsStreams) ctx.onDelete();
    forgetStream(contextId);
  }
  endOfCallback();
}

function forgetRoot(contextId: u32): void {
  for (let i = 0; i < rootList.length; i++) {
    if (unchecked(rootList[i]).contextId == contextId) {
      rootList.splice(i, 1);
      rootIdList.splice(i, 1);
      return;
    }
  }
}

export function proxy_on_delete(contextId: u32): void {
  enteredContext(contextId);
  const ctx = anyContext(contextId, "proxy_on_delete");
  ctx.onDelete();
  ctx.alive = false;
  // An id lives in one map: stop at the one that held it (one lookup per stream, not four).
  if (inSlot() && callbackKind != SlotKind.None && callbackId == contextId) forgetStream(contextId);
  else if (!https.delete(contextId) && !streams.delete(contextId)) {
    if (roots.delete(contextId)) forgetRoot(contextId);
    else passthrough.delete(contextId);
  }
  endOfCallback();
}

// ---- HTTP ----------------------------------------------------------------------------------

export function proxy_on_request_headers(contextId: u32, numHeaders: u32, endOfStream: bool): Action {
  enteredContext(contextId);
  const ctx = httpOf(contextId, "proxy_on_request_headers");
  if (ctx === null) return passOn(contextId);
  const action = onHeaders(ctx, true, numHeaders, endOfStream);
  endOfStreamCallback(contextId);
  return action;
}

export function proxy_on_request_body(contextId: u32, bodySize: u32, endOfStream: bool): Action {
  enteredContext(contextId);
  const ctx = httpOf(contextId, "proxy_on_request_body");
  if (ctx === null) return passOn(contextId);
  const action = onBody(ctx, true, bodySize, endOfStream);
  endOfStreamCallback(contextId);
  return action;
}

export function proxy_on_request_trailers(contextId: u32, numTrailers: u32): Action {
  enteredContext(contextId);
  const ctx = httpOf(contextId, "proxy_on_request_trailers");
  if (ctx === null) return passOn(contextId);
  const action = onTrailers(ctx, true, numTrailers);
  endOfStreamCallback(contextId);
  return action;
}

export function proxy_on_response_headers(contextId: u32, numHeaders: u32, endOfStream: bool): Action {
  enteredContext(contextId);
  const ctx = httpOf(contextId, "proxy_on_response_headers");
  if (ctx === null) return passOn(contextId);
  ctx.responseStarted = true;
  const action = onHeaders(ctx, false, numHeaders, endOfStream);
  endOfStreamCallback(contextId);
  return action;
}

export function proxy_on_response_body(contextId: u32, bodySize: u32, endOfStream: bool): Action {
  enteredContext(contextId);
  const ctx = httpOf(contextId, "proxy_on_response_body");
  if (ctx === null) return passOn(contextId);
  ctx.responseStarted = true;
  const action = onBody(ctx, false, bodySize, endOfStream);
  endOfStreamCallback(contextId);
  return action;
}

export function proxy_on_response_trailers(contextId: u32, numTrailers: u32): Action {
  enteredContext(contextId);
  const ctx = httpOf(contextId, "proxy_on_response_trailers");
  if (ctx === null) return passOn(contextId);
  ctx.responseStarted = true;
  const action = onTrailers(ctx, false, numTrailers);
  endOfStreamCallback(contextId);
  return action;
}

// ---- TCP -------------------------------------------------------------------------------------

export function proxy_on_new_connection(contextId: u32): Action {
  enteredContext(contextId);
  const ctx = streamOf(contextId, "proxy_on_new_connection");
  const action = ctx === null ? Action.Continue : ctx.onNewConnection();
  endOfStreamCallback(contextId);
  return action;
}

export function proxy_on_downstream_data(contextId: u32, dataSize: u32, endOfStream: bool): Action {
  enteredContext(contextId);
  const ctx = streamOf(contextId, "proxy_on_downstream_data");
  downstreamData.knownLength = <i32>dataSize;
  const action = ctx === null ? Action.Continue : ctx.onDownstreamData(dataSize, endOfStream);
  downstreamData.knownLength = -1;
  endOfStreamCallback(contextId);
  return action;
}

export function proxy_on_upstream_data(contextId: u32, dataSize: u32, endOfStream: bool): Action {
  enteredContext(contextId);
  const ctx = streamOf(contextId, "proxy_on_upstream_data");
  upstreamData.knownLength = <i32>dataSize;
  const action = ctx === null ? Action.Continue : ctx.onUpstreamData(dataSize, endOfStream);
  upstreamData.knownLength = -1;
  endOfStreamCallback(contextId);
  return action;
}

export function proxy_on_downstream_connection_close(contextId: u32, peerType: u32): void {
  enteredContext(contextId);
  const ctx = streamOf(contextId, "proxy_on_downstream_connection_close");
  if (ctx !== null) ctx.onDownstreamConnectionClose(<PeerType>peerType);
  endOfStreamCallback(contextId);
}

export function proxy_on_upstream_connection_close(contextId: u32, peerType: u32): void {
  enteredContext(contextId);
  const ctx = streamOf(contextId, "proxy_on_upstream_connection_close");
  if (ctx !== null) ctx.onUpstreamConnectionClose(<PeerType>peerType);
  endOfStreamCallback(contextId);
}

// ---- callouts ----------------------------------------------------------------------------------

/** Makes `origin` the host's effective context when it is not the root being called. */
function enter(rootContextId: u32, origin: Context): void {
  useContext(origin.contextId);
}

export function proxy_on_http_call_response(
  rootContextId: u32, token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32,
): void {
  enteredContext(rootContextId);
  let origin: Context = rootOf(rootContextId, "proxy_on_http_call_response");
  if (pendingHttpCalls.has(token)) {
    origin = pendingHttpCalls.get(token);
    pendingHttpCalls.delete(token);
  }
  if (origin.alive) {
    enter(rootContextId, origin);
    origin.onHttpCallResponse(token, numHeaders, bodySize, numTrailers);
  }
  endOfCallback();
}

function grpcOrigin(rootContextId: u32, token: u32, callback: string): Context {
  if (pendingGrpcCalls.has(token)) return pendingGrpcCalls.get(token);
  return rootOf(rootContextId, callback);
}

export function proxy_on_grpc_receive_initial_metadata(rootContextId: u32, token: u32, numElements: u32): void {
  enteredContext(rootContextId);
  const origin = grpcOrigin(rootContextId, token, "proxy_on_grpc_receive_initial_metadata");
  if (origin.alive) {
    enter(rootContextId, origin);
    origin.onGrpcReceiveInitialMetadata(token, numElements);
  }
  endOfCallback();
}

export function proxy_on_grpc_receive(rootContextId: u32, token: u32, messageSize: u32): void {
  enteredContext(rootContextId);
  const origin = grpcOrigin(rootContextId, token, "proxy_on_grpc_receive");
  // A unary call ends with its one message.
  if (unaryGrpcTokens.has(token)) {
    unaryGrpcTokens.delete(token);
    pendingGrpcCalls.delete(token);
  }
  if (origin.alive) {
    enter(rootContextId, origin);
    origin.onGrpcReceive(token, messageSize);
  }
  endOfCallback();
}

export function proxy_on_grpc_receive_trailing_metadata(rootContextId: u32, token: u32, numElements: u32): void {
  enteredContext(rootContextId);
  const origin = grpcOrigin(rootContextId, token, "proxy_on_grpc_receive_trailing_metadata");
  if (origin.alive) {
    enter(rootContextId, origin);
    origin.onGrpcReceiveTrailingMetadata(token, numElements);
  }
  endOfCallback();
}

export function proxy_on_grpc_close(rootContextId: u32, token: u32, statusCode: u32): void {
  enteredContext(rootContextId);
  const origin = grpcOrigin(rootContextId, token, "proxy_on_grpc_close");
  pendingGrpcCalls.delete(token);
  unaryGrpcTokens.delete(token);
  if (origin.alive) {
    enter(rootContextId, origin);
    origin.onGrpcClose(token, <GrpcStatus>statusCode);
  }
  endOfCallback();
}

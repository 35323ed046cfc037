// gRPC calls and streams through Envoy's async gRPC client.

import { expect } from "vitest";
import type { Scenario } from "../harness.ts";

export const grpcScenarios: Scenario[] = [
  {
    name: "a unary gRPC call delivers its response message",
    async run(t) {
      const res = await t.request("/grpc/unary");
      expect(res.headers["x-note-dispatch"]).toBe("0");
      expect(res.headers["x-note-grpc-message"]).toBe("pong:ping");
      expect(res.status).toBe(200);
    },
  },
  {
    name: "a failed unary gRPC call closes with its status",
    async run(t) {
      const res = await t.request("/grpc/unary-fail");
      expect(res.headers["x-note-grpc-close"]).toBe("7");
      expect(res.headers["x-note-grpc-message"]).toBeUndefined();
    },
  },
  {
    name: "a unary gRPC call that outlives its timeout closes as UNAVAILABLE with Envoy's timeout text",
    async run(t) {
      const res = await t.request("/grpc/unary-timeout");
      expect(res.headers["x-note-dispatch"]).toBe("0");
      expect(res.headers["x-note-grpc-message"]).toBeUndefined();
      expect(res.headers["x-note-grpc-close"]).toBe("14");
      expect(res.headers["x-note-grpc-close-status"]).toBe("14");
      expect(res.headers["x-note-grpc-close-message"]).toBe(
        "upstream request timeout{response_timeout}",
      );
    },
  },
  {
    name: "a unary gRPC call to a refused port closes as UNAVAILABLE with Envoy's text",
    async run(t) {
      const res = await t.request("/grpc/unary-refused");
      expect(res.headers["x-note-dispatch"]).toBe("0");
      expect(res.headers["x-note-grpc-message"]).toBeUndefined();
      expect(res.headers["x-note-grpc-close"]).toBe("14");
      expect(res.headers["x-note-grpc-close-status"]).toBe("14");
      expect(res.headers["x-note-grpc-close-message"]).toBe(
        "upstream connect error or disconnect/reset before headers. reset reason: remote connection failure{upstream_reset_before_response_started{remote_connection_failure|delayed_connect_error:_Connection_refused}}",
      );
    },
  },
  {
    name: "a gRPC call to an unknown cluster is ParseFailure",
    quirk:
      "Envoy first tries to parse the name as a GrpcService proto, and reports the unknown cluster as ParseFailure",
    async run(t) {
      const res = await t.request("/grpc/unknown-cluster");
      expect(res.headers["x-note-dispatch"]).toBe("4");
    },
  },
  {
    name: "a gRPC stream: metadata, an echoed message, half-close, OK",
    async run(t) {
      const res = await t.request("/grpc/stream");
      expect(res.headers["x-note-dispatch"]).toBe("0");
      expect(res.headers["x-note-send"]).toBe("0");
      expect(res.headers["x-note-send-on-call-token"]).toBe("2");
      expect(res.headers["x-note-initial-md"]).toBe("yes");
      expect(res.headers["x-note-grpc-message"]).toBe("echo:one");
      expect(res.headers["x-note-close"]).toBe("0");
      expect(res.headers["x-note-trailing-md"]).toBe("seen");
      expect(res.headers["x-note-grpc-close"]).toBe("0");
    },
  },
  {
    name: "cancelling a gRPC stream forgets it",
    async run(t) {
      const res = await t.request("/grpc/cancel");
      expect(res.headers["x-note-cancel"]).toBe("0");
      expect(res.headers["x-note-cancel-again"]).toBe("1");
      expect(res.headers["x-note-close-unknown"]).toBe("1");
    },
  },
  {
    // Envoy answers Ok and sends nothing: its stream is closed on our side.
    name: "a gRPC stream's send after its close is Ok and sends nothing",
    async run(t) {
      const res = await t.request("/grpc/send-after-close");
      expect(res.headers["x-note-send"]).toBe("0");
      expect(res.headers["x-note-close"]).toBe("0");
      expect(res.headers["x-note-send-after-close"]).toBe("0");
      expect(res.headers["x-note-grpc-message"]).toBe("echo:one");
      expect(res.headers["x-note-grpc-close"]).toBe("0");
    },
  },
];

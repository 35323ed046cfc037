// A real rate limit service for tests and the bench: Redis (Debian's redis-server) and
// envoyproxy/ratelimit's service_cmd, both installed or built by scripts/setup-ratelimit.sh
// (cached between runs), started here in a fresh temporary folder with a generated limits
// configuration. Nothing listens on a fixed port: Redis and the service's gRPC listener are
// Unix sockets in that folder, the service's HTTP and debug listeners take any free port on
// 127.0.0.1. stop() ends both processes (also when start-up fails half-way).

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect as http2Connect } from "node:http2";
import { connect as netConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeRequest, type ModelResponse, modelDecode, type SentRequest } from "./rls-wire.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export interface RateLimitBinaries {
  redis: string;
  service: string;
}

let binaries: Promise<RateLimitBinaries> | undefined;

/** Runs scripts/setup-ratelimit.sh once per process (minutes on a machine that never built the
 *  service; a second or two once cached). Fails loudly when it cannot install either. */
export function rateLimitBinaries(): Promise<RateLimitBinaries> {
  binaries ??= new Promise((resolve, reject) => {
    execFile(
      "bash",
      [join(ROOT, "scripts", "setup-ratelimit.sh")],
      { timeout: 45 * 60_000, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        const redis = /^redis-server=(.+)$/m.exec(stdout)?.[1];
        const service = /^ratelimit=(.+)$/m.exec(stdout)?.[1];
        if (error || !redis || !service) {
          reject(
            new Error(`scripts/setup-ratelimit.sh failed: ${error?.message ?? ""}\n${stderr}`),
          );
        } else {
          resolve({ redis, service });
        }
      },
    );
  });
  return binaries;
}

/** The descriptor every generated configuration carries, so start() can tell it is loaded. */
const PROBE = { key: "meshwasm_probe", value: "ready" };

export interface RateLimitService {
  /** The service's gRPC Unix socket (an Envoy cluster's `pipe` address). */
  readonly socket: string;
  readonly dir: string;
  /** Asks the service directly (gRPC over its socket). */
  ask(request: SentRequest): Promise<ModelResponse | null>;
  /** Stops the service only (Redis stays up): the outage of a running deployment. */
  stopService(): Promise<void>;
  /** Stops everything and removes the folder. */
  stop(): Promise<void>;
  /** What the service and Redis printed (for failure messages). */
  output(): string;
}

/** An Envoy cluster that reaches the service over its Unix socket with HTTP/2. */
export function serviceCluster(name: string, socket: string): Record<string, unknown> {
  return {
    name,
    type: "STATIC",
    connect_timeout: "1s",
    load_assignment: {
      cluster_name: name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { pipe: { path: socket } } } }] }],
    },
    typed_extension_protocol_options: {
      "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
        "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
        explicit_http_config: { http2_protocol_options: {} },
      },
    },
  };
}

function waitExit(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve();
    }, ms);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function until(what: string, ok: () => Promise<boolean>, ms: number, log: () => string) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await ok().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} did not come up in ${ms} ms:\n${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function redisPing(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = netConnect(socket);
    let got = "";
    c.on("data", (d) => {
      got += d.toString();
      if (got.includes("\r\n")) {
        c.destroy();
        resolve(got.startsWith("+PONG"));
      }
    });
    c.on("error", () => resolve(false));
    c.on("connect", () => c.write("PING\r\n"));
  });
}

/** One unary ShouldRateLimit over the service's Unix socket. */
export function askService(socket: string, request: SentRequest): Promise<ModelResponse | null> {
  return new Promise((resolve, reject) => {
    const session = http2Connect("http://localhost", {
      createConnection: () => netConnect(socket),
    });
    session.on("error", reject);
    const message = encodeRequest(request);
    const frame = Buffer.alloc(5 + message.length);
    frame.writeUInt32BE(message.length, 1);
    frame.set(message, 5);
    const stream = session.request({
      ":method": "POST",
      ":path": "/envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit",
      "content-type": "application/grpc",
      te: "trailers",
    });
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("error", (e) => {
      session.close();
      reject(e);
    });
    stream.on("end", () => {
      session.close();
      const body = Buffer.concat(chunks);
      resolve(body.length >= 5 ? modelDecode(body.subarray(5, 5 + body.readUInt32BE(1))) : null);
    });
    stream.end(frame);
  });
}

/** Starts Redis and the service with `limitsYaml` (envoyproxy/ratelimit's configuration; the
 *  probe descriptor is appended to its `descriptors`). */
export async function startRateLimitService(limitsYaml: string): Promise<RateLimitService> {
  const bins = await rateLimitBinaries();
  const dir = await mkdtemp(join(tmpdir(), "meshwasm-rls-"));
  const redisSocket = join(dir, "redis.sock");
  const socket = join(dir, "rls.sock");
  const configDir = join(dir, "runtime", "ratelimit", "config");
  await mkdir(configDir, { recursive: true });
  const probe = `  - key: ${PROBE.key}\n    rate_limit: { unit: hour, requests_per_unit: 1000000 }\n`;
  await writeFile(join(configDir, "limits.yaml"), `${limitsYaml.trimEnd()}\n${probe}`);
  let out = "";
  const keep = (prefix: string) => (d: Buffer) => {
    out = (out + d.toString().replace(/^/gm, prefix)).slice(-20_000);
  };
  const redis = spawn(
    bins.redis,
    [
      "--port",
      "0",
      "--unixsocket",
      redisSocket,
      "--unixsocketperm",
      "700",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  redis.stdout?.on("data", keep("redis: "));
  redis.stderr?.on("data", keep("redis: "));
  let service: ChildProcess | null = null;
  const stopService = async () => {
    if (!service) return;
    service.kill("SIGTERM");
    await waitExit(service, 5000);
  };
  const stop = async () => {
    await stopService();
    redis.kill("SIGTERM");
    await waitExit(redis, 5000);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await until(
      "redis-server",
      () => redisPing(redisSocket),
      20_000,
      () => out,
    );
    service = spawn(bins.service, [], {
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOST: "127.0.0.1",
        PORT: "0",
        DEBUG_HOST: "127.0.0.1",
        DEBUG_PORT: "0",
        GRPC_HOST: "127.0.0.1",
        GRPC_PORT: "0",
        GRPC_UDS: socket,
        REDIS_SOCKET_TYPE: "unix",
        REDIS_URL: redisSocket,
        RUNTIME_ROOT: join(dir, "runtime"),
        RUNTIME_SUBDIRECTORY: "ratelimit",
        RUNTIME_WATCH_ROOT: "false",
        USE_STATSD: "false",
        DISABLE_STATS: "true",
        LOG_LEVEL: "warn",
      },
    });
    service.stdout?.on("data", keep("ratelimit: "));
    service.stderr?.on("data", keep("ratelimit: "));
    const ready = async () => {
      if (!existsSync(socket)) return false;
      const answer = await askService(socket, {
        domain: domainOf(limitsYaml),
        descriptors: [{ entries: [PROBE], hits: 0 }],
        hitsAddend: 0,
      });
      return answer?.statuses[0]?.hasLimit === true;
    };
    await until("the rate limit service", ready, 30_000, () => out);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    socket,
    dir,
    ask: (request) => askService(socket, request),
    stopService,
    stop,
    output: () => out,
  };
}

function domainOf(yaml: string): string {
  const m = /^domain:\s*(\S+)/m.exec(yaml);
  if (!m) throw new Error("the limits configuration needs a top-level domain");
  return m[1] as string;
}

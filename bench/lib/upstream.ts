// The proxied floor's upstream: a small Node HTTP server in its own process, pinned with wrk
// (CPU 1) so that it never takes Envoy's core. It reads each request whole and answers 200
// "ok" on a kept-alive connection: the least an upstream can do, so the floor measures
// Envoy's proxying (an upstream connection, the router, the codec both ways), not the server.

import { type ChildProcess, spawn } from "node:child_process";

const SERVER = `
const http = require("node:http");
const server = http.createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "content-type": "text/plain", "content-length": "2" });
    res.end("ok");
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, "127.0.0.1", () => console.log("PORT " + server.address().port));
`;

export interface Upstream {
  port: number;
  stop(): Promise<void>;
}

/** Starts the upstream (on `cpu` when given); rejects when it does not listen within 10 s. */
export function startUpstream(cpu: number | undefined): Promise<Upstream> {
  const args = ["-e", SERVER];
  const child: ChildProcess =
    cpu === undefined
      ? spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] })
      : spawn("taskset", ["-c", String(cpu), process.execPath, ...args], {
          stdio: ["ignore", "pipe", "pipe"],
        });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`bench upstream did not start:\n${output}`));
    }, 10_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const m = /PORT (\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve({ port: Number(m[1]), stop });
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (c: Buffer) => {
      output += c.toString("utf8");
    });
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`bench upstream exited (${code}):\n${output}`));
    });
  });
}

/**
 * A throwaway OCI registry for tests: Debian's `docker-registry` (the CNCF distribution
 * registry) on 127.0.0.1, an ephemeral port, storage in its own temp dir.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface LocalRegistry {
  /** `127.0.0.1:<port>`, the host part of image references. */
  host: string;
  stop(): Promise<void>;
}

/** `htpasswd`: lines `user:<bcrypt hash>`; the registry then asks every client for a login. */
export async function startRegistry(options: { htpasswd?: string } = {}): Promise<LocalRegistry> {
  const dir = await mkdtemp(join(tmpdir(), "meshwasm-registry-"));
  const auth =
    options.htpasswd === undefined
      ? []
      : ["auth:", "  htpasswd:", "    realm: meshwasm-test", `    path: ${join(dir, "htpasswd")}`];
  const config = [
    "version: 0.1",
    "log:",
    "  level: info",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${join(dir, "data")}`,
    "http:",
    "  addr: 127.0.0.1:0",
    ...auth,
    "",
  ].join("\n");
  if (options.htpasswd !== undefined) await writeFile(join(dir, "htpasswd"), options.htpasswd);
  await writeFile(join(dir, "config.yml"), config);
  const child: ChildProcess = spawn("docker-registry", ["serve", join(dir, "config.yml")], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const host = await new Promise<string>((resolve, reject) => {
      let log = "";
      const timer = setTimeout(
        () => reject(new Error(`docker-registry did not start in 15 s:\n${log}`)),
        15_000,
      );
      const onData = (chunk: Buffer) => {
        log += chunk.toString();
        const m = /listening on (127\.0\.0\.1:\d+)/.exec(log);
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      };
      child.stdout?.on("data", onData);
      child.stderr?.on("data", onData);
      child.once("error", (err) => {
        clearTimeout(timer);
        reject(
          new Error(
            `docker-registry could not run (bash scripts/setup-ship.sh installs it): ${err.message}`,
          ),
        );
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`docker-registry exited with ${code}:\n${log}`));
      });
    });
    child.stdout?.resume();
    child.stderr?.resume();
    return { host, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

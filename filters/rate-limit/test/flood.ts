// A small HTTP/1.1 load client for floods: many keep-alive connections, one request at a time
// on each (Envoy closes a connection that pipelines), responses parsed just enough to count
// statuses. fetch() is far too slow to send 100,000 requests inside a test's time budget.
import { connect, type Socket } from "node:net";

/** Sends `total` GET / requests to 127.0.0.1:`port` over `connections` keep-alive
 *  connections; `headers(i)` gives request i's extra header lines. Counts by status. */
export async function floodRequests(
  port: number,
  total: number,
  headers: (i: number) => string,
  connections = 32,
): Promise<Map<number, number>> {
  const batch = 1;
  const counts = new Map<number, number>();
  let next = 0;
  const one = async () => {
    const socket = await open(port);
    try {
      while (next < total) {
        const start = next;
        const end = Math.min(total, start + batch);
        next = end;
        let text = "";
        for (let i = start; i < end; i++)
          text += `GET / HTTP/1.1\r\nhost: flood\r\n${headers(i)}\r\n`;
        socket.write(text);
        for (const status of await readResponses(socket, end - start)) {
          counts.set(status, (counts.get(status) ?? 0) + 1);
        }
      }
    } finally {
      socket.destroy();
    }
  };
  await Promise.all(Array.from({ length: connections }, one));
  return counts;
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => resolve(socket));
    socket.once("error", reject);
  });
}

// Reads `n` whole responses (status line, headers, content-length body) from the socket.
function readResponses(socket: Socket, n: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const statuses: number[] = [];
    let buffer = "";
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString("latin1");
      for (;;) {
        const head = buffer.indexOf("\r\n\r\n");
        if (head < 0) break;
        const lengthMatch = /\r\ncontent-length:\s*(\d+)/i.exec(buffer.slice(0, head));
        const length = lengthMatch ? Number(lengthMatch[1]) : 0;
        if (buffer.length < head + 4 + length) break;
        statuses.push(Number(buffer.slice(9, 12)));
        buffer = buffer.slice(head + 4 + length);
      }
      if (statuses.length >= n) {
        cleanup();
        resolve(statuses);
      }
    };
    const onEnd = () => {
      cleanup();
      reject(new Error(`connection closed after ${statuses.length} of ${n} responses`));
    };
    const cleanup = () => {
      socket.off("data", onData);
      socket.off("end", onEnd);
      socket.off("error", onEnd);
    };
    socket.on("data", onData);
    socket.on("end", onEnd);
    socket.on("error", onEnd);
  });
}

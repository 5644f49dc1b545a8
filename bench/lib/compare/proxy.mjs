// A TCP proxy that counts what crosses it: connections opened, bytes each way (headers,
// bodies and WebSocket frames alike, as they are on the wire) and HTTP requests.
//
// Requests are counted by reading the client's side of each connection as HTTP/1.1: a
// request line and headers up to the blank line, then `Content-Length` bytes of body, then
// the next request. A request that upgrades the connection (a WebSocket handshake) is the
// last one read: what follows is no longer HTTP.

import { createServer, connect } from "node:net";

/** Reads HTTP/1.1 requests out of one connection's client-to-server bytes. */
export class RequestCounter {
  constructor() {
    this.requests = 0;
    this.buffer = Buffer.alloc(0);
    this.bodyLeft = 0;
    this.upgraded = false;
  }

  /** Takes the next chunk the client sent; counts each request whose headers complete. */
  push(chunk) {
    if (this.upgraded) return;
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.bodyLeft > 0) {
        const skip = Math.min(this.bodyLeft, this.buffer.length);
        this.buffer = this.buffer.subarray(skip);
        this.bodyLeft -= skip;
        if (this.bodyLeft > 0) return;
      }
      const end = this.buffer.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = this.buffer.subarray(0, end).toString("latin1");
      this.buffer = this.buffer.subarray(end + 4);
      this.requests += 1;
      // The clients state every body's length; a chunked body would be misread.
      if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) throw new Error("chunked request bodies are not counted");
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      this.bodyLeft = length ? Number(length[1]) : 0;
      if (/\r\nupgrade:/i.test(head)) {
        this.upgraded = true;
        this.buffer = Buffer.alloc(0);
        return;
      }
    }
  }
}

/**
 * Starts a proxy on a free loopback port in front of `target` (`{ host, port }`).
 * Resolves to `{ port, counts(), close() }`; `counts()` gives
 * `{ connections, requests, bytesUp, bytesDown }` so far.
 */
export async function startProxy(target) {
  const totals = { connections: 0, bytesUp: 0, bytesDown: 0 };
  const counters = [];
  const sockets = new Set();
  const server = createServer((client) => {
    totals.connections += 1;
    const counter = new RequestCounter();
    counters.push(counter);
    const upstream = connect(target.port, target.host);
    sockets.add(client);
    sockets.add(upstream);
    client.on("data", (chunk) => {
      totals.bytesUp += chunk.length;
      counter.push(chunk);
      upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      totals.bytesDown += chunk.length;
      client.write(chunk);
    });
    // Either side ending or failing ends both, as a plain TCP relay would.
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const socket of [client, upstream]) {
      socket.on("end", end);
      socket.on("error", end);
      socket.on("close", end);
    }
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  return {
    port: server.address().port,
    counts: () => ({ ...totals, requests: counters.reduce((sum, c) => sum + c.requests, 0) }),
    close: () =>
      new Promise((ok) => {
        for (const socket of sockets) socket.destroy();
        server.close(ok);
      }),
  };
}
